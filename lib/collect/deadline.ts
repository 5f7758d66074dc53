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

/** The calls waiting on each deadline signal: the signal itself has one listener, whatever their number. */
const waitingOn = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `onAbort` when `signal` fires (at once if it has); returns what stops waiting.
 *
 * Every call of the scan waits on the one run deadline, several listeners each. EventTarget keeps
 * a signal's listeners in a list it walks on every add and remove (its duplicate check): with ~300
 * calls in flight each add cost their number (measured: 1.5 % of a 1,000-account run's CPU). The
 * signal gets one listener that calls a Set's: O(1) each way.
 */
export function onDeadline(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort();
    return () => undefined;
  }
  let waiting = waitingOn.get(signal);
  if (!waiting) {
    const all = new Set<() => void>();
    waiting = all;
    waitingOn.set(signal, all);
    signal.addEventListener(
      'abort',
      () => {
        const callbacks = [...all];
        all.clear();
        for (const callback of callbacks) callback();
      },
      { once: true },
    );
  }
  const entry = () => onAbort();
  waiting.add(entry);
  return () => void waiting.delete(entry);
}

/** How many are waiting on `signal` through onDeadline (what a run leaves behind is a leak). */
export function deadlineWaiters(signal: AbortSignal): number {
  return waitingOn.get(signal)?.size ?? 0;
}

/** `promise`, or a DeadlineReachedError as soon as the signal fires (the promise is abandoned). */
export function raceDeadline<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // The abandoned call's own failure (an AbortError from the handler) is not unhandled.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new DeadlineReachedError());
  let stop = () => undefined as void;
  const cut = new Promise<never>((_, reject) => {
    stop = onDeadline(signal, () => reject(new DeadlineReachedError()));
  });
  return Promise.race([promise, cut]).finally(() => stop());
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
    // Its own signal, aborted by the deadline through onDeadline: the handler's listener is then
    // one of one, not one of every call in flight on the run's signal.
    const controller = new AbortController();
    const stop = onDeadline(this.signal, () => controller.abort(this.signal.reason));
    const own = options.abortSignal as AbortSignal | undefined;
    const abortSignal = own ? AbortSignal.any([own, controller.signal]) : controller.signal;
    return this.inner.handle(request, { ...options, abortSignal: abortSignal as NonNullable<HandleArgs[1]>['abortSignal'] }).then(
      (out) => {
        // The body is still arriving: the deadline closes its socket until it has all come (as the
        // handler's own listener did, removed when the request closes).
        const body = out.response.body as { once?: (event: string, listener: () => void) => void } | undefined;
        if (typeof body?.once === 'function') body.once('close', stop);
        else stop();
        return out;
      },
      (error: unknown) => {
        stop();
        throw error;
      },
    );
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
