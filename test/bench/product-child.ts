/**
 * One measured run, alone in its process and bundled as the Lambda is (processes.ts builds and
 * starts it): the real Lambda handler (buildHandler, through withEnv with the parent's
 * simulatorEnv, as the demo runs it) or the naive scan, against the simulator child. Prints one
 * line `BENCH_RESULT {json}`; the handler's Powertools logs are the other stdout lines.
 */
import { readFile } from 'node:fs/promises';
import type { RunOutcome } from '../../lib/run.js';
import { lambdaContext, withEnv } from '../support/local-lambda.js';
import { RESULT_MARKER, type ChildRequest, type ChildResult, type HandlerRun } from './protocol.js';

const peakRssMB = () => process.resourceUsage().maxRSS / 1024;

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function handlerRun(outcome: RunOutcome): HandlerRun {
  const { report } = outcome;
  return {
    reportBytes: Buffer.byteLength(JSON.stringify(report, null, 2)),
    accounts: report.coverage.accounts,
    clusters: report.coverage.clusters,
    regions: report.coverage.regions,
    completedScopes: report.completedScopes.length,
    findings: report.findings.length,
    errors: countBy(report.errors, (e) => `${e.stage}:${e.code}`),
    delivery: outcome.delivery,
  };
}

/** The largest heap in use, sampled (live objects and garbage not yet collected). */
function sampleHeap(): { stop(): number } {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().heapUsed) / 1024 / 1024;
    },
  };
}

async function main(request: ChildRequest): Promise<ChildResult> {
  const { env } = request;
  const scheduled = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
  // Only the code this mode runs is loaded: the handler's process holds what the Lambda's holds.
  const modules = {
    handler: request.mode === 'handler' ? await import('../../functions/audit.js') : undefined,
    floor: request.mode === 'floor' ? await import('./floor.js') : undefined,
    calibrate: request.mode === 'calibrate' ? await import('./calibrate.js') : undefined,
    naive: request.mode === 'naive' ? await import('./naive.js') : undefined,
  };
  const rssBaselineMB = peakRssMB();
  const heap = sampleHeap();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result: Omit<ChildResult, 'wallMs' | 'cpuMs' | 'peakRssMB' | 'peakHeapMB'> = { mode: request.mode, rssBaselineMB };
  let outcome: RunOutcome | undefined;
  if (request.mode === 'handler') {
    // Built inside the environment, as Lambda builds it: Powertools reads its settings at construction.
    await withEnv(env, () => modules.handler!.buildHandler({ onOutcome: (o) => (outcome = o) })(scheduled, lambdaContext()));
    if (!outcome) throw new Error('the handler finished without an outcome');
  } else if (request.mode === 'floor') {
    if (!request.floor) throw new Error('a floor run needs the calls to replay');
    result.floor = await withEnv(env, () => modules.floor!.floorRun(request.floor!));
  } else if (request.mode === 'calibrate') {
    result.calibrate = await withEnv(env, () => modules.calibrate!.calibrate());
  } else {
    const scan = await withEnv(env, () => modules.naive!.naiveScan({ homeRegion: env.AWS_REGION ?? 'us-east-1', roleName: env.AUDIT_ROLE_NAME ?? 'EksFleetAuditRole', maxAttempts: 8 }));
    result.naive = { accounts: scan.accounts, clusters: scan.clusters, errors: countBy(scan.errors, (e) => e.code) };
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const peaks = { peakRssMB: peakRssMB(), peakHeapMB: heap.stop() };
  // After the peaks are read: serializing the report once more here must not count.
  if (outcome) result.handler = handlerRun(outcome);
  return { ...result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, ...peaks };
}

const request = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as ChildRequest;
console.log(`${RESULT_MARKER}${JSON.stringify(await main(request))}`);
