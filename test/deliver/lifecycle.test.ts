import { describe, expect, it } from 'vitest';
import { RecheckIndex, type FindingKey } from '../../lib/deliver/lifecycle.js';
import type { Recheck } from '../../lib/types.js';
import { aRecheck } from './fixtures.js';

const ACCOUNT = '111122223333';
const key = (overrides: Partial<FindingKey> = {}): FindingKey => ({ ruleId: 'vpc-cni-known-bug', accountId: ACCOUNT, region: 'eu-west-1', clusterName: 'payments', ...overrides });
const fate = (recheck: Recheck, overrides: Partial<FindingKey> = {}) => new RecheckIndex(recheck).fateOf(key(overrides));

describe('lifecycle.ts', () => {
  it('resolves only what was re-read with the rule that raised it', () => {
    // Prepare
    const recheck = aRecheck(['payments', 'read-failed', 'aws-node-403'], {
      skipped: [{ accountId: ACCOUNT, region: 'eu-west-1', cluster: 'aws-node-403', ruleId: 'vpc-cni-known-bug', reason: 'aws-node unreadable: 403 Forbidden' }],
    });
    recheck.scopes[0]!.clusters[1]!.failed = 'describe-addon failed (ThrottlingException)';

    // Act + Assess
    expect(fate(recheck)).toEqual({ kind: 'resolved', reason: 'fixed' });
    expect(fate(recheck, { clusterName: 'gone' })).toEqual({ kind: 'resolved', reason: 'cluster deleted' });
    expect(fate(recheck, { clusterName: 'read-failed' })).toEqual({ kind: 'not-rechecked', reason: 'describe-addon failed (ThrottlingException)' });
    expect(fate(recheck, { clusterName: 'aws-node-403' })).toEqual({ kind: 'not-rechecked', reason: 'aws-node unreadable: 403 Forbidden' });
  });

  it('leaves the findings of a rule this run did not evaluate alone, wherever they are', () => {
    // Act + Assess
    expect(fate(aRecheck(['payments']), { ruleId: 'team-rule' })).toEqual({ kind: 'other-rule' });
    expect(fate(aRecheck([]), { ruleId: 'team-rule', accountId: '999999999999' })).toEqual({ kind: 'other-rule' });
  });

  it('carries the findings of a region whose clusters could not be listed, and of an account not scanned', () => {
    // Prepare
    const recheck = aRecheck([], {
      accounts: [
        { accountId: ACCOUNT, status: 'scanned' },
        { accountId: '222222222222', status: 'failed', reason: 'assume-role failed (AccessDenied)' },
      ],
      scopes: [{ accountId: ACCOUNT, region: 'eu-west-1', failed: 'list-clusters failed (InternalFailure)', clusters: [] }],
    });

    // Act + Assess
    expect(fate(recheck)).toEqual({ kind: 'not-rechecked', reason: 'list-clusters failed (InternalFailure)' });
    expect(fate(recheck, { accountId: '222222222222' })).toEqual({ kind: 'not-rechecked', reason: 'assume-role failed (AccessDenied)' });
  });

  it('tells each way of leaving the audit, and which can still be archived', () => {
    // Prepare
    const recheck = aRecheck(['payments'], {
      accounts: [
        { accountId: ACCOUNT, status: 'scanned', notEnabled: ['ap-east-1'] },
        { accountId: '333333333333', status: 'suspended', reason: 'the account is SUSPENDED' },
        { accountId: '444444444444', status: 'excluded', reason: 'under an OU excluded from the audit' },
      ],
    });

    // Act + Assess
    expect(fate(recheck, { accountId: '222222222222' })).toEqual({ kind: 'departed', reason: 'the account left the organization', archivable: false });
    expect(fate(recheck, { accountId: '333333333333' })).toEqual({ kind: 'departed', reason: 'the account is SUSPENDED', archivable: false });
    expect(fate(recheck, { accountId: '444444444444' })).toEqual({ kind: 'departed', reason: 'the account is under an OU excluded from the audit', archivable: true });
    expect(fate(recheck, { region: 'ap-east-1' })).toEqual({ kind: 'departed', reason: 'ap-east-1 is not enabled in the account', archivable: false, region: true });
    expect(fate(recheck, { region: 'us-west-2' })).toEqual({ kind: 'departed', reason: 'us-west-2 is no longer among the audited regions', archivable: true, region: true });
    expect(fate({ ...recheck, regions: 'all' }, { region: 'me-south-1' })).toEqual({ kind: 'departed', reason: 'me-south-1 is not enabled in the account', archivable: false, region: true });
  });

  it('carries silently what a narrowed run was not asked to scan', () => {
    // Prepare
    const recheck = aRecheck(['payments'], {
      narrowed: true,
      accounts: [
        { accountId: ACCOUNT, status: 'scanned' },
        { accountId: '555555555555', status: 'outside-run', reason: 'not among the accounts to audit' },
      ],
    });

    // Act + Assess
    expect(fate(recheck, { accountId: '555555555555' })).toMatchObject({ kind: 'outside-run' });
    expect(fate(recheck, { region: 'us-west-2' })).toMatchObject({ kind: 'outside-run' });
  });
});
