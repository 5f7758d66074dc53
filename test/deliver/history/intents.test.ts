import { describe, expect, it } from 'vitest';
import { IntentLog, intentsKey, reportKeyOfIntents } from '../../../lib/deliver/history/intents.js';

const RUN = { runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z' };
const KEY = 'runs/2026/01/01/run-1.intents/audit.json';

/** A backend whose writes are held until released, each recorded with the scopes it saved. */
function heldBackend() {
  const writes: { scopes: string[]; release: () => void; fail: (error: Error) => void }[] = [];
  return {
    writes,
    write: (key: string, text: string) =>
      new Promise<string>((resolve, reject) => {
        expect(key).toBe(KEY);
        writes.push({ scopes: (JSON.parse(text) as { scopes: string[] }).scopes, release: () => resolve('etag'), fail: reject });
      }),
  };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('intents.ts', () => {
  it('names a run\'s intent records beside its report, and tells the report back from them', () => {
    expect(intentsKey('runs/2026/01/01/run-1.json', 'batch-111111111111-25')).toBe('runs/2026/01/01/run-1.intents/batch-111111111111-25.json');
    expect(reportKeyOfIntents('runs/2026/01/01/run-1.intents/batch-111111111111-25.json')).toBe('runs/2026/01/01/run-1.json');
    expect(reportKeyOfIntents('runs/2026/01/01/run-1.json')).toBeUndefined();
    expect(reportKeyOfIntents('runs/2026/01/01/run-1.scopes.json')).toBeUndefined();
    expect(() => intentsKey('runs/2026/01/01/run-1.json', '../latest')).toThrow(/cannot name a file/);
  });

  it('writes one at a time, and takes the scopes asked for meanwhile together in the next write', async () => {
    // Prepare
    const backend = heldBackend();
    const log = new IntentLog(backend, KEY, RUN);
    const done: string[] = [];

    // Act: three accounts ask while the first write is in flight
    const first = log.record(['111111111111/us-east-1']).then(() => done.push('first'));
    await settled();
    const second = log.record(['222222222222/us-east-1']).then(() => done.push('second'));
    const third = log.record(['333333333333/eu-west-1', '111111111111/us-east-1']).then(() => done.push('third'));
    await settled();
    const inFlightAlone = backend.writes.length;
    backend.writes[0]!.release();
    await first;
    await settled();

    // Assess: the second write holds every scope asked so far, and answers both waiting callers
    expect(inFlightAlone).toBe(1);
    expect(done).toEqual(['first']);
    expect(backend.writes.map((w) => w.scopes)).toEqual([['111111111111/us-east-1'], ['111111111111/us-east-1', '222222222222/us-east-1', '333333333333/eu-west-1']]);
    backend.writes[1]!.release();
    await Promise.all([second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    // Already saved: no write
    await log.record(['222222222222/us-east-1']);
    expect(backend.writes).toHaveLength(2);
  });

  it('fails the callers of a failed write, and a later write takes their scopes along', async () => {
    // Prepare
    const backend = heldBackend();
    const log = new IntentLog(backend, KEY, RUN, { retryAfterMs: 0 });

    // Act
    const failed = log.record(['111111111111/us-east-1']).then(() => undefined, (error: unknown) => error);
    await settled();
    backend.writes[0]!.fail(new Error('SlowDown'));
    const later = log.record(['222222222222/us-east-1']);
    await settled();
    backend.writes[1]!.release();

    // Assess
    expect(await failed).toEqual(new Error('SlowDown'));
    await later;
    expect(backend.writes[1]!.scopes).toEqual(['111111111111/us-east-1', '222222222222/us-east-1']);
  });

  it('fails at once for a while after a failed write, without writing again, then tries again', async () => {
    // Prepare: a history that is down
    let now = 0;
    const backend = heldBackend();
    const log = new IntentLog(backend, KEY, RUN, { retryAfterMs: 10_000, clock: () => now });
    const outcome = (p: Promise<void>) => p.then(() => 'saved', (error: unknown) => (error as Error).message);
    const first = outcome(log.record(['111111111111/us-east-1']));
    await settled();
    backend.writes[0]!.fail(new Error('SlowDown'));
    const firstOutcome = await first;

    // Act: other accounts ask within the pause, then after it
    now = 9_999;
    const during = await outcome(log.record(['222222222222/us-east-1']));
    now = 10_000;
    const after = outcome(log.record(['333333333333/us-east-1']));
    await settled();
    backend.writes[1]!.release();

    // Assess
    expect(firstOutcome).toBe('SlowDown');
    expect(during).toBe('SlowDown');
    expect(await after).toBe('saved');
    expect(backend.writes).toHaveLength(2);
    expect(backend.writes[1]!.scopes).toEqual(['111111111111/us-east-1', '222222222222/us-east-1', '333333333333/us-east-1']);
  });
});
