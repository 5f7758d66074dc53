/**
 * One measurement of the benchmark as data (the `--json` line): the run's figures, the calls the
 * simulator answered, the targets and the lower bound.
 */
import type { CallCount } from '../sim/server.js';
import { callStats, lowerBound, targetsOf, type LowerBound, type OrgShape, type RateLimit, type Targets } from './bound.js';
import type { ChildResult } from './protocol.js';

/**
 * The heap AWS Lambda's Node.js runtime gives a function of `memorySizeMB`: its bootstrap
 * (/var/runtime/bootstrap, as printed from the runtime's image in public issues) starts node with a
 * tenth of the memory for the young generation, half of that per semi-space, and the rest for the
 * old generation. Node's defaults on this machine size both from its own RAM instead, and how much
 * garbage a run leaves before collecting it follows from them.
 */
export function lambdaHeapFlags(memorySizeMB: number): string[] {
  const newSpace = Math.floor(memorySizeMB / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memorySizeMB - newSpace}`];
}

export interface Scenario {
  accounts: number;
  /** --max-old-space-size of the run's process (unset: Lambda's for memorySizeMB, or Node's default). */
  heapLimitMB?: number;
  /** The function's memory size: the run's process gets the heap Lambda's runtime gives it (lambdaHeapFlags); unset: Node's defaults. */
  memorySizeMB?: number;
  /** Whether the run's process maps stack traces (--enable-source-maps), as the Lambda does. */
  sourceMaps: boolean;
  /** Handler environment beyond the scenario's (--env). */
  env?: Record<string, string>;
  regions: number;
  clustersPerAccount: number;
  latencyMs: number;
  rateLimit?: RateLimit;
  concurrency: number;
  accountConcurrency: number;
  retryMode: 'standard' | 'adaptive';
  /** Handler runs against the same simulator, the measured one last (--nights; absent: 1, a first night). */
  nights?: number;
  /** The floor's clients each resolve their own settings (--floor-clients minimal); absent: built as the product's. */
  floorClients?: 'minimal';
}

export interface Measurement {
  kind: ChildResult['mode'];
  scenario: Scenario;
  org: Omit<OrgShape, 'ideal' | 'eksCallsByScope'>;
  wallSeconds: number;
  /** From the handler's logs: scan, then Security Hub, then notification + history. */
  phasesSeconds?: { scan: number; securityHub: number; conclude: number };
  cpuSeconds: number;
  simCpuSeconds?: number;
  /** The machine's 1-minute load average as the run started: other work skews the figures. */
  loadAverage: number;
  peakRssMB: number;
  rssBaselineMB: number;
  peakHeapMB: number;
  run: ChildResult['handler'] | ChildResult['naive'];
  calls: { total: number; throttled: number; needed: number; byOperation: Record<string, { calls: number; throttled: number; failed: number; ideal?: number }> };
  targets: Targets;
  bound: LowerBound;
  /** Measured wall time ÷ lower bound. */
  ratio: number;
  /**
   * Not in the bound: the needed calls × the CPU of one SDK call on a warm client (calibrated on
   * this machine). A single Node.js process cannot finish sooner, whatever the latency.
   */
  cpuFloor?: { seconds: number; cpuMsPerCall: number };
  /** The same calls through the same SDK clients and concurrency, nothing else (bench/floor.ts). */
  sdkFloor?: { wallSeconds: number; cpuSeconds: number; calls: number; peakRssMB: number; rssBaselineMB: number };
  /** Measured wall ÷ the SDK floor's: the yardstick the product's own code answers for. */
  ratioToSdkFloor?: number;
  /** Measured CPU ÷ the SDK floor's. */
  cpuRatioToSdkFloor?: number;
}

/** The measurement with the bare-SDK floor of the same calls beside it. */
export function withSdkFloor(m: Measurement, floor: ChildResult): Measurement {
  const wallSeconds = round(floor.wallMs / 1000);
  const cpuSeconds = round(floor.cpuMs / 1000);
  return {
    ...m,
    sdkFloor: { wallSeconds, cpuSeconds, calls: floor.floor?.calls ?? 0, peakRssMB: round(floor.peakRssMB, 1), rssBaselineMB: round(floor.rssBaselineMB, 1) },
    ratioToSdkFloor: round(m.wallSeconds / Math.max(0.01, wallSeconds)),
    cpuRatioToSdkFloor: round(m.cpuSeconds / Math.max(0.01, cpuSeconds)),
  };
}

/** The requests the product can have in flight: its shared HTTP agent's maxSockets, sized as lib/wiring.ts sizes it. */
export function inFlightCap(concurrency: number, accountConcurrency: number): number {
  return Math.min(1024, concurrency * accountConcurrency + 16);
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

function phasesOf(logs: readonly Record<string, unknown>[]): Measurement['phasesSeconds'] {
  const at = (message: string) => {
    const line = logs.find((l) => l['message'] === message);
    return typeof line?.['timestamp'] === 'string' ? Date.parse(line['timestamp']) : undefined;
  };
  const [start, scanned, synced, finished] = ['audit starting', 'scan finished', 'security hub synced', 'audit finished'].map(at);
  if (start === undefined || scanned === undefined || finished === undefined) return undefined;
  const hub = synced ?? scanned;
  return { scan: (scanned - start) / 1000, securityHub: (hub - scanned) / 1000, conclude: (finished - hub) / 1000 };
}

/** What one run yields: the child's result and logs, and what the simulator saw. */
export interface RunRecord {
  child: { result: ChildResult; logs: readonly Record<string, unknown>[] };
  calls: readonly CallCount[];
  simCpuSeconds: number | undefined;
  loadAverage: number;
}

export function measure(
  { scenario, shape, cpuMsPerCall }: { scenario: Scenario; shape: OrgShape; cpuMsPerCall: number | undefined },
  { child, calls, simCpuSeconds, loadAverage }: RunRecord,
): Measurement {
  const { result } = child;
  const stats = callStats(calls, shape);
  const inFlight = result.mode === 'naive' ? 1 : inFlightCap(scenario.concurrency, scenario.accountConcurrency);
  const bound = lowerBound(shape, stats, {
    latencyMs: scenario.latencyMs,
    inFlight,
    delivers: result.mode === 'handler',
    ...(scenario.rateLimit ? { rateLimit: scenario.rateLimit } : {}),
  });
  const { ideal, eksCallsByScope: _perScope, ...org } = shape;
  const phases = phasesOf(child.logs);
  return {
    kind: result.mode,
    scenario,
    org,
    wallSeconds: round(result.wallMs / 1000),
    ...(phases ? { phasesSeconds: { scan: round(phases.scan), securityHub: round(phases.securityHub), conclude: round(phases.conclude) } } : {}),
    cpuSeconds: round(result.cpuMs / 1000),
    ...(simCpuSeconds === undefined ? {} : { simCpuSeconds: round(simCpuSeconds) }),
    loadAverage: round(loadAverage),
    peakRssMB: round(result.peakRssMB, 1),
    rssBaselineMB: round(result.rssBaselineMB, 1),
    peakHeapMB: round(result.peakHeapMB, 1),
    run: result.handler ?? result.naive,
    calls: {
      total: stats.total,
      throttled: stats.throttled,
      needed: stats.needed,
      byOperation: Object.fromEntries(
        stats.operations.map((op) => {
          const key = `${op.service}:${op.operation}`;
          return [key, { calls: op.calls, throttled: op.throttled, failed: op.failed, ...(ideal[key] === undefined ? {} : { ideal: ideal[key] }) }];
        }),
      ),
    },
    targets: targetsOf(stats, shape),
    bound,
    ratio: round(result.wallMs / Math.max(1, bound.ms)),
    ...(cpuMsPerCall === undefined ? {} : { cpuFloor: { seconds: round((stats.needed * cpuMsPerCall) / 1000), cpuMsPerCall: round(cpuMsPerCall, 3) } }),
  };
}

/** The same scenario measured several times (--repeat): each figure's median, and every value in run order. */
export interface Repeats {
  kind: 'repeats';
  scenario: Scenario;
  runs: number;
  wallSeconds: Spread;
  cpuSeconds: Spread;
  peakRssMB: Spread;
  /** Each run's ratio to the floor measured right after it (absent without the floor). */
  ratioToSdkFloor?: Spread;
  cpuRatioToSdkFloor?: Spread;
}

export interface Spread {
  median: number;
  all: number[];
}

export function repeatsOf(measurements: readonly Measurement[]): Repeats {
  const spread = (values: readonly number[]): Spread => ({ median: round(median(values)), all: [...values] });
  const first = measurements[0];
  if (!first) throw new Error('no measurement to summarise');
  const ratios = measurements.flatMap((m) => (m.ratioToSdkFloor === undefined ? [] : [m.ratioToSdkFloor]));
  const cpuRatios = measurements.flatMap((m) => (m.cpuRatioToSdkFloor === undefined ? [] : [m.cpuRatioToSdkFloor]));
  return {
    kind: 'repeats',
    scenario: first.scenario,
    runs: measurements.length,
    wallSeconds: spread(measurements.map((m) => m.wallSeconds)),
    cpuSeconds: spread(measurements.map((m) => m.cpuSeconds)),
    peakRssMB: spread(measurements.map((m) => m.peakRssMB)),
    ...(ratios.length === measurements.length ? { ratioToSdkFloor: spread(ratios) } : {}),
    ...(cpuRatios.length === measurements.length ? { cpuRatioToSdkFloor: spread(cpuRatios) } : {}),
  };
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
