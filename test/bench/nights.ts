/**
 * A steady night for the benchmark: the nights before the measured one run against the same
 * simulator (its Security Hub, SNS and S3 history kept), so the measured run reads the previous
 * reports as a real second night does. Only the last night's calls count.
 */
import type { CallCount } from '../sim/server.js';

const keyOf = (c: CallCount) => `${c.service}|${c.operation}|${c.accountId}|${c.region}|${c.status}`;

/**
 * The calls answered between two snapshots of the simulator's cumulative counts (`after` minus
 * `before`, per service, operation, account, region and status); counts that did not grow are left out.
 */
export function callsSince(before: readonly CallCount[], after: readonly CallCount[]): CallCount[] {
  const earlier = new Map(before.map((c) => [keyOf(c), c.count]));
  return after.flatMap((c) => {
    const count = c.count - (earlier.get(keyOf(c)) ?? 0);
    return count > 0 ? [{ ...c, count }] : [];
  });
}

/** The simulator's CPU seconds between two readings (undefined when either is unknown). */
export function cpuSince(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}
