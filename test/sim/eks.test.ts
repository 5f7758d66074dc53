import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import {
  DescribeAddonCommand,
  DescribeAddonVersionsCommand,
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  paginateListClusters,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { assumeInto, clientConfig, PAYMENTS, rejectionOf, smallOrg, type Credentials } from './helpers.js';

describe('eks.ts', () => {
  let sim: Simulator;
  let credentials: Credentials;
  let eks: EKSClient;

  beforeAll(async () => {
    sim = await startSimulator({ org: smallOrg() });
    credentials = await assumeInto(sim, PAYMENTS);
    eks = new EKSClient(clientConfig(sim, { credentials }));
  });
  afterAll(() => sim.stop());

  it('pages ListClusters with the SDK paginator', async () => {
    // Prepare
    const clusters = sim.org.accounts.find((a) => a.id === PAYMENTS)!.regions['us-east-1']!.clusters;
    const extra = Array.from({ length: 5 }, (_, i) => ({ ...clusters[1]!, name: `batch-${i}` }));
    clusters.push(...extra);
    sim.org.pageSize['ListClusters'] = 3;
    sim.resetCalls();

    try {
      // Act
      const names: string[] = [];
      for await (const page of paginateListClusters({ client: eks }, {})) names.push(...(page.clusters ?? []));

      // Assess
      expect(names).toEqual(['payments-use1', 'payments-selfmanaged-use1', 'batch-0', 'batch-1', 'batch-2', 'batch-3', 'batch-4']);
      expect(sim.calls()).toEqual([expect.objectContaining({ operation: 'ListClusters', accountId: PAYMENTS, count: 3 })]);
    } finally {
      clusters.splice(2);
      delete sim.org.pageSize['ListClusters'];
    }
  });

  it('describes a cluster of the calling account in the signing region', async () => {
    // Act
    const out = await eks.send(new DescribeClusterCommand({ name: 'payments-use1' }));

    // Assess
    expect(out.cluster).toMatchObject({
      name: 'payments-use1',
      arn: `arn:aws:eks:us-east-1:${PAYMENTS}:cluster/payments-use1`,
      version: '1.29',
      status: 'ACTIVE',
      platformVersion: 'eks.1',
      tags: { team: 'payments' },
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
    });
    expect(out.cluster?.createdAt).toBeInstanceOf(Date);
    expect(out.cluster?.certificateAuthority?.data).toBeTruthy();
  });

  it('describes the vpc-cni add-on with health, role, configuration and pod identity ARNs', async () => {
    // Act
    const out = await eks.send(new DescribeAddonCommand({ clusterName: 'payments-use1', addonName: 'vpc-cni' }));

    // Assess
    expect(out.addon).toMatchObject({
      addonName: 'vpc-cni',
      clusterName: 'payments-use1',
      status: 'DEGRADED',
      addonVersion: 'v1.18.0-eksbuild.1',
      health: { issues: [{ code: 'InsufficientNumberOfReplicas', message: 'not enough replicas', resourceIds: [] }] },
      serviceAccountRoleArn: `arn:aws:iam::${PAYMENTS}:role/cni`,
      configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}',
      podIdentityAssociations: [expect.stringMatching(new RegExp(`^arn:aws:eks:us-east-1:${PAYMENTS}:podidentityassociation/payments-use1/a-[0-9a-z]{17}$`))],
    });
  });

  it('answers ResourceNotFoundException (404) for the add-on of a self-managed cluster', async () => {
    // Act
    const error = await rejectionOf(eks.send(new DescribeAddonCommand({ clusterName: 'payments-selfmanaged-use1', addonName: 'vpc-cni' })));

    // Assess
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata?.httpStatusCode).toBe(404);
    expect(error.message).toBe('No addon: vpc-cni found in cluster: payments-selfmanaged-use1');
  });

  it('lists cluster-level and add-on pod identity associations, filtered by service account', async () => {
    // Act
    const all = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'payments-use1' }));
    const awsNode = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'payments-use1', namespace: 'kube-system', serviceAccount: 'aws-node' }));
    const described = await eks.send(new DescribePodIdentityAssociationCommand({ clusterName: 'payments-use1', associationId: awsNode.associations![0]!.associationId! }));

    // Assess
    expect(all.associations?.map((a) => a.serviceAccount)).toEqual(['prometheus', 'aws-node']);
    expect(awsNode.associations).toHaveLength(1);
    expect(awsNode.associations![0]!.ownerArn).toMatch(/:addon\/payments-use1\/vpc-cni\//);
    expect(described.association?.roleArn).toBe(`arn:aws:iam::${PAYMENTS}:role/cni-pia`);
  });

  it('serves the add-on catalog filtered to a Kubernetes version', async () => {
    // Act
    const out = await eks.send(new DescribeAddonVersionsCommand({ addonName: 'vpc-cni', kubernetesVersion: '1.29' }));

    // Assess
    expect(out.addons).toHaveLength(1);
    expect(out.addons![0]).toMatchObject({ addonName: 'vpc-cni', type: 'networking' });
    expect(out.addons![0]!.addonVersions?.map((v) => v.addonVersion)).toEqual(['v1.18.6-eksbuild.1', 'v1.16.4-eksbuild.2']);
    expect(out.addons![0]!.addonVersions![0]!.compatibilities![0]).toEqual({ clusterVersion: '1.29', platformVersions: ['*'], defaultVersion: false });
  });

  it('answers every call in a disabled opt-in region as AWS does, and lists that region as DISABLED', async () => {
    // Prepare
    const inHongKong = new EKSClient(clientConfig(sim, { credentials, region: 'ap-east-1' }));

    // Act
    const error = await rejectionOf(inHongKong.send(new DescribeClusterCommand({ name: 'payments-use1' })));
    const regions = await new AccountClient(clientConfig(sim, { credentials })).send(new ListRegionsCommand({}));
    const enabledOnly = await new AccountClient(clientConfig(sim, { credentials })).send(
      new ListRegionsCommand({ RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] }),
    );

    // Assess
    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toBe('The security token included in the request is invalid');
    expect(regions.Regions).toEqual([
      { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
      { RegionName: 'ap-east-1', RegionOptStatus: 'DISABLED' },
    ]);
    expect(enabledOnly.Regions?.map((r) => r.RegionName)).toEqual(['us-east-1']);
  });

  it('sees a change a test makes to the org between two calls', async () => {
    // Prepare
    const addon = sim.org.accounts.find((a) => a.id === PAYMENTS)!.regions['us-east-1']!.clusters[0]!.addons['vpc-cni']!;
    const before = addon.addonVersion;
    addon.addonVersion = 'v1.18.6-eksbuild.1';

    try {
      // Act
      const out = await eks.send(new DescribeAddonCommand({ clusterName: 'payments-use1', addonName: 'vpc-cni' }));

      // Assess
      expect(out.addon?.addonVersion).toBe('v1.18.6-eksbuild.1');
    } finally {
      addon.addonVersion = before;
    }
  });
});
