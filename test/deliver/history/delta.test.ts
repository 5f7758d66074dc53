import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeDelta, knownFindings } from '../../../lib/deliver/history/delta.js';
import { LocalHistoryStore } from '../../../lib/deliver/history/local-store.js';
import { aFinding, aReport } from '../fixtures.js';

const euScope = { accountId: '111122223333', region: 'eu-west-1' };
const ids = (list: { id: string }[]) => list.map((f) => f.id);

describe('delta.ts', () => {
  it('reports everything as NEW on the first run', () => {
    // Prepare
    const current = [aFinding({ clusterName: 'a' }), aFinding({ clusterName: 'b' })];

    // Act
    const delta = computeDelta(current, undefined, [euScope]);

    // Assess
    expect(ids(delta.new)).toEqual(ids(current));
    expect(delta.resolved).toEqual([]);
    expect(ids(delta.open)).toEqual(ids(current));
  });

  it('reports what disappeared from a completed scope as RESOLVED, and what stayed as open but not new', () => {
    // Prepare
    const stays = aFinding({ clusterName: 'stays' });
    const fixed = aFinding({ clusterName: 'fixed' });
    const appears = aFinding({ clusterName: 'appears' });

    // Act
    const delta = computeDelta([stays, appears], [stays, fixed], [euScope]);

    // Assess
    expect(ids(delta.new)).toEqual([appears.id]);
    expect(ids(delta.resolved)).toEqual([fixed.id]);
    expect(ids(delta.open)).toEqual([stays.id, appears.id]);
    expect(delta.unknown).toEqual([]);
  });

  it('does not resolve a finding whose scope did not complete: it is unknown, carried over', () => {
    // Prepare
    const unseen = aFinding({ region: 'us-east-1', clusterName: 'unseen' });

    // Act
    const delta = computeDelta([], [unseen], [euScope]);

    // Assess
    expect(delta.resolved).toEqual([]);
    expect(ids(delta.unknown)).toEqual([unseen.id]);
  });

  it('does not resolve a finding that is now suppressed', () => {
    // Prepare
    const accepted = aFinding({ clusterName: 'sandbox' });

    // Act
    const delta = computeDelta([], [accepted], [euScope], { suppressedIds: [accepted.id] });

    // Assess
    expect(delta.resolved).toEqual([]);
    expect(ids(delta.suppressed)).toEqual([accepted.id]);
  });

  it('still reports the news after a failed publish, when compared with the last notified run', () => {
    // Prepare: run 1 notified with {a}; run 2 found {a, b} and resolved nothing, but its publish failed
    const a = aFinding({ clusterName: 'a' });
    const b = aFinding({ clusterName: 'b' });
    const lastNotified = aReport({ findings: [a] });

    // Act: run 3 sees the same as run 2
    const delta = computeDelta([a, b], knownFindings(lastNotified), [euScope]);

    // Assess
    expect(ids(delta.new)).toEqual([b.id]);
  });

  it('counts carried-over findings of a previous run as known, so they are neither new nor lost', () => {
    // Prepare: the previous run could not scan us-east-1 and carried its finding over
    const carried = aFinding({ region: 'us-east-1', clusterName: 'far' });
    const previous = { ...aReport({ findings: [] }), carriedOver: [carried] };

    // Act
    const seenAgain = computeDelta([carried], knownFindings(previous), [euScope, { accountId: '111122223333', region: 'us-east-1' }]);
    const goneNow = computeDelta([], knownFindings(previous), [euScope, { accountId: '111122223333', region: 'us-east-1' }]);

    // Assess
    expect(seenAgain.new).toEqual([]);
    expect(ids(goneNow.resolved)).toEqual([carried.id]);
  });

  it('carries NEW and RESOLVED of a run whose publish failed into the next message, through the history', async () => {
    // Prepare: run 1 notified {a, gone}; run 2 saw {a, b}, its publish failed
    const store = new LocalHistoryStore(await mkdtemp(join(tmpdir(), 'delta-')));
    const a = aFinding({ clusterName: 'a' });
    const b = aFinding({ clusterName: 'b' });
    const gone = aFinding({ clusterName: 'gone' });
    await store.save(aReport({ runId: 'run-1', findings: [a, gone] }), { notified: true });
    await store.save(aReport({ runId: 'run-2', startedAt: '2026-02-01T02:00:00.000Z', findings: [a, b] }), { notified: false });

    // Act: run 3 sees the same as run 2
    const delta = computeDelta([a, b], knownFindings(await store.lastNotified()), [euScope]);

    // Assess
    expect(ids(delta.new)).toEqual([b.id]);
    expect(ids(delta.resolved)).toEqual([gone.id]);
  });
});
