import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHandler } from '../../functions/audit.js';
import type { RunOutcome } from '../../lib/run.js';
import { loadOrgFile } from '../sim/schema.js';
import { startSimulator, type Simulator } from '../sim/server.js';
import type { SimFaultsInput, SimOrg } from '../sim/schema.js';
import { lambdaContext, simulatorEnv, withEnv } from '../support/local-lambda.js';

const SCHEDULED = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
const DEMO = await loadOrgFile('events/demo-org.json');

/** Every cluster the audit role can reach in the demo org: ACTIVE accounts with the role. */
function reachableClusters(org: SimOrg): string[] {
  return org.accounts
    .filter((a) => a.state === 'ACTIVE' && a.auditRole !== false)
    .flatMap((a) => Object.entries(a.regions).flatMap(([region, r]) => (r.enabled === false ? [] : (r.clusters ?? []).map((c) => `${a.id}/${region}/${c.name}`))))
    .sort();
}

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ org: structuredClone(DEMO), port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

async function audit(env: Record<string, string> = {}, event: unknown = SCHEDULED, timeoutMs = 900_000): Promise<{ outcome: RunOutcome; summary: unknown }> {
  let outcome: RunOutcome | undefined;
  const summary = await withEnv(simulatorEnv(sim, env), () => buildHandler({ onOutcome: (o) => (outcome = o) })(event, lambdaContext(timeoutMs)));
  return { outcome: outcome!, summary };
}

const audited = (outcome: RunOutcome) => outcome.report.clusters.map((c) => `${c.accountId}/${c.region}/${c.clusterName}`).sort();

describe('audit handler against the simulator', () => {
  it('audits the demo organization: every reachable cluster, every shipped rule, the failures on record', async () => {
    // Act
    const { outcome } = await audit();

    // Assess
    const { report } = outcome;
    expect(audited(outcome)).toEqual(reachableClusters(DEMO));
    expect(new Set(report.findings.map((f) => f.ruleId)).size).toBe(16); // kube-proxy nftables shows now: the demo has clusters on Kubernetes 1.31 and later
    expect(report.coverage.accounts).toEqual({ listed: 9, excluded: 1, scanned: 7, failed: 1, notReached: 0 });
    expect(report.errors).toEqual([expect.objectContaining({ accountId: '555555555555', stage: 'assume-role', code: 'AccessDenied' })]);
    expect(report.coverage.notes.filter((n) => n.kind === 'securityhub-not-enabled').map((n) => n.accountId)).toEqual(['444444444444', '444444444444']);
    expect(sim.records.sns).toHaveLength(1);
  });

  it('reads self-managed CNIs through the Kubernetes API and judges them like managed add-ons', async () => {
    // Act
    const { outcome } = await audit();

    // Assess
    const { report } = outcome;
    const rulesOf = (cluster: string) => report.findings.filter((f) => f.clusterName === cluster).map((f) => f.ruleId).sort();
    const legacy = rulesOf('payments-legacy-staging-use1'); // self-managed v1.7.5, WARM_IP_TARGET only, probe timeouts 1 s
    expect(legacy).toContain('vpc-cni-below-v1.8.0');
    expect(legacy).not.toContain('vpc-cni-below-v1.7.2');
    expect(legacy).toEqual(expect.arrayContaining(['vpc-cni-warm-ip-target-without-minimum', 'vpc-cni-probe-timeout-low']));
    // Helm-installed v1.18.6, official, with its IRSA role: behind what EKS offers for 1.30 in 2026
    expect(rulesOf('checkout-self-managed-euw1')).toEqual(['vpc-cni-behind-latest', 'vpc-cni-self-managed']);
    const helmPlan = report.plans?.find((p) => p.clusterName === 'checkout-self-managed-euw1');
    expect(helmPlan?.installMethod).toBe('helm');
    expect(helmPlan?.steps.flatMap((s) => s.commands).filter((c) => c.startsWith('helm upgrade aws-vpc-cni eks/aws-vpc-cni --kube-context checkout-self-managed-euw1'))).toHaveLength(3);
    const mirrored = report.findings.find((f) => f.ruleId === 'vpc-cni-unofficial-image');
    expect(mirrored).toMatchObject({ clusterName: 'ml-inference-use1', observedVersion: 'v1.15.1' });
    expect(mirrored?.why).toContain('123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1');
    // No access: a coverage note, the version stays unknown, and the region still completes.
    expect(report.coverage.notes.filter((n) => n.kind === 'no-kubernetes-access')).toEqual([
      expect.objectContaining({ accountId: '444444444444', region: 'us-east-1', cluster: 'identity-prod-use1' }),
    ]);
    expect(rulesOf('identity-prod-use1')).toContain('vpc-cni-version-unknown');
    expect(report.completedScopes).toContainEqual({ accountId: '444444444444', region: 'us-east-1' });
    expect(report.errors.filter((e) => e.stage === 'read-daemonset')).toEqual([]);
    expect(report.coverage.clusters.selfManaged).toBe(4);
  });

  it('with AUDIT_READ_DAEMONSET=all, records what the DaemonSet of each managed add-on runs', async () => {
    // Act
    const { outcome } = await audit({ AUDIT_READ_DAEMONSET: 'all' });

    // Assess
    const managed = outcome.report.clusters.filter((c) => c.cni.managed);
    expect(managed.length).toBeGreaterThan(10);
    for (const c of managed) expect(c.cni.daemonSetVersion, c.clusterName).toBe(c.cni.version);
  });

  it('skips an opt-in region that is not enabled with a note, not an error', async () => {
    // Act
    const { outcome } = await audit({ AUDIT_REGIONS: 'us-east-1,ap-east-1' });

    // Assess
    const notes = outcome.report.coverage.notes.filter((n) => n.kind === 'region-not-enabled');
    expect(notes.map((n) => n.accountId).sort()).toEqual(['111111111111', '333333333333', '444444444444', '666666666666', '777777777777', '888888888888']);
    expect(outcome.report.errors.filter((e) => e.stage !== 'assume-role')).toEqual([]);
    expect(audited(outcome)).toContain('222222222222/ap-east-1/payments-prod-ape1');
  });

  it.each<[string, SimFaultsInput]>([
    ['30% throttling', { throttleRate: 0.3, seed: 7 }],
    ['5xx bursts', { errorRate: 0.15, seed: 11 }],
  ])('absorbs %s with the SDK retries: every reachable cluster audited, no error', { timeout: 90_000 }, async (_, faults) => {
    // Prepare
    sim.setFaults(faults);

    // Act
    const { outcome } = await audit();

    // Assess
    expect(audited(outcome)).toEqual(reachableClusters(DEMO));
    expect(outcome.report.errors.map((e) => e.accountId)).toEqual(['555555555555']);
    expect(sim.calls().some((c) => c.status === 429 || c.status >= 500)).toBe(true);
  });

  it('reads every page of accounts and clusters', async () => {
    // Prepare
    sim.org = { ...sim.org, pageSize: { ListAccounts: 2, ListClusters: 1 } };

    // Act
    const { outcome } = await audit();

    // Assess
    expect(audited(outcome)).toEqual(reachableClusters(DEMO));
    const listClusterPages = sim.calls().filter((c) => c.operation === 'ListClusters').reduce((n, c) => n + c.count, 0);
    expect(listClusterPages).toBeGreaterThan(15);
  });

  it('records a malformed answer for one cluster as that cluster\'s error and does not archive there', async () => {
    // Prepare: a first night imports the findings
    await audit();
    sim.setFaults({ rules: [{ service: 'eks', operation: 'DescribeAddon', cluster: 'checkout-legacy-use1', malformed: true }] });

    // Act
    const { outcome } = await audit();

    // Assess
    expect(outcome.report.errors).toContainEqual(expect.objectContaining({ accountId: '333333333333', region: 'us-east-1', cluster: 'checkout-legacy-use1' }));
    expect(outcome.report.completedScopes).not.toContainEqual({ accountId: '333333333333', region: 'us-east-1' });
    const stored = sim.findings('333333333333', 'us-east-1').filter((f) => f.Id?.includes('checkout-legacy-use1'));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((f) => f.RecordState === 'ACTIVE')).toBe(true);
    expect(outcome.delta.resolved.filter((f) => f.clusterName === 'checkout-legacy-use1')).toEqual([]);
  });

  it('stops starting accounts at the deadline and reports the rest as not reached', async () => {
    // Prepare: every EKS call takes 2 s, one account at a time; the Lambda has 66 s left and a 60 s
    // margin, so the listing (fast, even on a loaded machine) ends long before the deadline and the
    // scan of the 9 accounts cannot
    sim.setFaults({ rules: [{ service: 'eks', latencyMs: 2_000 }] });

    // Act
    const { outcome } = await audit({ AUDIT_CONCURRENCY: '1' }, SCHEDULED, 66_000);

    // Assess
    const { accounts } = outcome.report.coverage;
    expect(accounts.notReached).toBeGreaterThan(0);
    expect(accounts.scanned + accounts.failed + accounts.notReached).toBe(accounts.listed - accounts.excluded);
    expect(outcome.report.coverage.notes.some((n) => n.kind === 'not-reached')).toBe(true);
  });

  it('takes a manual invoke with overrides, and a dry run delivers nothing', async () => {
    // Act
    const { outcome } = await audit({}, { accounts: ['222222222222'], regions: ['eu-west-1'], dryRun: true });

    // Assess
    expect(audited(outcome)).toEqual(['222222222222/eu-west-1/payments-prod-euw1']);
    expect(outcome.delivery).toEqual({ securityHub: 'dry-run', notification: 'dry-run', history: 'dry-run', failures: [] });
    expect(sim.records.sns).toEqual([]);
    expect(sim.records.securityHubImports).toEqual([]);
  });

  it('rejects a bad event and a bad configuration with a message naming what is wrong', async () => {
    await expect(audit({}, { regions: ['mars-1'] })).rejects.toThrow(/regions\.0: mars-1 is not an AWS Region/);
    await expect(audit({}, { ...(SCHEDULED as object), dryRun: true })).rejects.toThrow(/not a scheduled event: \(event\): Unrecognized key: "dryRun"/);
    await expect(audit({ DEADLINE_MARGIN_MS: '900000' })).rejects.toThrow(/^DEADLINE_MARGIN_MS: 900000 ms leaves 0 ms/);
    await expect(audit({ AUDIT_ROLE_NAME: '' })).rejects.toThrow(/AUDIT_ROLE_NAME: is required/);
  });
});
