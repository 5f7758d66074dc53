import { setMaxListeners } from 'node:events';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The run's deadline, enforced on the calls themselves. Stopping new accounts at the deadline is
 * not enough: one call hung on a half-open connection (the SDK retries a timed-out call, 8 times
 * 30 s) would hold the run past the Lambda timeout, and nothing would be delivered. So every SDK
 * call of the scan is cut when the deadline passes — in flight, or sleeping between retries — and
 * the run goes on to deliver what it has; what was cut is recorded as not re-checked.
 */

/** What a call cut by the run deadline rejects with: recorded as a failure of its account, region or cluster. */
export class DeadlineReachedError extends Error {
  override readonly name = 'DeadlineReached';
  constructor(message = 'the run deadline passed while this call was in flight') {
    super(message);
  }
}

/** A signal that fires at `deadline` (epoch ms); undefined without a deadline. */
export function deadlineSignal(deadline: number | undefined, now: number = Date.now()): AbortSignal | undefined {
  if (deadline === undefined) return undefined;
  const signal = AbortSignal.timeout(Math.max(0, deadline - now));
  // Every call of the scan listens to it at once: no MaxListenersExceededWarning for that.
  setMaxListeners(0, signal);
  return signal;
}

/** `promise`, or a DeadlineReachedError as soon as the signal fires (the promise is abandoned). */
export function raceDeadline<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // The abandoned call's own failure (an AbortError from the handler) is not unhandled.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new DeadlineReachedError());
  let cleanup = () => undefined as void;
  const cut = new Promise<never>((_, reject) => {
    const abort = () => reject(new DeadlineReachedError());
    signal.addEventListener('abort', abort, { once: true });
    cleanup = () => signal.removeEventListener('abort', abort);
  });
  return Promise.race([promise, cut]).finally(cleanup);
}

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

/**
 * A request handler that aborts its requests when the signal fires: sockets of calls in flight
 * are closed, and a retry after the deadline fails at once (the SDK does not retry an AbortError).
 * It sends through the run's shared handler (its sockets); it never opens any of its own.
 */
export class DeadlineHandler extends NodeHttpHandler {
  constructor(
    private readonly inner: NodeHttpHandler,
    private readonly signal: AbortSignal,
  ) {
    super();
  }

  override handle(request: HandleArgs[0], options: HandleArgs[1] = {}): ReturnType<NodeHttpHandler['handle']> {
    const own = options.abortSignal as AbortSignal | undefined;
    const abortSignal = own ? AbortSignal.any([own, this.signal]) : this.signal;
    return this.inner.handle(request, { ...options, abortSignal: abortSignal as NonNullable<HandleArgs[1]>['abortSignal'] });
  }

  /** The inner handler (and its sockets) belongs to the run: it destroys it at the end. */
  override destroy(): void {}
}

/** The client middleware that rejects a call the moment the deadline passes, even mid-backoff. */
interface MiddlewareStackLike {
  middlewareStack: {
    add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
  };
}

/** Makes every call of `client` give up at the deadline (with DeadlineHandler on its request handler). */
export function withDeadline<T>(client: T, signal: AbortSignal | undefined): T {
  if (!signal) return client;
  (client as unknown as MiddlewareStackLike).middlewareStack.add((next) => (args) => raceDeadline(next(args), signal), { step: 'initialize', name: 'runDeadline' });
  return client;
}
