import { describe, expect, it } from 'vitest';
import { scanAccount, type AccountScanSettings } from '../../lib/collect/account.js';
import { ScanLedger } from '../../lib/collect/ledger.js';
import type { Account } from '../../lib/types.js';
import { awsError } from './fake-org.js';
import { fakePorts, fakeReader } from './fake-ports.js';

const account: Account = { id: '111111111111', name: 'prod', state: 'ACTIVE' };
const role = { roleName: 'FleetAuditRole', sessionName: 'eks-fleet-auditor' };
const settings = (over: Partial<AccountScanSettings> = {}): AccountScanSettings => ({
  role,
  regions: ['eu-west-1'],
  perAccountConcurrency: 3,
  ...over,
});

describe('account.ts', () => {
  it("keeps the account's EKS calls within perAccountConcurrency across regions and clusters", async () => {
    // Prepare
    const { reader, stats } = fakeReader({ listClusters: async () => Array.from({ length: 10 }, (_, i) => `c${i}`) });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings({ regions: ['eu-west-1', 'us-east-1', 'us-west-2'] }), fakePorts(reader), ledger);

    // Assess
    expect(ledger.counts.clusters.scanned).toBe(30);
    expect(stats.calls).toHaveLength(3 + 30 * 2);
    expect(stats.peak).toBe(3);
  });

  it('records a region whose ListClusters fails as failed and incomplete, without asking ListRegions', async () => {
    // Prepare
    const { reader } = fakeReader({ listClusters: () => Promise.reject(awsError('AccessDeniedException', 'no eks:ListClusters')) });
    let listRegions = 0;
    const ports = fakePorts(reader, { regions: { enabledRegions: async () => (listRegions++, ['eu-west-1']) } });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings(), ports, ledger);

    // Assess
    expect(ledger.errors).toEqual([
      { accountId: account.id, region: 'eu-west-1', stage: 'list-clusters', code: 'AccessDeniedException', message: 'no eks:ListClusters' },
    ]);
    expect(ledger.counts.regions).toEqual({ scanned: 0, notEnabled: 0, failed: 1 });
    expect(ledger.completedScopes).toEqual([]);
    expect(listRegions).toBe(0);
  });

  it('keeps an unrecognized token in an enabled region as a failure', async () => {
    // Prepare
    const { reader } = fakeReader({ listClusters: () => Promise.reject(awsError('UnrecognizedClientException')) });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings(), fakePorts(reader), ledger);

    // Assess
    expect(ledger.counts.regions).toEqual({ scanned: 0, notEnabled: 0, failed: 1 });
    expect(ledger.errors[0]).toMatchObject({ stage: 'list-clusters', code: 'UnrecognizedClientException' });
  });

  it('records the region as failed, saying so, when ListRegions cannot confirm it is disabled', async () => {
    // Prepare
    const { reader } = fakeReader({ listClusters: () => Promise.reject(awsError('UnrecognizedClientException')) });
    const ports = fakePorts(reader, { regions: { enabledRegions: () => Promise.reject(awsError('AccessDeniedException')) } });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings({ regions: ['ap-east-1'] }), ports, ledger);

    // Assess
    expect(ledger.counts.regions.failed).toBe(1);
    expect(ledger.errors[0]?.message).toContain('could not check whether ap-east-1 is enabled: ListRegions AccessDeniedException');
  });

  it("fails the account when its regions cannot be listed with regions 'all'", async () => {
    // Prepare
    const { reader, stats } = fakeReader();
    const ports = fakePorts(reader, { regions: { enabledRegions: () => Promise.reject(awsError('AccessDeniedException')) } });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings({ regions: 'all' }), ports, ledger);

    // Assess
    expect(ledger.counts.accounts).toMatchObject({ scanned: 0, failed: 1 });
    expect(ledger.errors).toEqual([expect.objectContaining({ accountId: account.id, stage: 'list-regions', code: 'AccessDeniedException' })]);
    expect(ledger.sessions.size).toBe(0);
    expect(stats.calls).toEqual([]);
  });

  it('counts a region complete when a listed cluster has been deleted since, and releases the account', async () => {
    // Prepare
    const { reader } = fakeReader({
      listClusters: async () => ['kept', 'deleted'],
      describeCluster: async (name) => (name === 'deleted' ? null : { name, arn: 'arn', kubernetesVersion: '1.30', status: 'ACTIVE', tags: {} }),
    });
    const ports = fakePorts(reader);
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings(), ports, ledger);

    // Assess
    expect(ledger.clusters.map((c) => c.clusterName)).toEqual(['kept']);
    expect(ledger.counts.clusters).toEqual({ scanned: 1, failed: 0, managedAddon: 1, selfManaged: 0 });
    expect(ledger.completedScopes).toEqual([{ accountId: account.id, region: 'eu-west-1' }]);
    expect(ports.released).toEqual([account.id]);
  });

  it('uses the session the broker gives for the role asked', async () => {
    // Prepare
    const { reader } = fakeReader();
    const asked: unknown[] = [];
    const ports = fakePorts(reader, {
      credentials: {
        sessionFor: async (accountId, how) => {
          asked.push(how);
          return { accountId, partition: 'aws-cn', credentials: async () => ({ accessKeyId: 'k', secretAccessKey: 's' }) };
        },
      },
    });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, settings({ role: 'caller' }), ports, ledger);

    // Assess
    expect(asked).toEqual(['caller']);
    expect(ledger.sessions.get(account.id)?.partition).toBe('aws-cn');
  });
});
