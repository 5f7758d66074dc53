/**
 * Measures a whole scan of a generated organization through the simulator (not a test):
 *   ACCOUNTS=5000 node --expose-gc --import tsx test/collect/measure-scan.ts
 * Env: ACCOUNTS, CPR (clusters per region), LAT (ms), RATE (EKS calls/s per account, 0 = none),
 * THROTTLE (random throttle share), RM (retry mode), CONC, PER, NORELEASE=1 (keep every client).
 * Prints one JSON line: duration, coverage, calls per operation, heap.
 */
import { createAwsCollectPorts } from '../../lib/collect/aws.js';
import { scanOrganization } from '../../lib/collect/scan.js';
import { generateOrg } from '../sim/generate.js';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator } from '../sim/server.js';

const accounts = Number(process.env.ACCOUNTS ?? 300);
const mode = (process.env.RM ?? 'adaptive') as 'standard' | 'adaptive';
const rate = Number(process.env.RATE ?? 0);
const concurrency = Number(process.env.CONC ?? 32);
const per = Number(process.env.PER ?? 8);
const org = generateOrg({ accounts, regions: 4, clustersPerRegion: Number(process.env.CPR ?? 2.5), seed: 3 });
org.faults.latencyMs = Number(process.env.LAT ?? 20);
org.faults.latencyJitterMs = 10;
if (rate > 0) org.faults.rateLimits = { eks: { perAccountPerSecond: rate, burst: rate * 2 } };
if (process.env.THROTTLE) { org.faults.throttleRate = Number(process.env.THROTTLE); org.faults.exempt = ['organizations', 'sts']; }
const sim = await startSimulator({ org });
const ports = createAwsCollectPorts({
  homeRegion: 'us-east-1', partition: 'aws', endpoint: sim.endpoint, maxSockets: concurrency * per, retryMode: mode,
  callerCredentials: async () => ({ ...SIM_MANAGEMENT_CREDENTIALS }),
});
if (process.env.NORELEASE) delete (ports as { releaseAccount?: unknown }).releaseAccount;
global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
let peakHeap = 0;
const timer = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed); }, 200);
const t0 = performance.now();
const result = await scanOrganization({
  partition: 'aws', homeRegion: 'us-east-1', regions: 'all', roleName: 'audit', sessionName: 'eks-fleet-auditor',
  concurrency, perAccountConcurrency: per,
}, ports);
const ms = performance.now() - t0;
global.gc?.();
const heapAfterScan = process.memoryUsage().heapUsed;
clearInterval(timer);
global.gc?.();
const calls = sim.calls();
const byOp: Record<string, number> = {};
let throttled = 0;
for (const c of calls) { byOp[c.operation] = (byOp[c.operation] ?? 0) + c.count; if (c.status === 429 || c.status === 400 && c.service === 'eks') throttled += c.count; }
const managed = result.coverage.clusters.managedAddon;
console.log(JSON.stringify({
  mode, accounts, rate, concurrency, per, seconds: +(ms / 1000).toFixed(2),
  coverage: { ...result.coverage, notes: result.coverage.notes.length },
  errors: result.errors.length, errorCodes: [...new Set(result.errors.map((e) => `${e.stage}:${e.code}`))],
  calls: byOp, throttled,
  eksCallsPerCluster: +(((byOp.DescribeCluster ?? 0) + (byOp.DescribeAddon ?? 0) + (byOp.ListPodIdentityAssociations ?? 0)) / result.coverage.clusters.scanned).toFixed(3),
  managed, heapDeltaMB: +((heapAfterScan - heap0) / 1e6).toFixed(1), peakHeapMB: +(peakHeap / 1e6).toFixed(1),
}));
ports.destroy();
await sim.stop();
