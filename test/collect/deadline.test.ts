import { describe, expect, it } from 'vitest';
import { DeadlineReachedError, raceDeadline } from '../../lib/collect/deadline.js';

/** Unhandled rejections seen while `act` runs and a few turns of the event loop after it. */
async function unhandledDuring(act: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await act().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('raceDeadline', () => {
  it('rejects with DeadlineReached once the signal has fired, and the abandoned call failing later is not unhandled', async () => {
    // Prepare: the deadline has passed when the SDK starts the call (a page of a paginator, say)
    const controller = new AbortController();
    controller.abort();
    const call = new Promise((_, reject) => setTimeout(() => reject(new Error('AbortError: Request aborted')), 5));

    // Act
    let outcome: unknown;
    const unhandled = await unhandledDuring(async () => {
      outcome = await raceDeadline(call, controller.signal).catch((error: unknown) => error);
    });

    // Assess
    expect(outcome).toBeInstanceOf(DeadlineReachedError);
    expect(unhandled).toEqual([]);
  });

  it('cuts a call in flight when the signal fires, and lets a call that ends first through', async () => {
    // Prepare
    const controller = new AbortController();
    const hung = new Promise(() => undefined);

    // Act
    const cut = raceDeadline(hung, controller.signal);
    controller.abort();

    // Assess
    await expect(cut).rejects.toBeInstanceOf(DeadlineReachedError);
    await expect(raceDeadline(Promise.resolve(42), new AbortController().signal)).resolves.toBe(42);
  });
});
