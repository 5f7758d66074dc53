/** What the benchmark and its measured child process (product-child.ts) say to each other. */
import type { RunOutcome } from '../../lib/run.js';
import type { FloorRequest } from './floor.js';

/** The child's stdout line that carries its result (the other lines are the handler's logs). */
export const RESULT_MARKER = 'BENCH_RESULT ';

export interface ChildRequest {
  /** `calibrate`: CPU per SDK call on one warm client, the floor under any run's CPU. */
  mode: 'handler' | 'naive' | 'calibrate' | 'floor';
  /** The handler's environment: simulatorEnv with the scenario's settings. */
  env: Record<string, string>;
  /** For `floor`: the calls to replay (bench/floor.ts). */
  floor?: FloorRequest;
}

export interface HandlerRun {
  accounts: RunOutcome['report']['coverage']['accounts'];
  clusters: RunOutcome['report']['coverage']['clusters'];
  regions: RunOutcome['report']['coverage']['regions'];
  completedScopes: number;
  findings: number;
  /** `stage:code` → count. */
  errors: Record<string, number>;
  delivery: RunOutcome['delivery'];
  /** The stored report.json as the history writes it (pretty-printed), in UTF-8 bytes. */
  reportBytes: number;
}

export interface ChildResult {
  mode: ChildRequest['mode'];
  wallMs: number;
  cpuMs: number;
  /** Peak RSS once the code is loaded, before the run. */
  rssBaselineMB: number;
  peakRssMB: number;
  /** The largest heap in use (live objects and garbage not yet collected), sampled every 50 ms. */
  peakHeapMB: number;
  handler?: HandlerRun;
  naive?: { accounts: number; clusters: number; errors: Record<string, number> };
  calibrate?: { calls: number; cpuMsPerCall: number };
  floor?: { calls: number };
}
