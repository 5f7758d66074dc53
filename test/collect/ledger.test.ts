import { describe, expect, it } from 'vitest';
import { ScanLedger } from '../../lib/collect/ledger.js';
import type { ClusterFacts } from '../../lib/types.js';

function facts(accountId: string, region: string, clusterName: string, managed = true): ClusterFacts {
  return {
    accountId,
    accountName: accountId,
    partition: 'aws',
    region,
    clusterName,
    clusterArn: `arn:aws:eks:${region}:${accountId}:cluster/${clusterName}`,
    kubernetesVersion: '1.30',
    clusterStatus: 'ACTIVE',
    tags: {},
    cni: {
      managed,
      source: managed ? 'addon' : 'none',
      version: null,
      status: null,
      healthIssues: [],
      configurationValues: null,
      serviceAccountRoleArn: null,
      podIdentityAssociations: [],
    },
  };
}

describe('ledger.ts', () => {
  it('sorts clusters, errors, notes and scopes by account, region and cluster', () => {
    // Prepare
    const ledger = new ScanLedger();
    ledger.clusterScanned(facts('2', 'eu-west-1', 'b'));
    ledger.clusterScanned(facts('1', 'us-east-1', 'a', false));
    ledger.clusterScanned(facts('1', 'eu-west-1', 'z'));
    ledger.clusterScanned(facts('1', 'eu-west-1', 'Y'));
    ledger.clusterFailed({ accountId: '2', region: 'eu-west-1', cluster: 'c', stage: 'describe-cluster', code: 'X', message: '' });
    ledger.accountFailed({ accountId: '1', stage: 'assume-role', code: 'AccessDenied', message: '' });
    ledger.regionListed('2', 'eu-west-1', [{ name: 'c', failed: 'describe-cluster failed (X)' }, { name: 'b' }]);
    ledger.regionListed('1', 'us-east-1', [{ name: 'a' }]);
    ledger.regionListed('1', 'eu-west-1', [{ name: 'z' }, { name: 'Y' }]);

    // Act
    const result = ledger.finish();

    // Assess
    expect(result.clusters.map((c) => `${c.accountId}/${c.region}/${c.clusterName}`)).toEqual([
      '1/eu-west-1/Y',
      '1/eu-west-1/z',
      '1/us-east-1/a',
      '2/eu-west-1/b',
    ]);
    expect(result.errors.map((e) => e.accountId)).toEqual(['1', '2']);
    // Completed: listed, and every cluster read.
    expect(result.completedScopes).toEqual([
      { accountId: '1', region: 'eu-west-1' },
      { accountId: '1', region: 'us-east-1' },
    ]);
    expect(result.checks.scopes).toEqual([
      { accountId: '1', region: 'eu-west-1', clusters: [{ name: 'Y' }, { name: 'z' }] },
      { accountId: '1', region: 'us-east-1', clusters: [{ name: 'a' }] },
      { accountId: '2', region: 'eu-west-1', clusters: [{ name: 'b' }, { name: 'c', failed: 'describe-cluster failed (X)' }] },
    ]);
    expect(result.checks.accounts).toEqual([{ accountId: '1', status: 'failed', reason: 'assume-role failed (AccessDenied)' }]);
    expect(result.coverage.clusters).toEqual({ scanned: 4, failed: 1, managedAddon: 3, selfManaged: 1 });
    expect(result.coverage.accounts.failed).toBe(1);
  });

  it('records the same note once', () => {
    // Prepare
    const ledger = new ScanLedger();
    const note = { accountId: '1', region: 'eu-west-1', kind: 'catalog-unavailable' as const, message: 'Kubernetes 1.30' };

    // Act
    ledger.note(note);
    ledger.note({ ...note });
    ledger.note({ ...note, message: 'Kubernetes 1.31' });

    // Assess
    expect(ledger.finish().coverage.notes).toHaveLength(2);
  });
});
