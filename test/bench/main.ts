/**
 * `npm run bench [-- options]`: the real Lambda handler against the simulator with per-call
 * latency and per-account EKS rate limits, on generated organizations of growing size; prints
 * wall time, calls per operation, the lower bound and the ratio to it, and peak RSS. The
 * simulator and each measured run get their own process. Not part of `npm test`.
 * For JSON only on stdout: `npm run --silent bench -- --json` (npm prints its own header otherwise).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { generateOrg } from '../sim/generate.js';
import type { SimOrg } from '../sim/schema.js';
import type { Simulator } from '../sim/server.js';
import { DEMO_BUCKET, simulatorEnv } from '../support/local-lambda.js';
import { orgShape } from './bound.js';
import { formatDistributed, measureDistributed } from './distributed.js';
import { regionNames } from './distributed-projection.js';
import { BOUND_EXPLAINED, formatMeasurement, formatRepeats } from './format.js';
import { inFlightCap, measure, repeatsOf, withSdkFloor, type Measurement, type RunRecord, type Scenario } from './measurement.js';
import { callsSince, cpuSince } from './nights.js';
import { positiveInteger } from './options.js';
import { buildChild, runChild, startSimChild } from './processes.js';
import { serverlessParams } from '../support/state-machine.js';
import type { ChildRequest } from './protocol.js';

const CLUSTERS_PER_ACCOUNT = 2.5;
const ACCOUNT_CONCURRENCY = 8;

function number(min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min) throw new InvalidArgumentError(`expected a number ≥ ${min}`);
    return parsed;
  };
}

function numbers(min: number) {
  return (value: string): number[] => value.split(',').map((v) => number(min)(v.trim()));
}

function retryModes(value: string): Scenario['retryMode'][] {
  const list = value.split(',').map((v) => v.trim());
  if (list.some((v) => v !== 'standard' && v !== 'adaptive')) throw new InvalidArgumentError('expected standard and/or adaptive, comma-separated');
  return list as Scenario['retryMode'][];
}

function floorClients(value: string): 'shared' | 'minimal' {
  if (value !== 'shared' && value !== 'minimal') throw new InvalidArgumentError('expected shared or minimal');
  return value;
}

function assignment(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected NAME=VALUE');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

const opts = new Command()
  .name('bench')
  .description('The audit handler against the simulator: wall time, calls, lower bound, peak RSS')
  .option('--accounts <n,...>', 'organization sizes, the management account included', numbers(2), [10, 100, 1000])
  .option('--latency <ms>', 'simulator latency per call', number(0), 40)
  .option('--rate <n>', 'EKS calls per second per account (0 = no rate limit)', number(0), 10)
  .option('--burst <n>', 'EKS rate-limit burst per account', number(1), 20)
  .option('--concurrency <n,...>', 'AUDIT_CONCURRENCY values to run', numbers(1), [32])
  .option('--retry-mode <m,...>', 'AUDIT_RETRY_MODE values to run: standard, adaptive', retryModes, ['standard'] as Scenario['retryMode'][])
  .option('--env <NAME=VALUE>', 'more handler environment, repeatable (e.g. SECURITY_HUB=false)', assignment, {} as Record<string, string>)
  .option('--heap-limit <MB>', "--max-old-space-size of the run's process (as a small Lambda would constrain it)", number(16))
  .option('--no-source-maps', 'run without --enable-source-maps (the Lambda runs with it)')
  .option('--no-lambda-heap', "run with Node's heap defaults for this machine, not the heap Lambda gives the audit function's memorySize")
  .option('--memory-size <MB>', "the audit function's memory size whose Lambda heap the run gets (default: serverless.yml's memorySize)", number(128))
  .option('--seed <n>', 'organization seed', number(0), 42)
  .option('--no-naive', 'skip the naive sequential scan at the smallest size')
  .option('--no-calibrate', 'skip measuring the CPU of one SDK call (the cpu floor)')
  .option('--no-floor', 'skip the bare-SDK floor (the same calls through the same clients, nothing else)')
  .option('--floor-clients <how>', "the floor's clients: shared (built as the product's) or minimal (each resolving its own settings: the floor the ratio goals were set against)", floorClients, 'shared' as const)
  .option('--tracing', 'measure the deployed configuration: X-Ray tracing on (a subsegment per account)')
  .option('--cpu-prof <dir>', "write a V8 CPU profile of each measured run (the handler's and its floor's, named by mode) into dir (open it in Chrome DevTools or speedscope)")
  .option('--nights <n>', "runs of the handler (with --distributed: of the whole distributed run) against the same simulator, history kept; the figures are the last night's", positiveInteger, 1)
  .option('--regions <n>', 'regions per account (of the 17 every account has enabled by default)', positiveInteger, 4)
  .option('--distributed', 'measure the distributed run whole: planner, scan workers and aggregate, each in its own process, driven by the state machine of serverless.yml')
  .option('--parallel <n>', 'with --distributed: scan workers run at once here (each Lambda has its own CPU; this machine does not)', positiveInteger, 2)
  .option('--repeat <n>', 'each handler run (with its floor) this many times; the medians are printed after them', positiveInteger, 1)
  .option('--json', 'one JSON object per measurement, one per line')
  .parse()
  .opts<{
    accounts: number[];
    latency: number;
    rate: number;
    burst: number;
    concurrency: number[];
    retryMode: Scenario['retryMode'][];
    env: Record<string, string>;
    heapLimit?: number;
    sourceMaps: boolean;
    lambdaHeap: boolean;
    memorySize?: number;
    seed: number;
    naive: boolean;
    calibrate: boolean;
    floor: boolean;
    floorClients: 'shared' | 'minimal';
    tracing?: boolean;
    cpuProf?: string;
    nights: number;
    repeat: number;
    regions: number;
    distributed?: boolean;
    parallel: number;
    json?: boolean;
  }>();
const REGIONS = regionNames(opts.regions).length;

const rateLimit = opts.rate > 0 ? { perAccountPerSecond: opts.rate, burst: opts.burst } : undefined;

function organization(accounts: number, limited: boolean): SimOrg {
  const org = generateOrg({ accounts, regions: regionNames(opts.regions), clustersPerAccount: CLUSTERS_PER_ACCOUNT, seed: opts.seed });
  org.faults = { ...org.faults, latencyMs: opts.latency, latencyJitterMs: 0, rateLimits: limited && rateLimit ? { eks: rateLimit } : {} };
  org.buckets = [DEMO_BUCKET];
  return org;
}

/** Every generated org has the same management account: the SNS topic lives there. */
const TOPIC_ARN = `arn:aws:sns:us-east-1:${organization(2, false).managementAccountId}:eks-fleet-audit`;

async function writeOrg(dir: string, name: string, org: SimOrg): Promise<string> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(org));
  return file;
}

/**
 * Tracing as the deployed function has it: the Lambda's name, a sampled trace header, and X-Ray's
 * daemon address on a port nothing listens on (its UDP datagrams are sent and lost, as cheap as
 * in Lambda).
 */
const TRACING_ENV = {
  POWERTOOLS_TRACE_ENABLED: 'true',
  AWS_LAMBDA_FUNCTION_NAME: 'eks-fleet-auditor-bench-audit',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:9',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
};

/**
 * One child run against a fresh simulator: empty Security Hub and history (a first night), full
 * token buckets. With `--nights N`, a handler run is the last of N against that simulator, the
 * nights before it unmeasured: only its own calls and CPU count.
 */
async function runAgainst(orgFile: string, bundle: string, mode: ChildRequest['mode'], scenario: Scenario, extra: Partial<ChildRequest> = {}): Promise<RunRecord> {
  const sim = await startSimChild(orgFile);
  const loadAverage = loadavg()[0] ?? 0;
  try {
    // simulatorEnv reads only the endpoint of the simulator it is given.
    const env = simulatorEnv({ endpoint: sim.endpoint } as Pick<Simulator, 'endpoint'> as Simulator, {
      AUDIT_CONCURRENCY: String(scenario.concurrency),
      AUDIT_ACCOUNT_CONCURRENCY: String(scenario.accountConcurrency),
      AUDIT_RETRY_MODE: scenario.retryMode,
      TOPIC_ARN,
      // Its phase lines time the scan, Security Hub and the rest.
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(opts.tracing && mode === 'handler' ? TRACING_ENV : {}),
      ...scenario.env,
    });
    const floor = extra.floor ? { floor: { ...extra.floor, maxSockets: inFlightCap(scenario.concurrency, scenario.accountConcurrency) } } : {};
    const processOptions = {
      sourceMaps: scenario.sourceMaps,
      ...(scenario.heapLimitMB === undefined ? {} : { heapLimitMB: scenario.heapLimitMB }),
      ...(scenario.memorySizeMB === undefined ? {} : { memorySizeMB: scenario.memorySizeMB }),
    };
    for (let night = 1; mode === 'handler' && night < (scenario.nights ?? 1); night++) await runChild(bundle, { mode, env }, processOptions);
    const [callsBefore, cpuBefore] = [await sim.calls(), await sim.cpuSeconds()];
    const child = await runChild(bundle, { mode, env, ...floor }, { ...processOptions, ...(opts.cpuProf ? { cpuProfDir: opts.cpuProf } : {}) });
    return { child, calls: callsSince(callsBefore, await sim.calls()), simCpuSeconds: cpuSince(cpuBefore, await sim.cpuSeconds()), loadAverage };
  } finally {
    await sim.stop();
  }
}

function print(m: Measurement): void {
  console.log(opts.json ? JSON.stringify(m) : `${formatMeasurement(m)}\n`);
}

/** --distributed: each size's distributed run, measured whole (distributed.ts). */
async function benchDistributed(dir: string): Promise<void> {
  const bundle = await buildChild(dir, 'distributed-child');
  const concurrency = opts.concurrency[0] ?? 32;
  for (const accounts of [...opts.accounts].sort((a, b) => a - b)) {
    const org = organization(accounts, true);
    const measurement = await measureDistributed({
      orgFile: await writeOrg(dir, `org-${accounts}`, org),
      shape: orgShape(org),
      regions: REGIONS,
      latencyMs: opts.latency,
      ...(rateLimit ? { rateLimit } : {}),
      managementAccountId: org.managementAccountId,
      bundle,
      parallel: opts.parallel,
      env: {
        AUDIT_CONCURRENCY: String(concurrency),
        AUDIT_ACCOUNT_CONCURRENCY: String(ACCOUNT_CONCURRENCY),
        AUDIT_RETRY_MODE: opts.retryMode[0] ?? 'standard',
        TOPIC_ARN,
        ...(opts.tracing ? TRACING_ENV : {}),
        ...opts.env,
      },
      child: { sourceMaps: opts.sourceMaps, lambdaHeap: opts.lambdaHeap, ...(opts.heapLimit === undefined ? {} : { heapLimitMB: opts.heapLimit }) },
      nights: opts.nights,
    });
    console.log(opts.json ? JSON.stringify(measurement) : `${formatDistributed(measurement)}\n`);
    // A step that failed is the result: printed above, and the exit status says so.
    if (measurement.failure || measurement.workers.failed.length) process.exitCode = 1;
  }
}

/** Each size's single-Lambda run, with the SDK floor, the calibration and the naive scan around it. */
async function benchSingle(dir: string): Promise<void> {
  const bundle = await buildChild(dir);
  const base = {
    regions: REGIONS,
    clustersPerAccount: CLUSTERS_PER_ACCOUNT,
    latencyMs: opts.latency,
    accountConcurrency: ACCOUNT_CONCURRENCY,
    sourceMaps: opts.sourceMaps,
    ...(rateLimit ? { rateLimit } : {}),
    ...(Object.keys(opts.env).length ? { env: opts.env } : {}),
    ...(opts.heapLimit === undefined ? {} : { heapLimitMB: opts.heapLimit }),
    ...(opts.floor && opts.floorClients === 'minimal' ? { floorClients: 'minimal' as const } : {}),
    // The audit function's memory size: its process gets the heap Lambda gives it.
    ...(opts.lambdaHeap ? { memorySizeMB: opts.memorySize ?? Number((await serverlessParams()).memorySize) } : {}),
  };

  let cpuMsPerCall: number | undefined;
  if (opts.calibrate) {
    // Without the rate limit: one account's calls, as fast as the simulator answers.
    const calibration = await runAgainst(await writeOrg(dir, 'calibration', organization(2, false)), bundle, 'calibrate', {
      ...base,
      accounts: 2,
      concurrency: 1,
      retryMode: 'standard',
    });
    cpuMsPerCall = calibration.child.result.calibrate?.cpuMsPerCall;
  }
  if (!opts.json) {
    console.log(
      `Benchmark: the audit handler against the simulator; ${opts.latency} ms per call; ` +
        `${rateLimit ? `EKS rate limit ${rateLimit.perAccountPerSecond}/s per account and Region, burst ${rateLimit.burst}` : 'no rate limit'}; ` +
        `${REGIONS} regions, ${CLUSTERS_PER_ACCOUNT} clusters per account on average; Security Hub, SNS and S3 history on; ${opts.nights > 1 ? `night ${opts.nights}, the history of the nights before kept` : 'a first night'}.` +
        (cpuMsPerCall === undefined ? '' : `\nOne SDK call costs ${cpuMsPerCall.toFixed(2)} ms of CPU on a warm client here.`),
    );
    console.log(`${BOUND_EXPLAINED.join('\n')}\n`);
  }

  const sizes = [...opts.accounts].sort((a, b) => a - b);
  for (const [index, accounts] of sizes.entries()) {
    const org = organization(accounts, true);
    const orgFile = await writeOrg(dir, `org-${accounts}`, org);
    const shape = orgShape(org);
    const scenarios: [ChildRequest['mode'], Scenario][] = opts.concurrency.flatMap((concurrency) =>
      opts.retryMode.map((retryMode): [ChildRequest['mode'], Scenario] => ['handler', { ...base, accounts, concurrency, retryMode, ...(opts.nights > 1 ? { nights: opts.nights } : {}) }]),
    );
    // The naive scan is sequential: only at its own small size.
    if (index === 0 && opts.naive && accounts <= 10) scenarios.push(['naive', { ...base, accounts, concurrency: 1, retryMode: 'standard' }]);
    for (const [mode, scenario] of scenarios) {
      const measured: Measurement[] = [];
      // Each repeat pairs a run with its own floor right after it: the two share the machine's load.
      for (let repeat = 0; repeat < (mode === 'handler' ? opts.repeat : 1); repeat++) {
        const record = await runAgainst(orgFile, bundle, mode, scenario);
        let measurement = measure({ scenario, shape, cpuMsPerCall }, record);
        if (mode === 'handler' && opts.floor) {
          const floorRequest = { calls: [...record.calls], orgFile, concurrency: scenario.concurrency, accountConcurrency: scenario.accountConcurrency, maxSockets: 0, roleName: 'EksFleetAuditRole', topicArn: TOPIC_ARN, bucket: DEMO_BUCKET, clients: opts.floorClients };
          const floor = await runAgainst(orgFile, bundle, 'floor', scenario, { floor: floorRequest });
          measurement = withSdkFloor(measurement, floor.child.result);
        }
        print(measurement);
        measured.push(measurement);
      }
      if (measured.length > 1) {
        const summary = repeatsOf(measured);
        console.log(opts.json ? JSON.stringify(summary) : `${formatRepeats(summary)}\n`);
      }
    }
  }
}

const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
try {
  await (opts.distributed ? benchDistributed(dir) : benchSingle(dir));
} finally {
  await rm(dir, { recursive: true, force: true });
}
