import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { carriedOf, computeDelta, departuresToRetry, knownFindings, resolvedOf, unsettledPending, type Baseline } from '../../../lib/deliver/history/delta.js';
import { LocalHistoryStore } from '../../../lib/deliver/history/local-store.js';
import { RecheckIndex } from '../../../lib/deliver/lifecycle.js';
import { aFinding, aRecheck, aReport } from '../fixtures.js';

const ids = (list: { id: string }[]) => list.map((f) => f.id);
const notified: Baseline = { kind: 'last-notified', runId: 'run-1' };
const index = (clusters: string[], overrides = {}) => new RecheckIndex(aRecheck(clusters, overrides));

describe('delta.ts', () => {
  it('reports everything as NEW on the first run', () => {
    // Prepare
    const current = [aFinding({ clusterName: 'a' }), aFinding({ clusterName: 'b' })];

    // Act
    const delta = computeDelta(current, undefined, index(['a', 'b']), { kind: 'first-run' });

    // Assess
    expect(ids(delta.new)).toEqual(ids(current));
    expect(delta.resolved).toEqual([]);
    expect(ids(delta.open)).toEqual(ids(current));
  });

  it('reports what this run re-read and no longer found as RESOLVED with why, and what stayed as open but not new', () => {
    // Prepare
    const stays = aFinding({ clusterName: 'stays' });
    const fixed = aFinding({ clusterName: 'fixed' });
    const deleted = aFinding({ clusterName: 'deleted' });
    const appears = aFinding({ clusterName: 'appears' });

    // Act
    const delta = computeDelta([stays, appears], [stays, fixed, deleted], index(['stays', 'fixed', 'appears']), notified);

    // Assess
    expect(ids(delta.new)).toEqual([appears.id]);
    expect(ids(delta.resolved)).toEqual([fixed.id, deleted.id]);
    expect(delta.why).toEqual({ [fixed.id]: 'fixed', [deleted.id]: 'cluster deleted' });
    expect(ids(delta.open)).toEqual([stays.id, appears.id]);
    expect(delta.unknown).toEqual([]);
  });

  it('carries, with the reason, a finding whose cluster or rule could not be re-checked', () => {
    // Prepare
    const unread = aFinding({ clusterName: 'unread' });
    const failedRegion = aFinding({ region: 'us-east-1', clusterName: 'far' });
    const recheck = aRecheck(['unread'], {
      regions: ['eu-west-1', 'us-east-1'],
      skipped: [{ accountId: '111122223333', region: 'eu-west-1', cluster: 'unread', ruleId: 'vpc-cni-known-bug', reason: 'aws-node unreadable: 403 Forbidden' }],
    });
    recheck.scopes.push({ accountId: '111122223333', region: 'us-east-1', failed: 'list-clusters failed (ThrottlingException)', clusters: [] });

    // Act
    const delta = computeDelta([], [unread, failedRegion], new RecheckIndex(recheck), notified);

    // Assess
    expect(delta.resolved).toEqual([]);
    expect(ids(delta.unknown)).toEqual([unread.id, failedRegion.id]);
    expect(carriedOf(delta).map((f) => [f.clusterName, f.carriedBecause])).toEqual([
      ['unread', 'aws-node unreadable: 403 Forbidden'],
      ['far', 'list-clusters failed (ThrottlingException)'],
    ]);
  });

  it('tells an account that left the scan from one whose scan failed, once, with the reason', () => {
    // Prepare
    const left = aFinding({ accountId: '222222222222', clusterName: 'gone-with-account' });
    const suspended = aFinding({ accountId: '333333333333', clusterName: 'suspended' });
    const failed = aFinding({ accountId: '444444444444', clusterName: 'role-denied' });
    const recheck = aRecheck([], {
      accounts: [
        { accountId: '111122223333', status: 'scanned', notEnabled: [] },
        { accountId: '333333333333', status: 'suspended', reason: 'the account is SUSPENDED' },
        { accountId: '444444444444', status: 'failed', reason: 'assume-role failed (AccessDenied)' },
      ],
    });

    // Act
    const delta = computeDelta([], [left, suspended, failed], new RecheckIndex(recheck), notified);

    // Assess
    expect(resolvedOf(delta).map((f) => [f.accountId, f.resolvedBecause])).toEqual([
      ['222222222222', 'the account left the organization'],
      ['333333333333', 'the account is SUSPENDED'],
    ]);
    expect(delta.departures.map((d) => [d.accountId, d.region, d.findings.length, d.archivable])).toEqual([
      ['222222222222', undefined, 1, false],
      ['333333333333', undefined, 1, false],
    ]);
    expect(carriedOf(delta).map((f) => [f.accountId, f.carriedBecause])).toEqual([['444444444444', 'assume-role failed (AccessDenied)']]);
  });

  it('carries silently what a narrowed run was not asked for, and findings of rules it did not evaluate', () => {
    // Prepare
    const otherAccount = aFinding({ accountId: '555555555555', clusterName: 'not-asked' });
    const teamRule = aFinding({ ruleId: 'team-minimum-version', clusterName: 'a' });
    const recheck = aRecheck(['a'], { narrowed: true, accounts: [{ accountId: '111122223333', status: 'scanned' }, { accountId: '555555555555', status: 'outside-run', reason: 'not among the accounts to audit' }] });

    // Act
    const delta = computeDelta([], [otherAccount, teamRule], new RecheckIndex(recheck), notified);

    // Assess
    expect(delta.resolved).toEqual([]);
    expect(delta.unknown).toEqual([]);
    expect(ids(delta.quiet)).toEqual([otherAccount.id, teamRule.id]);
    expect(carriedOf(delta)).toHaveLength(2);
  });

  it('keeps pending what could not be archived until a run retries or settles it: outside a narrowed run, of a rule not evaluated, unread', () => {
    // Prepare: archivePending of an earlier run, one finding of each fate
    const excluded = aFinding({ accountId: '222222222222', clusterName: 'excluded' });
    const notAsked = aFinding({ accountId: '555555555555', clusterName: 'not-asked' });
    const teamRule = aFinding({ ruleId: 'team-minimum-version', clusterName: 'a' });
    const unread = aFinding({ accountId: '666666666666', clusterName: 'unread' });
    const left = aFinding({ accountId: '777777777777', clusterName: 'left' });
    const back = aFinding({ clusterName: 'a' });
    const recheck = aRecheck(['a'], {
      narrowed: true,
      accounts: [
        { accountId: '111122223333', status: 'scanned' },
        { accountId: '222222222222', status: 'excluded', reason: 'excluded by AUDIT_EXCLUDE_OUS' },
        { accountId: '555555555555', status: 'outside-run', reason: 'not among the accounts to audit' },
        { accountId: '666666666666', status: 'failed', reason: 'AccessDenied' },
      ],
    });
    const pending = [excluded, notAsked, teamRule, unread, left, back];

    // Act
    const retried = departuresToRetry(pending, new RecheckIndex(recheck));
    const unsettled = unsettledPending(pending, new RecheckIndex(recheck));

    // Assess: retried now, kept for later; the one that left the organization and the one back in the audit are let go
    expect(retried.flatMap((d) => ids(d.findings))).toEqual([excluded.id]);
    expect(ids(unsettled)).toEqual([notAsked.id, teamRule.id, unread.id]);
  });

  it('does not resolve a finding that is now suppressed', () => {
    // Prepare
    const accepted = aFinding({ clusterName: 'sandbox' });

    // Act
    const delta = computeDelta([], [accepted], index(['sandbox']), notified, { suppressedIds: [accepted.id] });

    // Assess
    expect(delta.resolved).toEqual([]);
    expect(ids(delta.suppressed)).toEqual([accepted.id]);
  });

  it('with the baseline unavailable: nothing NEW, RESOLVED from what Security Hub archived', () => {
    // Prepare
    const open = aFinding({ clusterName: 'open' });
    const archived = aFinding({ clusterName: 'fixed-overnight' });

    // Act
    const delta = computeDelta([open], undefined, index(['open', 'fixed-overnight']), { kind: 'unavailable' }, { archivedBySecurityHub: [{ finding: archived, reason: 'fixed' }] });

    // Assess
    expect(delta.new).toEqual([]);
    expect(ids(delta.open)).toEqual([open.id]);
    expect(ids(delta.resolved)).toEqual([archived.id]);
    expect(delta.why[archived.id]).toBe('fixed');
  });

  it('still reports the news after a failed publish, when compared with the last notified run', () => {
    // Prepare: run 1 notified with {a}; run 2 found {a, b} and resolved nothing, but its publish failed
    const a = aFinding({ clusterName: 'a' });
    const b = aFinding({ clusterName: 'b' });
    const lastNotified = aReport({ findings: [a] });

    // Act: run 3 sees the same as run 2
    const delta = computeDelta([a, b], knownFindings(lastNotified), index(['a', 'b']), notified);

    // Assess
    expect(ids(delta.new)).toEqual([b.id]);
  });

  it('counts carried-over findings of a previous run as known, so they are neither new nor lost', () => {
    // Prepare: the previous run could not scan this cluster and carried its finding over
    const carried = aFinding({ clusterName: 'far' });
    const previous = { ...aReport({ findings: [] }), carriedOver: [{ ...carried, carriedBecause: 'aws-node unreadable: timeout' }] };

    // Act
    const seenAgain = computeDelta([carried], knownFindings(previous), index(['far']), notified);
    const goneNow = computeDelta([], knownFindings(previous), index(['far']), notified);

    // Assess
    expect(seenAgain.new).toEqual([]);
    expect(ids(goneNow.resolved)).toEqual([carried.id]);
    expect(resolvedOf(goneNow)[0]).not.toHaveProperty('carriedBecause');
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
    const { report, baseline } = await store.baseline();
    const delta = computeDelta([a, b], knownFindings(report), index(['a', 'b', 'gone']), baseline);

    // Assess
    expect(baseline).toEqual({ kind: 'last-notified', runId: 'run-1' });
    expect(ids(delta.new)).toEqual([b.id]);
    expect(ids(delta.resolved)).toEqual([gone.id]);
  });
});
