import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directoryHistoryBackend } from '../../lib/deliver/history/local-store.js';
import { LEASE_KEY, LeaseHeldError, releaseLeaseOf, RunLease } from '../../lib/deliver/lease.js';

const backend = async () => directoryHistoryBackend(await mkdtemp(join(tmpdir(), 'lease-')));
const clock = (start = Date.parse('2026-11-30T02:00:00Z')) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('lease.ts', () => {
  it('lets one run at a time hold it, and tells the second which run holds it until when', async () => {
    // Prepare
    const store = await backend();
    const time = clock();
    const first = await RunLease.acquire(store, { runId: 'night-a', holder: 'lambda:audit', ttlMs: 300_000, renew: false, now: time.now });

    // Act
    const refused = await rejection(RunLease.acquire(store, { runId: 'manual-b', holder: 'cli:alice', renew: false, now: time.now }));

    // Assess
    expect(first.runId).toBe('night-a');
    expect(refused).toBeInstanceOf(LeaseHeldError);
    expect(refused.message).toBe('run night-a (lambda:audit) holds the lease until 2026-11-30T02:05:00.000Z: this run does not start');
  });

  it('expires on its own after a crash, and is released at the end of a run', async () => {
    // Prepare
    const store = await backend();
    const time = clock();
    await RunLease.acquire(store, { runId: 'crashed', holder: 'lambda:audit', ttlMs: 60_000, renew: false, now: time.now });
    time.advance(61_000);

    // Act
    const next = await RunLease.acquire(store, { runId: 'next', holder: 'lambda:audit', ttlMs: 60_000, renew: false, now: time.now });
    await next.release();
    const after = await RunLease.acquire(store, { runId: 'after', holder: 'cli:bob', ttlMs: 60_000, renew: false, now: time.now });

    // Assess
    expect(after.runId).toBe('after');
    expect(JSON.parse((await store.read(LEASE_KEY))!.text)).toMatchObject({ runId: 'after', holder: 'cli:bob' });
  });

  it('renews while the run goes on, and knows it lost the lease when another run took it after it expired', async () => {
    // Prepare
    const store = await backend();
    const time = clock();
    const lost: string[] = [];
    const slow = await RunLease.acquire(store, { runId: 'slow', holder: 'a', ttlMs: 60_000, renew: false, now: time.now, onLost: (r) => lost.push(r) });
    time.advance(50_000);
    await slow.renew();
    time.advance(50_000);
    const held = await rejection(RunLease.acquire(store, { runId: 'other', holder: 'b', ttlMs: 60_000, renew: false, now: time.now }));
    time.advance(70_000);
    await RunLease.acquire(store, { runId: 'other', holder: 'b', ttlMs: 60_000, renew: false, now: time.now });

    // Act
    await slow.renew();

    // Assess
    expect(held).toBeInstanceOf(LeaseHeldError);
    expect(slow.lost).toBe(true);
    expect(lost).toEqual(['another run took the lease after it expired']);
  });

  it('is released by the step that ends a distributed run, only for that run', async () => {
    // Prepare
    const store = await backend();
    await RunLease.acquire(store, { runId: 'distributed-1', holder: 'lambda:audit', renew: false });

    // Act
    const otherRun = await releaseLeaseOf(store, 'distributed-0');
    const ownRun = await releaseLeaseOf(store, 'distributed-1');

    // Assess
    expect([otherRun, ownRun]).toEqual([false, true]);
    expect((await RunLease.acquire(store, { runId: 'next', holder: 'x', renew: false })).runId).toBe('next');
  });
});
