/**
 * The real collect adapters over HTTP against the local AWS simulator (test/sim): wire formats,
 * pagination, credentials routing, throttling and malformed answers as the SDK really meets them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsCollectPorts, type AwsCollectPorts } from '../../lib/collect/aws.js';
import { scanOrganization, type ScanOptions } from '../../lib/collect/scan.js';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator, type SimOrgInput } from '../sim/server.js';

const MGMT = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const NO_ROLE = '444444444444';
const GONE = '555555555555';
const LEGACY = '666666666666';

const cni = (addonVersion: string) => ({ 'vpc-cni': { addonVersion } });
const catalog = (k8s: string[], ...versions: string[]) =>
  versions.map((addonVersion) => ({ addonVersion, compatibilities: k8s.map((clusterVersion) => ({ clusterVersion })) }));

const org: SimOrgInput = {
  managementAccountId: MGMT,
  auditRoleName: 'FleetAuditRole',
  ous: [
    { id: 'ou-prod', name: 'prod' },
    { id: 'ou-prod-eu', name: 'prod-eu', parent: 'ou-prod' },
    { id: 'ou-dev', name: 'dev' },
  ],
  pageSize: { ListAccounts: 2, ListClusters: 2, ListChildren: 1, ListAccountsForParent: 1, DescribeAddonVersions: 1 },
  accounts: [
    { id: MGMT, name: 'management', regions: { 'us-east-1': { clusters: [{ name: 'mgmt', version: '1.30', addons: cni('v1.18.6-eksbuild.1') }] } } },
    {
      id: PROD,
      name: 'prod',
      ou: 'ou-prod-eu',
      externalId: 'ext-123',
      regions: {
        'eu-west-1': {
          clusters: [
            { name: 'p1', version: '1.30', addons: cni('v1.18.0-eksbuild.1') },
            { name: 'p2', version: '1.30', addons: cni('v1.16.0-eksbuild.1') },
            { name: 'p3', version: '1.29', addons: cni('v1.15.1-eksbuild.1') },
            {
              name: 'self',
              version: '1.29',
              podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: 'arn:aws:iam::222222222222:role/cni' }],
            },
            { name: 'p5', version: '1.30', addons: cni('v1.18.0-eksbuild.1') },
          ],
        },
        'ap-east-1': { enabled: false },
      },
    },
    { id: DEV, name: 'dev', ou: 'ou-dev', externalId: 'ext-123', regions: { 'us-east-1': { clusters: [{ name: 'd1', version: '1.30', addons: cni('v1.18.0-eksbuild.1') }] } } },
    { id: NO_ROLE, name: 'no-role', ou: 'ou-prod', auditRole: false },
    { id: GONE, name: 'suspended', state: 'SUSPENDED' },
    { id: LEGACY, name: 'legacy', legacyStatusOnly: true, status: 'ACTIVE', externalId: 'ext-123' },
  ],
  addonVersions: {
    'vpc-cni': catalog(['1.29', '1.30'], 'v1.15.1-eksbuild.1', 'v1.18.6-eksbuild.1', 'v1.16.0-eksbuild.1', 'v1.18.0-eksbuild.1'),
  },
};

const options: ScanOptions = {
  partition: 'aws',
  homeRegion: 'us-east-1',
  regions: ['us-east-1', 'eu-west-1', 'ap-east-1'],
  roleName: 'FleetAuditRole',
  externalId: 'ext-123',
  sessionName: 'eks-fleet-auditor',
  concurrency: 4,
  perAccountConcurrency: 4,
};

let sim: Simulator;
let ports: AwsCollectPorts;

beforeAll(async () => {
  sim = await startSimulator({ org });
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.setFaults({});
  sim.resetCalls();
  sim.records.assumeRoles.length = 0;
  ports?.destroy();
  ports = createAwsCollectPorts({
    homeRegion: 'us-east-1',
    partition: 'aws',
    endpoint: sim.endpoint,
    maxSockets: 16,
    callerCredentials: async () => ({ ...SIM_MANAGEMENT_CREDENTIALS }),
  });
});

function calls(operation: string): number {
  return sim
    .calls()
    .filter((c) => c.operation === operation)
    .reduce((n, c) => n + c.count, 0);
}

describe('scan.ts against the simulator', () => {
  it('scans a whole organization over the wire with exact coverage', async () => {
    // Act
    const result = await scanOrganization(options, ports);

    // Assess
    expect(result.accounts.map((a) => a.id)).toEqual([MGMT, PROD, DEV, NO_ROLE, LEGACY]);
    expect(result.clusters.map((c) => `${c.accountId}/${c.region}/${c.clusterName}`)).toEqual([
      `${MGMT}/us-east-1/mgmt`,
      `${PROD}/eu-west-1/p1`,
      `${PROD}/eu-west-1/p2`,
      `${PROD}/eu-west-1/p3`,
      `${PROD}/eu-west-1/p5`,
      `${PROD}/eu-west-1/self`,
      `${DEV}/us-east-1/d1`,
    ]);
    expect(result.coverage).toEqual({
      accounts: { listed: 6, excluded: 1, scanned: 4, failed: 1, notReached: 0 },
      // ap-east-1 is an opt-in region no scanned account has enabled.
      regions: { scanned: 8, notEnabled: 4, failed: 0 },
      clusters: { scanned: 7, failed: 0, managedAddon: 6, selfManaged: 1 },
      notes: [
        expect.objectContaining({ accountId: MGMT, region: 'ap-east-1', kind: 'region-not-enabled' }),
        expect.objectContaining({ accountId: PROD, region: 'ap-east-1', kind: 'region-not-enabled' }),
        // A self-managed CNI the simulator gives no `selfManagedCni`: the audit role may not read it.
        expect.objectContaining({ accountId: PROD, region: 'eu-west-1', cluster: 'self', kind: 'no-kubernetes-access' }),
        ...[DEV, LEGACY].map((accountId) => expect.objectContaining({ accountId, region: 'ap-east-1', kind: 'region-not-enabled' })),
      ],
    });
    expect(result.errors).toEqual([expect.objectContaining({ accountId: NO_ROLE, stage: 'assume-role', code: 'AccessDenied' })]);
    expect(result.completedScopes).toHaveLength(8);
  });

  it('reads the facts the evaluate layer needs, offered versions newest first', async () => {
    // Act
    const result = await scanOrganization({ ...options, accounts: [PROD] }, ports);

    // Assess
    const p1 = result.clusters.find((c) => c.clusterName === 'p1');
    const self = result.clusters.find((c) => c.clusterName === 'self');
    expect(p1).toMatchObject({
      accountName: 'prod',
      clusterArn: `arn:aws:eks:eu-west-1:${PROD}:cluster/p1`,
      kubernetesVersion: '1.30',
      clusterStatus: 'ACTIVE',
      cni: { managed: true, source: 'addon', version: 'v1.18.0-eksbuild.1', status: 'ACTIVE' },
      offeredVersions: ['v1.18.6-eksbuild.1', 'v1.18.0-eksbuild.1', 'v1.16.0-eksbuild.1', 'v1.15.1-eksbuild.1'],
    });
    expect(self?.cni).toMatchObject({
      managed: false,
      source: 'none',
      version: null,
      podIdentityAssociations: [expect.objectContaining({ namespace: 'kube-system', serviceAccount: 'aws-node' })],
    });
  });

  it('makes one AssumeRole per member account, two EKS calls per managed cluster and one catalog read per region × version', async () => {
    // Act
    await scanOrganization(options, ports);

    // Assess
    const granted = sim.records.assumeRoles.filter((r) => r.granted).map((r) => r.accountId).sort();
    expect(granted).toEqual([PROD, DEV, LEGACY]);
    expect(calls('DescribeCluster')).toBe(7);
    expect(calls('DescribeAddon')).toBe(7);
    expect(calls('ListPodIdentityAssociations')).toBe(1);
    // us-east-1 × 1.30 and eu-west-1 × {1.29, 1.30}.
    expect(calls('DescribeAddonVersions')).toBe(3);
    // Only to confirm ap-east-1 is disabled: once per account that met it.
    expect(calls('ListRegions')).toBe(4);
  });

  it('selects accounts by OU subtree through paginated Organizations listings', async () => {
    // Act
    const result = await scanOrganization({ ...options, ous: ['ou-prod'] }, ports);

    // Assess
    expect(result.accounts.map((a) => a.id)).toEqual([PROD, NO_ROLE]);
  });

  it('absorbs throttling with the SDK retries and records a malformed answer as a cluster error', async () => {
    // Prepare
    sim.setFaults({
      seed: 7,
      throttleRate: 0.1,
      exempt: ['organizations', 'sts'],
      rules: [{ service: 'eks', operation: 'DescribeCluster', cluster: 'p2', malformed: true }],
    });

    // Act
    const result = await scanOrganization({ ...options, accounts: [PROD, DEV] }, ports);

    // Assess
    expect(result.errors).toEqual([
      expect.objectContaining({ accountId: PROD, region: 'eu-west-1', cluster: 'p2', stage: 'describe-cluster', code: 'DeserializationError' }),
    ]);
    expect(result.clusters.map((c) => c.clusterName)).toEqual(['p1', 'p3', 'p5', 'self', 'd1']);
    expect(result.completedScopes).not.toContainEqual({ accountId: PROD, region: 'eu-west-1' });
    expect(result.completedScopes).toContainEqual({ accountId: DEV, region: 'us-east-1' });
    expect(sim.calls().some((c) => c.service === 'eks' && c.status === 429)).toBe(true);
  });
});
