import pRetry from 'p-retry';
import { isRetryableAwsError } from '../retryable.js';

/**
 * Retries for the per-account gates (AssumeRole, ListRegions): if one of them fails, the whole
 * account goes unaudited for the night, so after the SDK's own attempts are spent on throttling or
 * a 5xx, they are tried again with backoff for as long as the run's scan may last. An error the
 * SDK would not retry either (AccessDenied, a validation error) fails at once.
 */
export interface GateRetryOptions {
  /** Fires when the scan must end: no retry is started after it. */
  signal?: AbortSignal;
  /** Retries after the first failure (default 6; the deadline usually ends them first). */
  retries?: number;
  /** First backoff, in ms (default 1000; doubled each time, with jitter, up to 20 s). */
  minTimeoutMs?: number;
}

export function retryGate<T>(call: () => Promise<T>, options: GateRetryOptions = {}): Promise<T> {
  if (options.signal?.aborted) return call();
  return pRetry(call, {
    retries: options.retries ?? 6,
    factor: 2,
    minTimeout: options.minTimeoutMs ?? 1_000,
    maxTimeout: 20_000,
    randomize: true,
    ...(options.signal ? { signal: options.signal } : {}),
    shouldRetry: ({ error }) => isRetryableAwsError(error),
  });
}
