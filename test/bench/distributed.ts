/**
 * `npm run bench -- --distributed`: the distributed run measured whole. The state machine of
 * serverless.yml (its batch size and MaxConcurrency) runs locally (LocalStateMachine); the
 * planner, every scan worker invocation and the aggregate each run in a process of their own
 * (distributed-child.ts, bundled as the Lambda is) against the simulator in another. Workers run
 * `parallel` at a time here (each Lambda has a CPU of its own; this machine has 2), so the wall
 * is given twice: as measured, and projected on Lambda (distributed-projection.ts).
 * With `nights` > 1 the nights before the last run whole against the same simulator (its Security
 * Hub and S3 history kept), so the measured night reads the run history as every night after the
 * first does; the figures are the last night's.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadavg } from 'node:os';
import type { DistributedPlan } from '../../lib/distributed/protocol.js';
import { SIM_MANAGEMENT_CREDENTIALS, type CallCount, type Simulator } from '../sim/server.js';
import { simulatorEnv } from '../support/local-lambda.js';
import { definitionFromServerlessYml, LocalStateMachine, serverlessParams } from '../support/state-machine.js';
import { callStats, type OrgShape, type RateLimit } from './bound.js';
import type { DistributedChildRequest, DistributedChildResult } from './distributed-child.js';
import { lambdaVcpus, maxAndMedian, projectLambdaWall, type LambdaProjection } from './distributed-projection.js';
import { callsSince, cpuSince } from './nights.js';
import { runChild, startSimChild, type SimChild } from './processes.js';

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:eks-fleet-auditor-bench-distributed';

export interface DistributedOptions {
  orgFile: string;
  shape: OrgShape;
  regions: number;
  latencyMs: number;
  rateLimit?: RateLimit;
  managementAccountId: string;
  /** The distributed-child bundle (processes.ts buildChild). */
  bundle: string;
  /** Scan workers run at once on this machine. */
  parallel: number;
  /** The functions' environment beyond simulatorEnv (TOPIC_ARN, --env...). */
  env: Record<string, string>;
  /** lambdaHeap: each step's process gets the heap Lambda's Node.js runtime gives its function's memorySize (the workers' and the aggregate's own). */
  child: { sourceMaps: boolean; heapLimitMB?: number; lambdaHeap?: boolean };
  /** Runs against the same simulator, history kept; the figures are the last one's (default 1: a first night). */
  nights?: number;
}

/** One step's figures (seconds, MB); `error` when its process failed (no figures then: it could not report them). */
export interface StepFigures {
  initSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  /** Calls the simulator counted in the step's accounts (workers: the batch's member accounts). */
  calls?: number;
  error?: string;
}

const figureStats = (steps: readonly StepFigures[], pick: (s: StepFigures) => number) => maxAndMedian(steps.map(pick));

/** A night before the measured one, in brief: what each step's process held, and whether it finished. */
export interface NightSummary {
  night: number;
  localWallSeconds: number;
  planner: StepFigures;
  workers: { count: number; failed: number; peakRssMB: { max: number; p50: number } };
  aggregate: StepFigures;
  calls: number;
  failure?: DistributedMeasurement['failure'];
}

export interface DistributedMeasurement {
  kind: 'distributed';
  /** Which night of the run these figures are (1: empty Security Hub and history). */
  night: number;
  /** The nights before it against the same simulator, in brief (absent on a first night). */
  nightsBefore?: NightSummary[];
  accounts: number;
  regions: number;
  clusters: number;
  latencyMs: number;
  rateLimit?: RateLimit;
  batchSize: number;
  maxConcurrency: number;
  /** serverless.yml's memorySize of the planner (the audit function); `vcpus` is the share Lambda gives it (also used, pessimistically, for the aggregate). */
  memorySizeMB: number;
  /** serverless.yml's memorySize of the aggregate (aggregateMemorySize). */
  aggregateMemorySizeMB: number;
  /** serverless.yml's memorySize of the scan workers (workerMemorySize; memorySize when absent). */
  workerMemorySizeMB: number;
  vcpus: number;
  /** The vCPU share Lambda gives a worker at workerMemorySizeMB. */
  workerVcpus: number;
  parallel: number;
  /** Planner start → aggregate end on this machine, workers `parallel` at a time. */
  localWallSeconds: number;
  projected: LambdaProjection;
  loadAverage: { start: number; end: number };
  planner: StepFigures;
  workers: {
    count: number;
    failed: { batch: number; firstAccount: string; error: string }[];
    initSeconds: { max: number; p50: number };
    wallSeconds: { max: number; p50: number };
    cpuSeconds: { max: number; p50: number; total: number };
    peakRssMB: { max: number; p50: number };
    calls: { max: number; p50: number };
    /** Each invocation, in the Map's order. */
    steps: (StepFigures & { batch: number; firstAccount: string })[];
  };
  /** partsBytes: the parts it read; reportBytes / pageBytes: the run report (JSON) and fleet page (HTML) it stored in the history. */
  aggregate: StepFigures & { partsBytes: number; reportBytes: number; pageBytes: number };
  calls: { total: number; throttled: number; planner: number; workers: number; aggregate: number; byOperation: Record<string, number> };
  report?: DistributedChildResult['report'];
  simCpuSeconds?: number;
  /** The issue's goals at 10,000 × 17: the projected wall (waves) under 5 minutes, every worker under 256 MB; and no step above its own function's memorySize. */
  goals: { projectedUnder5Minutes: boolean; workersUnder256MB: boolean; stepsWithinMemorySize: boolean };
  /** Set when the run did not finish: the step and its error. */
  failure?: { step: 'planner' | 'aggregate' | 'state machine'; error: string };
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

function figuresOf(result: DistributedChildResult): StepFigures {
  return { initSeconds: round(result.initMs / 1000), wallSeconds: round(result.wallMs / 1000), cpuSeconds: round(result.cpuMs / 1000), peakRssMB: round(result.peakRssMB, 1) };
}

const total = (calls: readonly CallCount[]) => calls.reduce((n, c) => n + c.count, 0);

/** Bytes of the objects under `prefix` whose key ends with `suffix` (the parts the aggregate reads, the reports it writes). */
async function bytesUnder(s3: S3Client, bucket: string, prefix: string, suffix = ''): Promise<number> {
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    bytes += (page.Contents ?? []).filter((o) => o.Key?.endsWith(suffix)).reduce((n, o) => n + (o.Size ?? 0), 0);
    token = page.NextContinuationToken;
  } while (token);
  return bytes;
}

interface WorkerRecord extends StepFigures {
  batch: number;
  accounts: string[];
}

/** What one night left to measure: each step's figures, and the simulator's counts around its steps (cumulative). */
interface NightRecord {
  planner: StepFigures;
  workers: WorkerRecord[];
  aggregate: StepFigures;
  report?: DistributedChildResult['report'];
  failure?: DistributedMeasurement['failure'];
  partsBytes: number;
  stored: { reportBytes: number; pageBytes: number };
  localWallSeconds: number;
  loadAverage: { start: number; end: number };
  snapshots: { start: CallCount[]; planned?: CallCount[]; scanned?: CallCount[]; end: CallCount[] };
  simCpuSeconds?: number;
}

/** What every night of one measurement shares: the simulator, the bucket's client, the functions' environment and the state machine. */
interface NightContext {
  options: DistributedOptions;
  memorySizeMB: Record<DistributedChildRequest['mode'], number>;
  sim: SimChild;
  s3: S3Client;
  env: Record<string, string>;
  definition: Awaited<ReturnType<typeof definitionFromServerlessYml>>;
}

/** One night whole: the planner, the state machine (workers `parallel` at a time, then the aggregate). A step that fails ends the night. */
async function runNight({ options, memorySizeMB, sim, s3, env, definition }: NightContext): Promise<NightRecord> {
  const { lambdaHeap, ...child } = options.child;
  const run = (mode: DistributedChildRequest['mode'], payload?: unknown) =>
    runChild<DistributedChildRequest, DistributedChildResult>(
      options.bundle,
      { mode, env, ...(payload === undefined ? {} : { payload }) },
      { ...child, ...(lambdaHeap ? { memorySizeMB: memorySizeMB[mode] } : {}) },
    );

  const workers: WorkerRecord[] = [];
  let planner: StepFigures = { initSeconds: 0, wallSeconds: 0, cpuSeconds: 0, peakRssMB: 0 };
  let aggregate: StepFigures = { initSeconds: 0, wallSeconds: 0, cpuSeconds: 0, peakRssMB: 0 };
  let report: DistributedChildResult['report'];
  let failure: DistributedMeasurement['failure'];
  let plan: DistributedPlan | undefined;
  let partsBytes = 0;
  const stored = { reportBytes: 0, pageBytes: 0 };
  let started = 0;
  // The simulator's counts between the steps; the bench's own listings of the bucket fall outside them.
  const snapshots: Omit<NightRecord['snapshots'], 'end'> & { aggregated?: CallCount[] } = { start: await sim.calls() };
  const simCpuBefore = await sim.cpuSeconds();
  const startLoad = loadavg()[0] ?? 0;
  const t0 = performance.now();
  try {
    try {
      const planned = await run('plan');
      planner = figuresOf(planned.result);
      plan = planned.result.output as DistributedPlan;
    } catch (error) {
      failure = { step: 'planner', error: String(error) };
      throw error;
    }
    snapshots.planned = await sim.calls();
    const invoke = async (name: string, payload: unknown): Promise<unknown> => {
      if (name === 'worker') {
        const batch = started++;
        const accounts = ((payload as { Items: { id: string }[] }).Items ?? []).map((a) => a.id);
        try {
          const { result } = await run('worker', payload);
          workers.push({ batch, accounts, ...figuresOf(result) });
          return result.output;
        } catch (error) {
          // The state machine's Catch turns it into a failed batch, as Step Functions would.
          workers.push({ batch, accounts, initSeconds: 0, wallSeconds: 0, cpuSeconds: 0, peakRssMB: 0, error: String(error) });
          throw error;
        }
      }
      partsBytes = await bytesUnder(s3, plan!.bucket, plan!.accountsKey.replace(/accounts\.json$/, 'parts/'));
      snapshots.scanned = await sim.calls();
      try {
        const { result } = await run('aggregate', payload);
        snapshots.aggregated = await sim.calls();
        aggregate = figuresOf(result);
        report = result.report;
        // The history's prefix in the bucket (HISTORY_PREFIX's default), as the parts' key begins;
        // this night's report and page only (the nights before left theirs, and summaries sit beside each).
        const runs = `${plan!.accountsKey.slice(0, plan!.accountsKey.indexOf('distributed/'))}runs/`;
        stored.reportBytes = await bytesUnder(s3, plan!.bucket, runs, `/${plan!.runId}.json`);
        stored.pageBytes = await bytesUnder(s3, plan!.bucket, runs, `/${plan!.runId}.html`);
        return result.output;
      } catch (error) {
        failure = { step: 'aggregate', error: String(error) };
        throw error;
      }
    };
    await new LocalStateMachine(invoke, s3, { maxConcurrency: options.parallel }).run(definition, plan);
  } catch (error) {
    failure ??= { step: 'state machine', error: String(error) };
  }
  const localWallSeconds = round((performance.now() - t0) / 1000);
  const { aggregated, ...between } = snapshots;
  const simCpuSeconds = cpuSince(simCpuBefore, await sim.cpuSeconds());
  return {
    planner,
    workers,
    aggregate,
    ...(report ? { report } : {}),
    ...(failure ? { failure } : {}),
    partsBytes,
    stored,
    localWallSeconds,
    loadAverage: { start: round(startLoad), end: round(loadavg()[0] ?? 0) },
    snapshots: { ...between, end: aggregated ?? (await sim.calls()) },
    ...(simCpuSeconds === undefined ? {} : { simCpuSeconds }),
  };
}

const finishedNight = (night: NightRecord) => night.failure === undefined && night.workers.every((w) => w.error === undefined);

function summaryOf(night: number, record: NightRecord): NightSummary {
  const succeeded = record.workers.filter((w) => w.error === undefined);
  return {
    night,
    localWallSeconds: record.localWallSeconds,
    planner: record.planner,
    workers: { count: record.workers.length, failed: record.workers.length - succeeded.length, peakRssMB: figureStats(succeeded, (w) => w.peakRssMB) },
    aggregate: record.aggregate,
    calls: total(callsSince(record.snapshots.start, record.snapshots.end)),
    ...(record.failure ? { failure: record.failure } : {}),
  };
}

export async function measureDistributed(options: DistributedOptions): Promise<DistributedMeasurement> {
  const params = await serverlessParams();
  const batchSize = Number(params.distributedBatchSize);
  const maxConcurrency = Number(params.distributedMaxConcurrency);
  const memorySizeMB = Number(params.memorySize);
  // The aggregate has its own (it holds the whole organization's report), the workers theirs (their batch only); the planner the functions' default.
  const aggregateMemorySizeMB = Number(params.aggregateMemorySize ?? params.memorySize);
  const workerMemorySizeMB = Number(params.workerMemorySize ?? params.memorySize);
  const vcpus = round(lambdaVcpus(memorySizeMB), 3);
  const workerVcpus = round(lambdaVcpus(workerMemorySizeMB), 3);
  const definition = await definitionFromServerlessYml({ ScanWorkerArn: 'worker', AggregateArn: 'aggregate', BatchSize: String(batchSize), MaxConcurrency: String(maxConcurrency) });
  const sim = await startSimChild(options.orgFile);
  // The state machine's own S3 client (its ItemReader) lives in this process, on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const s3 = new S3Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials: SIM_MANAGEMENT_CREDENTIALS, forcePathStyle: true });
  // simulatorEnv reads only the endpoint of the simulator it is given. The threshold is
  // serverless.yml's (the planner scans while it lists, until the count passes it); at or below
  // it, 0: this mode measures the distributed run whatever the size.
  const threshold = options.shape.accountsListed > Number(params.distributedThreshold) ? params.distributedThreshold! : '0';
  const env = simulatorEnv({ endpoint: sim.endpoint } as Pick<Simulator, 'endpoint'> as Simulator, { STATE_MACHINE_ARN, DISTRIBUTED_THRESHOLD: threshold, ...options.env });
  const context: NightContext = { options, memorySizeMB: { plan: memorySizeMB, worker: workerMemorySizeMB, aggregate: aggregateMemorySizeMB }, sim, s3, env, definition };

  const nightsBefore: NightSummary[] = [];
  let record: NightRecord;
  let night = 1;
  try {
    record = await runNight(context);
    // A night before the last that fails is the result: the nights after it would measure another run.
    for (; night < (options.nights ?? 1) && finishedNight(record); night++) {
      nightsBefore.push(summaryOf(night, record));
      record = await runNight(context);
    }
  } finally {
    await sim.stop();
    s3.destroy();
  }

  const { planner, aggregate, report, failure, partsBytes, stored, snapshots } = record;
  // This night's calls alone: the simulator counts since it started.
  const calls = callsSince(snapshots.start, snapshots.end);
  const planned = callsSince(snapshots.start, snapshots.planned ?? snapshots.end);
  const scanned = callsSince(snapshots.start, snapshots.scanned ?? snapshots.end);
  const byAccount = new Map<string, number>();
  for (const c of callsSince(planned, calls)) byAccount.set(c.accountId, (byAccount.get(c.accountId) ?? 0) + c.count);
  for (const w of record.workers) w.calls = w.accounts.filter((id) => id !== options.managementAccountId).reduce((n, id) => n + (byAccount.get(id) ?? 0), 0);
  const ordered = [...record.workers].sort((a, b) => a.batch - b.batch);
  const succeeded = ordered.filter((w) => w.error === undefined);
  const stats = callStats(calls, options.shape);
  const projected = projectLambdaWall(planner, succeeded, aggregate, { maxConcurrency, vcpus, workerVcpus });
  const finished = finishedNight(record);
  return {
    kind: 'distributed',
    night,
    ...(nightsBefore.length ? { nightsBefore } : {}),
    accounts: options.shape.accountsListed,
    regions: options.regions,
    clusters: options.shape.clusters,
    latencyMs: options.latencyMs,
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    batchSize,
    maxConcurrency,
    memorySizeMB,
    aggregateMemorySizeMB,
    workerMemorySizeMB,
    vcpus,
    workerVcpus,
    parallel: options.parallel,
    localWallSeconds: record.localWallSeconds,
    projected,
    loadAverage: record.loadAverage,
    planner: { ...planner, calls: total(planned) },
    workers: {
      count: ordered.length,
      failed: ordered.filter((w) => w.error !== undefined).map((w) => ({ batch: w.batch, firstAccount: w.accounts[0] ?? '', error: w.error! })),
      initSeconds: figureStats(succeeded, (w) => w.initSeconds),
      wallSeconds: figureStats(succeeded, (w) => w.wallSeconds),
      cpuSeconds: { ...figureStats(succeeded, (w) => w.cpuSeconds), total: round(succeeded.reduce((n, w) => n + w.cpuSeconds, 0)) },
      peakRssMB: figureStats(succeeded, (w) => w.peakRssMB),
      calls: figureStats(succeeded, (w) => w.calls ?? 0),
      steps: ordered.map(({ accounts, ...figures }) => ({ ...figures, firstAccount: accounts[0] ?? '' })),
    },
    aggregate: { ...aggregate, calls: total(callsSince(scanned, calls)), partsBytes, ...stored },
    calls: {
      total: stats.total,
      throttled: stats.throttled,
      planner: total(planned),
      workers: total(callsSince(planned, scanned)),
      aggregate: total(callsSince(scanned, calls)),
      byOperation: Object.fromEntries(stats.operations.map((op) => [`${op.service}:${op.operation}`, op.calls])),
    },
    ...(report ? { report } : {}),
    ...(record.simCpuSeconds === undefined ? {} : { simCpuSeconds: round(record.simCpuSeconds) }),
    goals: {
      // A Distributed Map starts the next batch as soon as a child execution ends: the slots reading is the Map's.
      projectedUnder5Minutes: finished && projected.slotsSeconds < 300,
      workersUnder256MB: finished && succeeded.every((w) => w.peakRssMB < 256),
      stepsWithinMemorySize:
        finished && planner.peakRssMB <= memorySizeMB && succeeded.every((w) => w.peakRssMB <= workerMemorySizeMB) && aggregate.peakRssMB <= aggregateMemorySizeMB,
    },
    ...(failure ? { failure } : {}),
  };
}

const yes = (met: boolean) => (met ? 'met' : 'NOT met');
const count = (n: number) => n.toLocaleString('en-US');
/** MB as the RSS figures count them (2^20 bytes). */
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The measurement as the bench prints it without --json. */
export function formatDistributed(m: DistributedMeasurement): string {
  const w = m.workers;
  const lines = [
    `Distributed run: ${count(m.accounts)} accounts × ${m.regions} regions, ${count(m.clusters)} clusters, ${m.latencyMs} ms per call, ` +
      `${m.rateLimit ? `EKS ${m.rateLimit.perAccountPerSecond}/s per account and Region (burst ${m.rateLimit.burst})` : 'no rate limit'}; ` +
      `serverless.yml: ${m.batchSize} accounts per worker, MaxConcurrency ${m.maxConcurrency}; here ${m.parallel} workers at a time (load average ${m.loadAverage.start} → ${m.loadAverage.end}).`,
    `  night ${m.night}${m.night > 1 ? ', the Security Hub findings and run history of the nights before kept' : ' (a first night: no history, Security Hub empty)'}`,
    ...(m.nightsBefore ?? []).map(
      (n) =>
        `    night ${n.night} (not the result): wall here ${n.localWallSeconds.toFixed(1)} s; peak RSS planner ${n.planner.peakRssMB} MB, ` +
        `workers max ${n.workers.peakRssMB.max} MB (${n.workers.count}, ${n.workers.failed} failed), aggregate ${n.aggregate.peakRssMB} MB; ${count(n.calls)} calls`,
    ),
    `  wall here: ${m.localWallSeconds.toFixed(1)} s`,
    `  wall projected on Lambda: ${m.projected.slotsSeconds.toFixed(1)} s, each worker starting as soon as one of ${m.maxConcurrency} slots frees (as a Distributed Map does); ` +
      `${m.projected.wavesSeconds.toFixed(1)} s if each of ${m.projected.waves} waves waited for its slowest worker ` +
      `(planner + workers + aggregate; each step cold: its init + its invocation, ` +
      `the invocation no shorter than its CPU ÷ Lambda's vCPU share at its memory size: ${m.vcpus} at ${m.memorySizeMB} MB, ` +
      `the workers ${m.workerVcpus} at ${m.workerMemorySizeMB} MB, the aggregate counted at the planner's)`,
    `  planner (${m.memorySizeMB} MB): ${m.planner.wallSeconds} s (+${m.planner.initSeconds} s init), CPU ${m.planner.cpuSeconds} s, peak RSS ${m.planner.peakRssMB} MB, ${m.planner.calls} calls`,
    `  ${w.count} workers (${m.workerMemorySizeMB} MB; ${w.failed.length} failed): wall max ${w.wallSeconds.max} / p50 ${w.wallSeconds.p50} s (+ init max ${w.initSeconds.max} s), ` +
      `CPU max ${w.cpuSeconds.max} / p50 ${w.cpuSeconds.p50} s (total ${w.cpuSeconds.total} s), peak RSS max ${w.peakRssMB.max} / p50 ${w.peakRssMB.p50} MB, ` +
      `calls max ${w.calls.max} / p50 ${w.calls.p50}`,
    ...w.failed.map((f) => `    batch ${f.batch} (from account ${f.firstAccount}) FAILED: ${f.error.slice(0, 400)}`),
    `  aggregate (${m.aggregateMemorySizeMB} MB): ${m.aggregate.wallSeconds} s (+${m.aggregate.initSeconds} s init), CPU ${m.aggregate.cpuSeconds} s, peak RSS ${m.aggregate.peakRssMB} MB, ` +
      `${m.aggregate.calls} calls; read ${mb(m.aggregate.partsBytes)} of parts, stored a report of ${mb(m.aggregate.reportBytes)} and a fleet page of ${mb(m.aggregate.pageBytes)}` +
      (m.report ? `; ${count(m.report.findings)} findings, ${m.report.errors} errors, accounts ${JSON.stringify(m.report.coverage)}` : ''),
    `  calls: ${count(m.calls.total)} (${count(m.calls.throttled)} throttled): planner ${count(m.calls.planner)}, workers ${count(m.calls.workers)}, aggregate ${count(m.calls.aggregate)}; simulator CPU ${m.simCpuSeconds ?? '?'} s`,
    `  goals: projected wall < 5 min ${yes(m.goals.projectedUnder5Minutes)}, every worker < 256 MB ${yes(m.goals.workersUnder256MB)}, ` +
      `every step within its memorySize (the planner ${m.memorySizeMB} MB, the workers ${m.workerMemorySizeMB} MB, the aggregate ${m.aggregateMemorySizeMB} MB) ${yes(m.goals.stepsWithinMemorySize)}`,
    ...(m.failure ? [`  RUN FAILED at the ${m.failure.step}: ${m.failure.error.slice(0, 2000)}`] : []),
  ];
  return lines.join('\n');
}
