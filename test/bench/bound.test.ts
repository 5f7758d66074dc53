import { describe, expect, it } from 'vitest';
import type { CallCount } from '../sim/server.js';
import { parseOrg, type SimOrgInput } from '../sim/schema.js';
import { callStats, lowerBound, orgShape, targetsOf } from './bound.js';

const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';

const managed = (name: string, version = '1.29') => ({ name, version, addons: { 'vpc-cni': { addonVersion: 'v1.18.0-eksbuild.1' } } });
const selfManaged = (name: string, version = '1.29') => ({ name, version });

/** Management (1 region, 1 cluster), a member (2 enabled regions, 3 clusters, 1 opt-in off), one without the role, one suspended. */
function org(extra: Partial<SimOrgInput> = {}) {
  return parseOrg({
    managementAccountId: MANAGEMENT,
    accounts: [
      { id: MANAGEMENT, name: 'management', regions: { 'us-east-1': { clusters: [managed('mgmt')] } } },
      {
        id: MEMBER,
        name: 'payments',
        regions: {
          'us-east-1': { clusters: [managed('a'), selfManaged('b', '1.28')] },
          'eu-west-1': { clusters: [managed('c')] },
          'ap-east-1': { enabled: false },
        },
      },
      { id: '333333333333', name: 'no-role', auditRole: false, regions: { 'us-east-1': { clusters: [managed('hidden')] } } },
      { id: '444444444444', name: 'suspended', state: 'SUSPENDED' },
    ],
    ...extra,
  });
}

const call = (service: CallCount['service'], operation: string, count: number, status = 200, accountId = MEMBER): CallCount => ({
  service,
  operation,
  accountId,
  region: 'us-east-1',
  status,
  count,
});

describe('bound.ts', () => {
  it('derives the ideal calls from the organization: one AssumeRole per active member, one ListClusters page per enabled region', () => {
    // Act
    const shape = orgShape(org());

    // Assess
    expect(shape).toMatchObject({ accountsListed: 4, accountsActive: 3, accountsReachable: 2, accountRegions: 3, clusters: 4, managed: 3, selfManaged: 1, regionVersions: 3 });
    expect(shape.ideal).toEqual({
      'organizations:ListAccounts': 1,
      'sts:AssumeRole': 2,
      'account:ListRegions': 2,
      'eks:ListClusters': 3,
      'eks:DescribeCluster': 4,
      'eks:DescribeAddon': 4,
      'eks:ListPodIdentityAssociations': 1,
      'eks:DescribeAddonVersions': 3,
    });
    expect([shape.eksCallsByScope.get(`${MEMBER}/us-east-1`), shape.eksCallsByScope.get(`${MEMBER}/eu-west-1`)]).toEqual([1 + 2 + 3, 1 + 2]);
  });

  it('counts pages of ListAccounts and ListClusters with the page sizes the organization sets', () => {
    // Prepare
    const many = parseOrg({
      managementAccountId: MANAGEMENT,
      pageSize: { ListAccounts: 2, ListClusters: 2 },
      accounts: [
        { id: MANAGEMENT, name: 'management', regions: { 'us-east-1': { clusters: [managed('x1'), managed('x2'), managed('x3')] } } },
        { id: MEMBER, name: 'm1' },
        { id: '333333333333', name: 'm2' },
      ],
    });

    // Act
    const shape = orgShape(many);

    // Assess
    expect(shape.listAccountsPages).toBe(2);
    expect(shape.maxListClustersPages).toBe(2);
  });

  it('leaves throttled answers out of the needed calls and caps them at the ideal count', () => {
    // Prepare
    const shape = orgShape(org());
    const calls = [
      call('eks', 'DescribeAddonVersions', 5),
      call('eks', 'DescribeAddonVersions', 7, 429),
      call('eks', 'DescribeAddon', 1, 404),
      call('eks', 'DescribeAddon', 3),
      call('securityhub', 'GetFindings', 3),
    ];

    // Act
    const stats = callStats(calls, shape);

    // Assess
    expect(stats.operations.find((op) => op.operation === 'DescribeAddonVersions')).toMatchObject({ calls: 12, throttled: 7, failed: 0, needed: 3 });
    expect(stats.operations.find((op) => op.operation === 'DescribeAddon')).toMatchObject({ calls: 4, failed: 1, needed: 4 });
    expect(stats).toMatchObject({ total: 19, throttled: 7, needed: 3 + 4 + 3 });
  });

  it('takes the largest of the critical path, the throughput and the rate limit of one account and Region', () => {
    // Prepare
    const shape = orgShape(org());
    const stats = callStats([call('eks', 'DescribeCluster', 4), call('securityhub', 'GetFindings', 396)], shape);

    // Act
    const byThroughput = lowerBound(shape, stats, { latencyMs: 40, inFlight: 10, delivers: true });
    const byChain = lowerBound(shape, stats, { latencyMs: 40, inFlight: 1000, delivers: true });
    const byRate = lowerBound(shape, stats, { latencyMs: 40, inFlight: 1000, delivers: true, rateLimit: { perAccountPerSecond: 1, burst: 2 } });

    // Assess
    expect(byThroughput.ms).toBe((400 * 40) / 10);
    expect(byChain.criticalPath).toMatchObject({ calls: 7, ms: 280 });
    expect(byChain.ms).toBe(280);
    expect(byRate.rateLimit).toEqual({ ms: 4000, scope: `${MEMBER}/us-east-1`, eksCalls: 6 });
    expect(byRate.ms).toBe(4000);
  });

  it('ends the chain at DescribeCluster for a run that delivers nothing', () => {
    // Act
    const bound = lowerBound(orgShape(org()), callStats([], orgShape(org())), { latencyMs: 10, inFlight: 1, delivers: false });

    // Assess
    expect(bound.criticalPath.chain.at(-1)).toBe('DescribeCluster');
    expect(bound.criticalPath.calls).toBe(5);
  });

  it('measures the targets: AssumeRole per account, EKS calls per managed cluster, DescribeAddonVersions against region × version', () => {
    // Prepare
    const shape = orgShape(org());
    const calls = [
      call('sts', 'AssumeRole', 2),
      call('sts', 'AssumeRole', 1, 400),
      call('eks', 'ListClusters', 3),
      call('eks', 'DescribeCluster', 4),
      call('eks', 'DescribeAddon', 5),
      call('eks', 'ListPodIdentityAssociations', 1),
      call('eks', 'DescribeAddonVersions', 4),
    ];

    // Act
    const targets = targetsOf(callStats(calls, shape), shape);

    // Assess
    expect(targets).toEqual({
      assumeRolePerAccount: 1.5,
      listClustersPerAccountRegion: 1,
      idealListClustersPerAccountRegion: 1,
      eksCallsPerCluster: 10 / 4,
      eksCallsPerManagedCluster: (10 - 3) / 3,
      describeAddonVersions: 4,
      regionVersions: 3,
    });
  });
});
