import {
  DescribeAddonCommand,
  DescribeClusterCommand,
  EKSClient,
  ListClustersCommand,
  ListPodIdentityAssociationsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../../lib/collect/errors.js';
import { createEksReader } from '../../lib/collect/eks.js';
import { awsError } from './fake-org.js';

const eks = mockClient(EKSClient);
const reader = () => createEksReader(new EKSClient({ region: 'eu-west-1' }), 'eu-west-1');
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

afterEach(() => {
  eks.reset();
});

describe('eks.ts', () => {
  it('lists clusters across two pages', async () => {
    // Prepare
    eks
      .on(ListClustersCommand)
      .resolvesOnce({ clusters: ['a', 'b'], nextToken: 'page-2' })
      .resolvesOnce({ clusters: ['c'] });

    // Act
    const names = await reader().listClusters();

    // Assess
    expect(names).toEqual(['a', 'b', 'c']);
    expect(eks).toHaveReceivedNthCommandWith(ListClustersCommand, 2, { nextToken: 'page-2' });
  });

  it('describes a cluster with its version, status, platform, tags, endpoint and CA', async () => {
    // Prepare
    eks.on(DescribeClusterCommand, { name: 'prod' }).resolves({
      cluster: {
        name: 'prod',
        arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
        version: '1.31',
        status: 'ACTIVE',
        platformVersion: 'eks.12',
        tags: { env: 'prod' },
        endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthority: { data: 'LS0tCA==' },
      },
    });

    // Act
    const description = await reader().describeCluster('prod');

    // Assess
    expect(description).toEqual({
      name: 'prod',
      arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
      kubernetesVersion: '1.31',
      status: 'ACTIVE',
      platformVersion: 'eks.12',
      tags: { env: 'prod' },
      endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthority: 'LS0tCA==',
    });
  });

  it('reports a cluster deleted since it was listed as null', async () => {
    // Prepare
    eks.on(DescribeClusterCommand).rejects(notFound());

    // Act
    const description = await reader().describeCluster('gone');

    // Assess
    expect(description).toBeNull();
  });

  it('rejects a DescribeCluster answer without a version, naming cluster, region and field', async () => {
    // Prepare
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'odd', arn: 'arn:aws:eks:eu-west-1:1:cluster/odd', status: 'ACTIVE' } });

    // Act
    const description = reader().describeCluster('odd');

    // Assess
    await expect(description).rejects.toBeInstanceOf(MalformedResponseError);
    await expect(description).rejects.toThrow('DescribeCluster odd in eu-west-1: response lacks cluster.version');
  });

  it('reads the managed vpc-cni add-on, its health and pod identity associations from DescribeAddon alone', async () => {
    // Prepare
    eks.on(DescribeAddonCommand, { clusterName: 'prod', addonName: 'vpc-cni' }).resolves({
      addon: {
        addonName: 'vpc-cni',
        addonVersion: 'v1.19.2-eksbuild.1',
        status: 'DEGRADED',
        health: { issues: [{ code: 'InsufficientNumberOfReplicas', message: 'not ready', resourceIds: ['aws-node'] }] },
        configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}',
        serviceAccountRoleArn: 'arn:aws:iam::123456789012:role/cni',
        podIdentityAssociations: ['arn:aws:eks:eu-west-1:123456789012:podidentityassociation/prod/a-abc123'],
      },
    });

    // Act
    const addon = await reader().describeVpcCni('prod');

    // Assess
    expect(addon).toEqual({
      version: 'v1.19.2-eksbuild.1',
      status: 'DEGRADED',
      healthIssues: [{ code: 'InsufficientNumberOfReplicas', message: 'not ready', resourceIds: ['aws-node'] }],
      configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}',
      serviceAccountRoleArn: 'arn:aws:iam::123456789012:role/cni',
      podIdentityAssociations: [{ associationId: 'a-abc123', namespace: 'kube-system', serviceAccount: 'aws-node' }],
    });
    expect(eks).not.toHaveReceivedCommand(ListPodIdentityAssociationsCommand);
  });

  it('reports a cluster without the managed add-on (ResourceNotFoundException) as null: self-managed', async () => {
    // Prepare
    eks.on(DescribeAddonCommand).rejects(notFound());

    // Act
    const addon = await reader().describeVpcCni('self');

    // Assess
    expect(addon).toBeNull();
  });

  it('lets any other DescribeAddon failure through', async () => {
    // Prepare
    eks.on(DescribeAddonCommand).rejects(awsError('AccessDeniedException'));

    // Act
    const addon = reader().describeVpcCni('denied');

    // Assess
    await expect(addon).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('lists the pod identity associations of kube-system/aws-node across pages', async () => {
    // Prepare
    eks
      .on(ListPodIdentityAssociationsCommand)
      .resolvesOnce({
        associations: [{ associationId: 'a-1', namespace: 'kube-system', serviceAccount: 'aws-node' }],
        nextToken: 'n',
      })
      .resolvesOnce({ associations: [{ associationId: 'a-2', namespace: 'kube-system', serviceAccount: 'aws-node' }] });

    // Act
    const associations = await reader().listAwsNodePodIdentities('self');

    // Assess
    expect(associations.map((a) => a.associationId)).toEqual(['a-1', 'a-2']);
    expect(eks).toHaveReceivedNthCommandWith(ListPodIdentityAssociationsCommand, 1, {
      clusterName: 'self',
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
    });
  });
});
