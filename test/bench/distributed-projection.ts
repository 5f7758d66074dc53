/**
 * The arithmetic of the distributed benchmark (distributed.ts), pure: the regions of a generated
 * organization, the wall projected on Lambda from steps measured one or two at a time, and the
 * max / p50 of the workers' figures.
 */
import { DEFAULT_REGIONS } from '../sim/generate.js';

/**
 * The 17 regions every AWS account has enabled by default (no opt-in), the generator's 8 first
 * (so `--regions 4` is the organization the bench always measured).
 */
export const DEFAULT_ENABLED_REGIONS = [
  ...DEFAULT_REGIONS,
  'us-west-1',
  'ap-south-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'sa-east-1',
] as const;

/** The first `count` of DEFAULT_ENABLED_REGIONS; more than 17 is refused (opt-in regions would change the shape). */
export function regionNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > DEFAULT_ENABLED_REGIONS.length) {
    throw new RangeError(`regions: expected a whole number from 1 to ${DEFAULT_ENABLED_REGIONS.length}, got ${count}`);
  }
  return DEFAULT_ENABLED_REGIONS.slice(0, count);
}

/** One step as the projection counts it: its process's init (start → handler ready), the invocation's wall and CPU, in seconds. */
export interface StepSeconds {
  initSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** Lambda's CPU share at a memory size: one vCPU at 1,769 MB, in proportion below (AWS Lambda docs, "Memory and computing power"). */
export function lambdaVcpus(memorySizeMB: number): number {
  return Math.min(6, memorySizeMB / 1769);
}

export interface LambdaProjection {
  /** planner + Σ over waves of MaxConcurrency workers (in the Map's order) of the wave's longest worker + aggregate. */
  wavesSeconds: number;
  /** planner + the Map's span when each worker starts as soon as one of MaxConcurrency slots frees + aggregate. */
  slotsSeconds: number;
  waves: number;
}

/**
 * The wall the run would take on Lambda, where every worker has a CPU of its own: each step
 * counted cold, its init + its invocation, the invocation no shorter than its CPU at Lambda's
 * share (`vcpus`: a 1,024 MB function has 0.58 of one, so a step that used 3 s of CPU here takes
 * at least 5.2 s there): the planner's and the aggregate's `vcpus`, the workers' `workerVcpus`
 * (their function's own memory size; `vcpus` when absent); the workers in the order the Map
 * started them. `waves` is the
 * pessimistic reading (a wave waits for its slowest worker); `slots` is how a Distributed Map
 * schedules (a new child execution as soon as one ends). Neither counts Step Functions' own
 * transitions or Lambda's queueing.
 */
export function projectLambdaWall(
  planner: StepSeconds,
  workers: readonly StepSeconds[],
  aggregate: StepSeconds,
  { maxConcurrency, vcpus, workerVcpus = vcpus }: { maxConcurrency: number; vcpus: number; workerVcpus?: number },
): LambdaProjection {
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw new RangeError(`maxConcurrency: expected a positive integer, got ${maxConcurrency}`);
  if (!(vcpus > 0)) throw new RangeError(`vcpus: expected a positive number, got ${vcpus}`);
  if (!(workerVcpus > 0)) throw new RangeError(`workerVcpus: expected a positive number, got ${workerVcpus}`);
  const cold = (step: StepSeconds, share = vcpus) => step.initSeconds + Math.max(step.wallSeconds, step.cpuSeconds / share);
  const coldWorker = (step: StepSeconds) => cold(step, workerVcpus);
  const ends = cold(planner) + cold(aggregate);
  let waveSum = 0;
  for (let start = 0; start < workers.length; start += maxConcurrency) {
    waveSum += Math.max(...workers.slice(start, start + maxConcurrency).map(coldWorker));
  }
  const slots: number[] = new Array<number>(Math.min(maxConcurrency, workers.length)).fill(0);
  for (const worker of workers) {
    const earliest = slots.indexOf(Math.min(...slots));
    slots[earliest] = slots[earliest]! + coldWorker(worker);
  }
  const span = slots.length ? Math.max(...slots) : 0;
  return { wavesSeconds: round(ends + waveSum), slotsSeconds: round(ends + span), waves: Math.ceil(workers.length / maxConcurrency) };
}

/** The largest value and the median (the lower middle of an even count); zeros when there is none. */
export function maxAndMedian(values: readonly number[]): { max: number; p50: number } {
  if (values.length === 0) return { max: 0, p50: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { max: round(sorted[sorted.length - 1]!), p50: round(sorted[Math.floor((sorted.length - 1) / 2)]!) };
}

const round = (n: number) => Number(n.toFixed(2));
