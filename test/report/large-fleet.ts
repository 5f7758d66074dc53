/**
 * A large generated fleet (test/sim/generate.ts) as a run report, for the fleet page at scale.
 *
 * - `largeFleetReport(n)`: the facts of the generated org's clusters as the collect layer reads
 *   them from the simulator (add-on version, status, health, configuration, role; a self-managed
 *   CNI's image), judged by the real rules, without HTTP: fast enough for every test run.
 * - `npx tsx test/report/large-fleet.ts [clusters]`: the same org scanned by the real run through
 *   the simulator (about 80 s for 5,000 clusters here), and the sizes of its page and CSV.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../../lib/config.js';
import type { StoredRunReport } from '../../lib/deliver/history/delta.js';
import { evaluateFleet } from '../../lib/evaluate/evaluate.js';
import type { Rule } from '../../lib/evaluate/rule.js';
import { compareCniVersionsDesc, imageTag } from '../../lib/evaluate/version.js';
import { renderCsv } from '../../lib/report/csv.js';
import { fleetPage } from '../../lib/report/html/index.js';
import { loadRules } from '../../lib/rules/load.js';
import { inventoryOf, runAudit, TOOL } from '../../lib/run.js';
import type { ClusterFacts } from '../../lib/types.js';
import { scanOptionsOf, wireAwsPorts } from '../../lib/wiring.js';
import { generateOrg } from '../sim/generate.js';
import type { SimOrg } from '../sim/schema.js';
import { startSimulator } from '../sim/server.js';
import { simulatorEnv, withEnv } from '../support/local-lambda.js';

/** 10 clusters per account over 4 Regions: 500 accounts for 5,000 clusters. */
export function largeOrg(clusters: number, seed = 7): SimOrg {
  return generateOrg({ accounts: Math.ceil(clusters / 10), clustersPerAccount: 10, regions: 4, seed });
}

function factsOf(org: SimOrg): ClusterFacts[] {
  const catalog = org.addonVersions['vpc-cni'] ?? [];
  const byKubernetes = new Map<string, string[]>();
  const offered = (k8s: string) => {
    let versions = byKubernetes.get(k8s);
    if (!versions) {
      versions = catalog.filter((v) => v.compatibilities.some((c) => c.clusterVersion === k8s)).map((v) => v.addonVersion).sort(compareCniVersionsDesc);
      byKubernetes.set(k8s, versions);
    }
    return versions;
  };
  const ouPath = (ou: string | undefined) => ['r-gen0', ...(ou ? [ou] : [])];
  return org.accounts
    .filter((a) => a.state === 'ACTIVE' && a.auditRole)
    .flatMap((account) =>
      Object.entries(account.regions)
        .filter(([, region]) => region.enabled)
        .flatMap(([region, r]) =>
          r.clusters.map((c): ClusterFacts => {
            const addon = c.addons['vpc-cni'];
            const self = c.selfManagedCni;
            return {
              accountId: account.id,
              accountName: account.name,
              ou: account.ou ?? 'r-gen0',
              ouPath: ouPath(account.ou),
              partition: 'aws',
              region,
              clusterName: c.name,
              clusterArn: `arn:aws:eks:${region}:${account.id}:cluster/${c.name}`,
              kubernetesVersion: c.version,
              clusterStatus: c.status,
              tags: c.tags,
              offeredVersions: offered(c.version),
              cni: addon
                ? {
                    managed: true,
                    source: 'addon',
                    version: addon.addonVersion,
                    status: addon.status,
                    healthIssues: addon.health.issues,
                    configurationValues: addon.configurationValues ?? null,
                    serviceAccountRoleArn: addon.serviceAccountRoleArn ?? null,
                    podIdentityAssociations: addon.podIdentityAssociations,
                  }
                : {
                    managed: false,
                    source: self ? 'daemonset' : 'none',
                    version: self ? imageTag(self.image) : null,
                    ...(self ? { image: self.image, officialImage: true } : {}),
                    status: null,
                    healthIssues: [],
                    configurationValues: null,
                    serviceAccountRoleArn: self?.roleArn ?? null,
                    podIdentityAssociations: [],
                  },
            };
          }),
        ),
    );
}

/** The report of a first run over the generated fleet (every finding NEW), built without HTTP. */
export function largeFleetReport(clusters: number, rules: readonly Rule[], seed = 7): StoredRunReport {
  const org = largeOrg(clusters, seed);
  const facts = factsOf(org);
  const { findings, errors } = evaluateFleet(rules, facts);
  const accounts = org.accounts.map((a) => ({ id: a.id, name: a.name, ou: a.ou ?? 'r-gen0', ouPath: ['r-gen0', ...(a.ou ? [a.ou] : [])], state: a.state }));
  const scanned = new Set(facts.map((c) => c.accountId));
  const regions = new Set(facts.map((c) => `${c.accountId}/${c.region}`));
  return {
    schemaVersion: 1,
    runId: '2026-11-30T02-00-00-000Z-large',
    startedAt: '2026-11-30T02:00:00.000Z',
    finishedAt: '2026-11-30T02:09:00.000Z',
    tool: { ...TOOL },
    findings,
    suppressed: [],
    coverage: {
      accounts: { listed: accounts.length, excluded: 0, scanned: scanned.size, failed: accounts.length - scanned.size, notReached: 0 },
      regions: { scanned: regions.size, notEnabled: 0, failed: 0 },
      clusters: { scanned: facts.length, failed: 0, managedAddon: facts.filter((c) => c.cni.managed).length, selfManaged: facts.filter((c) => !c.cni.managed).length },
      notes: [],
    },
    errors,
    completedScopes: [...regions].map((r) => ({ accountId: r.split('/')[0]!, region: r.split('/')[1]! })),
    accounts,
    clusters: inventoryOf(facts),
    baseline: { kind: 'first-run' },
    newIds: findings.map((f) => f.id),
  };
}

/** The generated org scanned by the real run through the simulator, delivering nothing. */
export async function scanLargeFleet(clusters: number, seed = 7): Promise<{ report: StoredRunReport; rules: Rule[] }> {
  const sim = await startSimulator({ org: largeOrg(clusters, seed), port: 0 });
  try {
    const rules = await loadRules();
    const env = simulatorEnv(sim, { AUDIT_CONCURRENCY: '64', SECURITY_HUB: 'false' });
    const outcome = await withEnv(env, async () => {
      const config = readConfig({ ...env, TOPIC_ARN: undefined, HISTORY_BUCKET: undefined });
      const ports = await wireAwsPorts(config, rules);
      try {
        return await runAudit({ scan: scanOptionsOf(config), notify: { mode: 'never', minSeverity: 'low' }, dryRun: true }, ports);
      } finally {
        ports.destroy();
      }
    });
    return { report: outcome.report, rules };
  } finally {
    await sim.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const { report, rules } = await scanLargeFleet(Number(process.argv[2] ?? 5000));
  const page = await fleetPage(report, { rules });
  const csv = renderCsv(report);
  await writeFile('fleet-5000.html', page);
  const mib = (text: string) => `${(Buffer.byteLength(text) / 1048576).toFixed(2)} MiB`;
  console.log(
    `${report.clusters.length} clusters in ${report.accounts.length} accounts scanned through the simulator in ${((Date.now() - started) / 1000).toFixed(0)} s: ` +
      `${report.findings.length} findings; fleet page ${mib(page)} (fleet-5000.html), CSV ${mib(csv)}, report JSON ${mib(JSON.stringify(report))}`,
  );
}
