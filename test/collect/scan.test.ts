import {
  DescribeAddonCommand,
  DescribeAddonVersionsCommand,
  DescribeClusterCommand,
  ListClustersCommand,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import { ListRegionsCommand } from '@aws-sdk/client-account';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsCollectPorts, type AwsCollectPorts } from '../../lib/collect/aws.js';
import { AccountListingError } from '../../lib/collect/errors.js';
import type { AccountSession, CollectPorts } from '../../lib/collect/ports.js';
import { listForScan, scanListing, scanOrganization, type ScanOptions, type ScanProgress } from '../../lib/collect/scan.js';
import type { Account } from '../../lib/types.js';
import { awsError, callerCredentials, installFakeOrg, restoreFakeOrg, type FakeOrgSpec } from './fake-org.js';

const MGMT = '111111111111';
const A = '222222222222';
const B = '333333333333';
const C = '444444444444';

const baseOptions: ScanOptions = {
  partition: 'aws',
  homeRegion: 'us-east-1',
  regions: ['eu-west-1', 'us-east-1', 'us-west-2'],
  roleName: 'FleetAuditRole',
  externalId: 'ext-123',
  sessionName: 'eks-fleet-auditor',
  concurrency: 4,
  perAccountConcurrency: 4,
};

let ports: AwsCollectPorts | undefined;
function awsPorts(): AwsCollectPorts {
  ports = createAwsCollectPorts({ homeRegion: 'us-east-1', partition: 'aws', maxSockets: 16, callerCredentials });
  return ports;
}

afterEach(() => {
  restoreFakeOrg();
  ports?.destroy();
  ports = undefined;
});

function threeRegions(clusters: Record<string, string[]>): FakeOrgSpec['regions'][string] {
  return Object.fromEntries(Object.entries(clusters).map(([region, names]) => [region, names.map((name) => ({ name }))]));
}

describe('scan.ts', () => {
  it('assumes the audit role once per member account across all regions and scans the management account with the caller credentials', async () => {
    // Prepare
    const { sts, eks } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: MGMT }, { id: A }, { id: B }],
      regions: {
        [MGMT]: threeRegions({ 'eu-west-1': ['mgmt-eu'] }),
        [A]: threeRegions({ 'eu-west-1': ['a-eu'], 'us-east-1': ['a-use1'], 'us-west-2': ['a-usw2'] }),
        [B]: threeRegions({ 'us-west-2': ['b-usw2'] }),
      },
    });

    // Act
    const result = await scanOrganization(baseOptions, awsPorts());

    // Assess
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${A}:role/FleetAuditRole`,
      ExternalId: 'ext-123',
      RoleSessionName: 'eks-fleet-auditor',
    });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${B}:role/FleetAuditRole` });
    expect(sts).not.toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${MGMT}:role/FleetAuditRole` });
    expect(eks).toHaveReceivedCommandTimes(ListClustersCommand, 9);
    expect(result.clusters.map((c) => `${c.accountId}/${c.region}/${c.clusterName}`)).toEqual([
      `${MGMT}/eu-west-1/mgmt-eu`,
      `${A}/eu-west-1/a-eu`,
      `${A}/us-east-1/a-use1`,
      `${A}/us-west-2/a-usw2`,
      `${B}/us-west-2/b-usw2`,
    ]);
    expect([...result.sessions.keys()].sort()).toEqual([MGMT, A, B]);
    await expect(result.sessions.get(MGMT)!.credentials()).resolves.toMatchObject({ accessKeyId: 'CALLER' });
    await expect(result.sessions.get(A)!.credentials()).resolves.toMatchObject({ accessKeyId: `KEY-${A}` });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('assumes the role in the management account too when asked to', async () => {
    // Prepare
    const { sts, organizations } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: MGMT }],
      regions: { [MGMT]: threeRegions({ 'eu-west-1': ['mgmt-eu'] }) },
    });

    // Act
    await scanOrganization({ ...baseOptions, assumeRoleInManagementAccount: true }, awsPorts());

    // Assess
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${MGMT}:role/FleetAuditRole` });
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 1);
  });

  it('records an account whose role cannot be assumed and scans the others', async () => {
    // Prepare
    installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }, { id: B }],
      regions: { [A]: threeRegions({ 'eu-west-1': ['a-eu'] }), [B]: threeRegions({ 'eu-west-1': ['b-eu'] }) },
      assumeDenied: [A],
    });

    // Act
    const result = await scanOrganization(baseOptions, awsPorts());

    // Assess
    expect(result.errors).toEqual([
      expect.objectContaining({ accountId: A, stage: 'assume-role', code: 'AccessDenied' }),
    ]);
    expect(result.errors[0]!.message).toContain(`arn:aws:iam::${A}:role/FleetAuditRole`);
    expect(result.clusters.map((c) => c.clusterName)).toEqual(['b-eu']);
    expect(result.coverage.accounts).toEqual({ listed: 2, excluded: 0, scanned: 1, failed: 1, notReached: 0 });
    expect(result.sessions.has(A)).toBe(false);
    expect(result.completedScopes.every((s) => s.accountId === B)).toBe(true);
  });

  it('skips a configured region that is not enabled with a note, checking ListRegions once per account', async () => {
    // Prepare
    const { account } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }],
      regions: {
        [A]: { 'eu-west-1': [{ name: 'a-eu' }], 'ap-east-1': 'disabled', 'me-south-1': 'disabled' },
      },
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, regions: ['eu-west-1', 'ap-east-1', 'me-south-1'] }, awsPorts());

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.coverage.regions).toEqual({ scanned: 1, notEnabled: 2, failed: 0 });
    expect(result.coverage.notes).toEqual([
      expect.objectContaining({ accountId: A, region: 'ap-east-1', kind: 'region-not-enabled' }),
      expect.objectContaining({ accountId: A, region: 'me-south-1', kind: 'region-not-enabled' }),
    ]);
    expect(account).toHaveReceivedCommandTimes(ListRegionsCommand, 1);
    expect(result.completedScopes).toEqual([{ accountId: A, region: 'eu-west-1' }]);
  });

  it('does not call ListRegions when every configured region answers', async () => {
    // Prepare
    const { account } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }],
      regions: { [A]: threeRegions({ 'eu-west-1': ['a-eu'] }) },
    });

    // Act
    await scanOrganization(baseOptions, awsPorts());

    // Assess
    expect(account).not.toHaveReceivedCommand(ListRegionsCommand);
  });

  it("scans each account's enabled regions when regions is 'all'", async () => {
    // Prepare
    const { account, eks } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }, { id: B }],
      regions: {
        [A]: { 'eu-west-1': [{ name: 'a-eu' }], 'ap-east-1': 'disabled' },
        [B]: { 'eu-central-1': [{ name: 'b-euc1' }], 'sa-east-1': [] },
      },
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, regions: 'all' }, awsPorts());

    // Assess
    expect(account).toHaveReceivedCommandTimes(ListRegionsCommand, 2);
    expect(account).toHaveReceivedCommandWith(ListRegionsCommand, { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] });
    expect(eks).toHaveReceivedCommandTimes(ListClustersCommand, 3);
    expect(result.clusters.map((c) => c.clusterName)).toEqual(['a-eu', 'b-euc1']);
    expect(result.coverage.regions).toEqual({ scanned: 3, notEnabled: 0, failed: 0 });
    expect(result.completedScopes).toEqual([
      { accountId: A, region: 'eu-west-1' },
      { accountId: B, region: 'eu-central-1' },
      { accountId: B, region: 'sa-east-1' },
    ]);
  });

  it('reads a managed add-on with two EKS calls and a self-managed CNI with its pod identities', async () => {
    // Prepare
    const { eks } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }],
      regions: {
        [A]: { 'eu-west-1': [{ name: 'managed', addonVersion: 'v1.19.0-eksbuild.1' }, { name: 'self', addonVersion: null }] },
      },
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, regions: ['eu-west-1'] }, awsPorts());

    // Assess
    const [managed, self] = result.clusters;
    expect(managed).toMatchObject({
      clusterName: 'managed',
      clusterArn: `arn:aws:eks:eu-west-1:${A}:cluster/managed`,
      accountName: `account-${A}`,
      partition: 'aws',
      kubernetesVersion: '1.30',
      cni: { managed: true, source: 'addon', version: 'v1.19.0-eksbuild.1', status: 'ACTIVE' },
    });
    expect(self).toMatchObject({ clusterName: 'self', cni: { managed: false, source: 'none', version: null } });
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
    expect(eks).toHaveReceivedCommandTimes(DescribeAddonCommand, 2);
    expect(eks).toHaveReceivedCommandExactlyOnceWith(ListPodIdentityAssociationsCommand, {
      clusterName: 'self',
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
    });
    expect(result.coverage.clusters).toEqual({ scanned: 2, failed: 0, managedAddon: 1, selfManaged: 1 });
  });

  it('reads the offered versions once per region and Kubernetes version, however many clusters ask', async () => {
    // Prepare
    const many = (prefix: string, version: string) =>
      Array.from({ length: 5 }, (_, i) => ({ name: `${prefix}-${i}`, version }));
    const { eks } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }, { id: B }],
      regions: {
        [A]: { 'eu-west-1': [...many('a130', '1.30'), ...many('a131', '1.31')], 'us-east-1': many('a-use1', '1.30') },
        [B]: { 'eu-west-1': many('b130', '1.30') },
      },
      offered: { '1.30': ['v1.18.0-eksbuild.1', 'v1.19.2-eksbuild.1', 'v1.19.0-eksbuild.3'] },
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, regions: ['eu-west-1', 'us-east-1'] }, awsPorts());

    // Assess
    expect(result.clusters).toHaveLength(20);
    expect(eks).toHaveReceivedCommandTimes(DescribeAddonVersionsCommand, 3);
    expect(eks).toHaveReceivedCommandWith(DescribeAddonVersionsCommand, { addonName: 'vpc-cni', kubernetesVersion: '1.31' });
    expect(result.clusters.find((c) => c.clusterName === 'b130-0')?.offeredVersions).toEqual([
      'v1.19.2-eksbuild.1',
      'v1.19.0-eksbuild.3',
      'v1.18.0-eksbuild.1',
    ]);
  });

  it('records a failing or malformed DescribeCluster as a cluster error, keeps the other clusters and leaves the region incomplete', async () => {
    // Prepare
    const malformed = Object.assign(
      new SyntaxError('Unexpected end of JSON input\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'),
      { $metadata: { httpStatusCode: 200 } },
    );
    installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }],
      regions: {
        [A]: {
          'eu-west-1': [{ name: 'good' }, { name: 'broken', describeError: malformed }],
          'us-east-1': [{ name: 'throttled', describeError: awsError('ThrottlingException', 'Rate exceeded') }],
          'us-west-2': [{ name: 'fine' }],
        },
      },
    });

    // Act
    const result = await scanOrganization(baseOptions, awsPorts());

    // Assess
    expect(result.errors).toEqual([
      { accountId: A, region: 'eu-west-1', cluster: 'broken', stage: 'describe-cluster', code: 'DeserializationError', message: 'Unexpected end of JSON input' },
      { accountId: A, region: 'us-east-1', cluster: 'throttled', stage: 'describe-cluster', code: 'ThrottlingException', message: 'Rate exceeded' },
    ]);
    expect(result.clusters.map((c) => c.clusterName)).toEqual(['good', 'fine']);
    expect(result.completedScopes).toEqual([{ accountId: A, region: 'us-west-2' }]);
    expect(result.coverage.clusters).toEqual({ scanned: 2, failed: 2, managedAddon: 2, selfManaged: 0 });
    expect(result.coverage.regions).toEqual({ scanned: 3, notEnabled: 0, failed: 0 });
  });

  it('keeps clusters without offered versions when the catalog cannot be read, with a note, and the catalog marked unread on each', async () => {
    // Prepare
    installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }],
      regions: { [A]: { 'eu-west-1': [{ name: 'one' }, { name: 'two' }] } },
      catalogError: awsError('AccessDeniedException', 'not authorized to perform: eks:DescribeAddonVersions'),
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, regions: ['eu-west-1'] }, awsPorts());

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.clusters).toHaveLength(2);
    expect(result.clusters.every((c) => c.offeredVersions === undefined)).toBe(true);
    expect(result.coverage.notes).toEqual([
      expect.objectContaining({ accountId: A, region: 'eu-west-1', kind: 'catalog-unavailable' }),
    ]);
    // The rules that need the catalog are not evaluated there; the region itself was listed and read.
    expect(result.clusters.map((c) => c.unread)).toEqual([
      [{ source: 'catalog', reason: expect.stringContaining('(AccessDeniedException)') }],
      [{ source: 'catalog', reason: expect.stringContaining('(AccessDeniedException)') }],
    ]);
    expect(result.checks.scopes).toEqual([{ accountId: A, region: 'eu-west-1', clusters: [{ name: 'one' }, { name: 'two' }] }]);
  });

  it('marks the accounts not started before the deadline as not reached, without assuming their role', async () => {
    // Prepare
    const { sts } = installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: A }, { id: B }, { id: C }],
      regions: { [A]: threeRegions({ 'eu-west-1': ['a-eu'] }) },
    });
    let clock = 1_000;
    const now = () => (clock += 1_000); // each check is one second later
    const progress: number[] = [];

    // Act
    const result = await scanOrganization(
      { ...baseOptions, concurrency: 1, deadline: 2_500, onProgress: (p) => progress.push(p.accountsDone) },
      awsPorts(),
      now,
    );

    // Assess
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${A}:role/FleetAuditRole` });
    expect(result.coverage.accounts).toEqual({ listed: 3, excluded: 0, scanned: 1, failed: 0, notReached: 2 });
    expect(result.coverage.notes.map((n) => [n.accountId, n.kind])).toEqual([
      [B, 'not-reached'],
      [C, 'not-reached'],
    ]);
    expect(result.errors).toEqual([]);
    // Each account told as it ends (and the last count once more if the listing ended after it).
    expect([...new Set(progress)]).toEqual([1, 2, 3]);
  });

  it('counts coverage exactly over a mixed organization', async () => {
    // Prepare
    installFakeOrg({
      managementId: MGMT,
      accounts: [
        { id: MGMT },
        { id: A },
        { id: B },
        { id: C, state: 'SUSPENDED' },
        { id: '555555555555' },
        { id: '666666666666', status: 'ACTIVE' },
      ],
      regions: {
        [MGMT]: { 'eu-west-1': [{ name: 'm1' }, { name: 'm2', addonVersion: null }] },
        [A]: { 'eu-west-1': [{ name: 'a1', describeError: awsError('InternalFailure') }], 'us-east-1': 'disabled' },
        '666666666666': { 'us-west-2': [{ name: 'six', addonVersion: null }] },
      },
      assumeDenied: [B],
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, excludeAccounts: ['555555555555'] }, awsPorts());

    // Assess
    expect(result.accounts.map((a) => a.id)).toEqual([MGMT, A, B, '666666666666']);
    expect(result.coverage).toEqual({
      accounts: { listed: 6, excluded: 2, scanned: 3, failed: 1, notReached: 0 },
      regions: { scanned: 8, notEnabled: 1, failed: 0 },
      clusters: { scanned: 3, failed: 1, managedAddon: 1, selfManaged: 2 },
      notes: [
        // The fake DescribeCluster gives no API endpoint: the self-managed CNIs cannot be read.
        expect.objectContaining({ accountId: MGMT, cluster: 'm2', kind: 'endpoint-not-reachable' }),
        expect.objectContaining({ accountId: A, region: 'us-east-1', kind: 'region-not-enabled' }),
        expect.objectContaining({ accountId: '666666666666', cluster: 'six', kind: 'endpoint-not-reachable' }),
      ],
    });
    expect(result.errors.map((e) => [e.accountId, e.stage, e.code])).toEqual([
      [A, 'describe-cluster', 'InternalFailure'],
      [B, 'assume-role', 'AccessDenied'],
    ]);
    expect(result.completedScopes).toHaveLength(7);
  });

  it('scans only the accounts under the selected OUs', async () => {
    // Prepare
    installFakeOrg({
      managementId: MGMT,
      accounts: [{ id: MGMT }, { id: A, parent: 'ou-prod' }, { id: B, parent: 'ou-prod-eu' }, { id: C, parent: 'ou-dev' }],
      ous: { 'r-root': ['ou-prod', 'ou-dev'], 'ou-prod': ['ou-prod-eu'] },
      regions: {},
    });

    // Act
    const result = await scanOrganization({ ...baseOptions, ous: ['ou-prod'] }, awsPorts());

    // Assess
    expect(result.accounts.map((a) => a.id)).toEqual([A, B]);
    expect(result.coverage.accounts).toMatchObject({ listed: 4, excluded: 2, scanned: 2 });
  });

  it('fails the whole run with a typed error when the accounts cannot be listed', async () => {
    // Prepare
    const { organizations } = installFakeOrg({ managementId: MGMT, accounts: [], regions: {} });
    organizations.on(ListAccountsCommand).rejects(awsError('AWSOrganizationsNotInUseException'));

    // Act
    const scan = scanOrganization(baseOptions, awsPorts());

    // Assess
    await expect(scan).rejects.toBeInstanceOf(AccountListingError);
    await expect(scan).rejects.toThrow(/ListAccounts/);
  });

  it('never has more accounts in flight than the concurrency', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const accounts = Array.from({ length: 12 }, (_, i) => ({ id: String(100000000000 + i), name: `n${i}`, state: 'ACTIVE' }));
    const fake: CollectPorts = {
      directory: {
        listAccounts: async () => accounts,
        accountsInOu: async () => [],
        managementAccountId: async () => MGMT,
      },
      credentials: {
        sessionFor: async (accountId): Promise<AccountSession> => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          return { accountId, partition: 'aws', credentials: callerCredentials };
        },
      },
      regions: { enabledRegions: async () => [] },
      eks: () => ({
        listClusters: async () => [],
        describeCluster: async () => null,
        describeVpcCni: async () => null,
        listAwsNodePodIdentities: async () => [],
      }),
      catalog: { offeredVersions: async () => [] },
      releaseAccount: () => {
        inFlight--;
      },
    };

    // Act
    const result = await scanOrganization({ ...baseOptions, concurrency: 3 }, fake);

    // Assess
    expect(result.coverage.accounts.scanned).toBe(12);
    expect(peak).toBe(3);
  });

  describe('as ListAccounts pages arrive', () => {
    const account = (i: number): Account => ({ id: String(500000000000 + i), name: `p${i}`, state: 'ACTIVE' });
    const pageOne = [account(3), account(1)];
    const pageTwo = [account(2), { ...account(4), state: 'SUSPENDED' }];

    /** Ports whose directory tells two pages, the second only after `beforePageTwo` settles. */
    function pagedPorts(beforePageTwo: (started: string[]) => Promise<void>, failPageTwo = false) {
      const started: string[] = [];
      const ports: CollectPorts = {
        directory: {
          async listAccounts(onPage) {
            onPage?.(pageOne);
            await beforePageTwo(started);
            if (failPageTwo) throw new AccountListingError('Organizations ListAccounts failed: TooManyRequestsException');
            onPage?.(pageTwo);
            return [...pageOne, ...pageTwo];
          },
          accountsInOu: async () => [],
          managementAccountId: async () => MGMT,
        },
        credentials: {
          sessionFor: async (accountId): Promise<AccountSession> => {
            started.push(accountId);
            return { accountId, partition: 'aws', credentials: callerCredentials };
          },
        },
        regions: { enabledRegions: async () => [] },
        eks: () => ({ listClusters: async () => [], describeCluster: async () => null, describeVpcCni: async () => null, listAwsNodePodIdentities: async () => [] }),
        catalog: { offeredVersions: async () => [] },
      };
      return { ports, started };
    }

    /** Resolves once the scan has started `n` accounts, or after 2 s (then the test sees it did not). */
    const whenStarted = (n: number) => async (started: string[]) => {
      for (let waited = 0; started.length < n && waited < 2_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    it('starts the first page\'s accounts before the listing ends, and reports the whole selection in id order', async () => {
      // Prepare
      let startedBeforePageTwo: string[] = [];
      const { ports } = pagedPorts(async (started) => {
        await whenStarted(2)(started);
        startedBeforePageTwo = [...started];
      });

      // Act
      const result = await scanOrganization(baseOptions, ports);

      // Assess
      expect(startedBeforePageTwo.sort()).toEqual(['500000000001', '500000000003']);
      expect(result.accounts.map((a) => a.id)).toEqual(['500000000001', '500000000002', '500000000003']);
      expect(result.coverage.accounts).toMatchObject({ listed: 4, scanned: 3, excluded: 1 });
      expect(result.checks.accounts.find((a) => a.accountId === '500000000004')).toMatchObject({ status: 'suspended' });
    });

    it('lets the accounts already started end, then throws the listing\'s error', async () => {
      // Prepare
      const { ports } = pagedPorts(whenStarted(2), true);
      const scanned: string[] = [];

      // Act
      const scan = scanOrganization({ ...baseOptions, onAccountScanned: (part) => scanned.push(part.accountId) }, ports);

      // Assess
      await expect(scan).rejects.toBeInstanceOf(AccountListingError);
      expect(scanned.sort()).toEqual(['500000000001', '500000000003']);
    });

    it('throws DescribeOrganization\'s error once the listing ends, with no account left rejecting unheard meanwhile', async () => {
      // Prepare: DescribeOrganization fails while page two is still to come
      const { ports, started } = pagedPorts(() => new Promise((resolve) => setTimeout(resolve, 50)));
      ports.directory.managementAccountId = async () => {
        throw new AccountListingError('Organizations DescribeOrganization failed: AccessDeniedException');
      };
      const unheard: unknown[] = [];
      const onUnhandled = (reason: unknown) => unheard.push(reason);
      process.on('unhandledRejection', onUnhandled);

      // Act
      const scan = scanOrganization(baseOptions, ports);

      // Assess
      try {
        await expect(scan).rejects.toThrow(/DescribeOrganization failed/);
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect(unheard).toEqual([]);
        expect(started).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('tells the progress once more when the listing ends after the last account did', async () => {
      // Prepare: page two holds only a suspended account, read after page one's accounts ended
      const { ports } = pagedPorts(whenStarted(2));
      ports.directory.listAccounts = async (onPage) => {
        onPage?.(pageOne);
        await new Promise((resolve) => setTimeout(resolve, 50));
        onPage?.([pageTwo[1]!]);
        return [...pageOne, pageTwo[1]!];
      };
      const progress: ScanProgress[] = [];

      // Act
      await scanOrganization({ ...baseOptions, onProgress: (p) => progress.push(p) }, ports);

      // Assess
      expect(progress.at(-1)).toMatchObject({ accountsDone: 2, accountsTotal: 2, listed: true });
    });

    it('starts no more accounts once aborted, and tells when the selection passes a count', async () => {
      // Prepare
      const controller = new AbortController();
      const { ports, started } = pagedPorts(async (s) => {
        await whenStarted(2)(s);
        controller.abort();
      });
      const listing = listForScan(baseOptions, ports);
      const passesOne = listing.exceeds(1);
      const passesThree = listing.exceeds(3);

      // Act
      await scanListing(listing, { ...baseOptions, signal: controller.signal }, ports);

      // Assess
      expect(started.sort()).toEqual(['500000000001', '500000000003']);
      expect(await passesOne).toBe(true);
      expect(await passesThree).toBe(false);
      expect((await listing.selected).selection.selected).toHaveLength(3);
    });
  });
});
