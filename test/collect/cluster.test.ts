import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { readCluster, type ClusterContext } from '../../lib/collect/cluster.js';
import { StageError } from '../../lib/collect/errors.js';
import type { AddonCatalog, EksReader } from '../../lib/collect/ports.js';
import { awsError } from './fake-org.js';
import { fakeReader, session } from './fake-ports.js';

function context(reader: EksReader, catalog: AddonCatalog = { offeredVersions: async () => ['v1.19.0-eksbuild.1'] }): ClusterContext {
  return {
    account: { id: '111111111111', name: 'prod', ou: 'ou-prod', state: 'ACTIVE' },
    session: session(),
    region: 'eu-west-1',
    reader,
    catalog,
    limit: pLimit(4),
  };
}

describe('cluster.ts', () => {
  it('reads a managed add-on cluster with DescribeCluster and DescribeAddon only, and adds the offered versions', async () => {
    // Prepare
    const { reader, stats } = fakeReader();
    const asked: string[] = [];
    const catalog: AddonCatalog = {
      offeredVersions: async (_s, region, version) => {
        asked.push(`${region}/${version}`);
        return ['v1.19.0-eksbuild.1'];
      },
    };

    // Act
    const read = await readCluster(context(reader, catalog), 'prod-1');

    // Assess
    expect(stats.calls.sort()).toEqual(['describeCluster', 'describeVpcCni']);
    expect(asked).toEqual(['eu-west-1/1.30']);
    expect(read).toEqual({
      kind: 'read',
      facts: {
        accountId: '111111111111',
        accountName: 'prod',
        ou: 'ou-prod',
        partition: 'aws',
        region: 'eu-west-1',
        clusterName: 'prod-1',
        clusterArn: 'arn:aws:eks:eu-west-1:111111111111:cluster/prod-1',
        kubernetesVersion: '1.30',
        clusterStatus: 'ACTIVE',
        tags: {},
        cni: {
          managed: true,
          source: 'addon',
          version: 'v1.19.0-eksbuild.1',
          status: 'ACTIVE',
          healthIssues: [],
          configurationValues: null,
          serviceAccountRoleArn: null,
          podIdentityAssociations: [],
        },
        offeredVersions: ['v1.19.0-eksbuild.1'],
      },
    });
  });

  it('reads a self-managed CNI as unknown version with the pod identities of aws-node', async () => {
    // Prepare
    const { reader, stats } = fakeReader({
      describeVpcCni: async () => null,
      listAwsNodePodIdentities: async () => [{ associationId: 'a-1', namespace: 'kube-system', serviceAccount: 'aws-node' }],
    });

    // Act
    const read = await readCluster(context(reader), 'self');

    // Assess
    expect(stats.calls).toContain('listAwsNodePodIdentities');
    expect(read.kind === 'read' && read.facts.cni).toEqual({
      managed: false,
      source: 'none',
      version: null,
      status: null,
      healthIssues: [],
      configurationValues: null,
      serviceAccountRoleArn: null,
      podIdentityAssociations: [{ associationId: 'a-1', namespace: 'kube-system', serviceAccount: 'aws-node' }],
    });
  });

  it('reports a cluster deleted since it was listed as vanished', async () => {
    // Prepare
    const { reader } = fakeReader({ describeCluster: async () => null, describeVpcCni: async () => null });

    // Act
    const read = await readCluster(context(reader), 'gone');

    // Assess
    expect(read).toEqual({ kind: 'vanished' });
  });

  it.each<[string, Partial<EksReader>]>([
    ['describe-addon', { describeVpcCni: () => Promise.reject(awsError('AccessDeniedException')) }],
    ['describe-cluster', { describeCluster: () => Promise.reject(awsError('InternalFailure')) }],
    [
      'list-pod-identity',
      { describeVpcCni: async () => null, listAwsNodePodIdentities: () => Promise.reject(awsError('AccessDeniedException')) },
    ],
  ])('names the failed stage %s', async (stage, overrides) => {
    // Prepare
    const { reader } = fakeReader(overrides);

    // Act
    const error = await readCluster(context(reader), 'c').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StageError);
    expect((error as StageError).stage).toBe(stage);
  });

  it('keeps the facts without offered versions when the catalog fails, and says why', async () => {
    // Prepare
    const { reader } = fakeReader();
    const failure = awsError('ServiceUnavailableException');

    // Act
    const read = await readCluster(context(reader, { offeredVersions: () => Promise.reject(failure) }), 'c');

    // Assess
    expect(read.kind).toBe('read');
    if (read.kind !== 'read') return;
    expect(read.facts).not.toHaveProperty('offeredVersions');
    expect((read.catalogError as StageError).cause).toBe(failure);
  });
});
