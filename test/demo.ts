/**
 * `npm run demo [-- --record DIR] [--nights 2]`: the real Lambda handler (middy + Powertools)
 * against the local AWS simulator seeded with the demo organization, printed for a person.
 * With --nights 2, one cluster is upgraded between the nights: the second run shows it RESOLVED
 * and its Security Hub finding archived. --record also keeps the fleet page the handler wrote
 * beside the last night's report in the history bucket (report.html, with the nights' trend).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseS3Uri } from '../lib/deliver/s3-object.js';
import { renderCsv } from '../lib/report/csv.js';
import { renderText } from '../lib/report/render.js';
import type { RunOutcome } from '../lib/run.js';
import { startSimulator, type Simulator } from './sim/server.js';
import { lambdaContext, simulatorEnv, withEnv } from './support/local-lambda.js';

const { values } = parseArgs({
  options: {
    record: { type: 'string' },
    nights: { type: 'string', default: '1' },
    org: { type: 'string', default: 'events/demo-org.json' },
  },
});
const nights = Number(values.nights);
if (!Number.isInteger(nights) || nights < 1 || nights > 5) {
  console.error(`--nights must be a whole number from 1 to 5 (got "${values.nights}")`);
  process.exit(2);
}

/** Upgrades the first cluster with a high finding to the newest version, as its owners would. */
function fixOneCluster(sim: Simulator, outcome: RunOutcome): string | undefined {
  const target = outcome.report.findings.find((f) => f.severity === 'high' && f.managed && f.targetVersion);
  if (!target) return undefined;
  const org = structuredClone(sim.org);
  const cluster = org.accounts.find((a) => a.id === target.accountId)?.regions[target.region]?.clusters?.find((c) => c.name === target.clusterName);
  const addon = cluster?.addons?.['vpc-cni'];
  if (!addon) return undefined;
  addon.addonVersion = target.targetVersion!;
  sim.org = org;
  return `${target.accountName} ${target.region} ${target.clusterName}: vpc-cni ${target.observedVersion} → ${target.targetVersion}`;
}

/** The fleet page the handler wrote beside the run's report in the history bucket. */
function pageOf(sim: Simulator, outcome: RunOutcome): Buffer | undefined {
  const written = outcome.delivery.page;
  if (written === undefined || written === 'failed') return undefined;
  const location = parseS3Uri(written.location);
  return location ? sim.objects(location.bucket).get(location.key)?.body : undefined;
}

const sim = await startSimulator({ org: resolve(values.org), port: 0 });
const { buildHandler } = await import('../functions/audit.js');
const scheduled = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
try {
  let last: RunOutcome | undefined;
  for (let night = 1; night <= nights; night++) {
    if (night > 1 && last) {
      const fixed = fixOneCluster(sim, last);
      if (fixed) console.log(`\n— between the nights, a team upgraded ${fixed} —\n`);
    }
    let outcome: RunOutcome | undefined;
    const started = Date.now();
    // Built inside the environment, as Lambda builds it: Powertools reads its settings at construction.
    await withEnv(simulatorEnv(sim), () => buildHandler({ onOutcome: (o) => (outcome = o) })(scheduled, lambdaContext()));
    last = outcome!;
    console.log(`${nights > 1 ? `Night ${night}: ` : ''}audit run against the simulator at ${sim.endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    console.log(renderText(last, Boolean(process.stdout.isTTY)));
  }

  if (values.record && last) {
    const dir = resolve(values.record);
    await mkdir(dir, { recursive: true });
    const imports = sim.records.securityHubImports.flatMap((call) => call.findings);
    await writeFile(join(dir, 'report.json'), `${JSON.stringify(last.report, null, 2)}\n`);
    await writeFile(join(dir, 'sns.json'), `${JSON.stringify(sim.records.sns, null, 2)}\n`);
    await writeFile(join(dir, 'securityhub.json'), `${JSON.stringify(imports, null, 2)}\n`);
    await writeFile(join(dir, 'report.csv'), renderCsv(last.report));
    const page = pageOf(sim, last);
    if (page) await writeFile(join(dir, 'report.html'), page);
    console.log(
      `\nRecorded report.json, report.csv, sns.json (${sim.records.sns.length} publish), securityhub.json (${imports.length} findings imported)` +
        `${page ? ` and report.html (the fleet page, ${(page.length / 1024).toFixed(0)} KiB: open it in a browser)` : ''} in ${dir}`,
    );
  }
} finally {
  await sim.stop();
}
