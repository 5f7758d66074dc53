/**
 * The aws-node DaemonSet read over the wire: EKS tokens signed with the assumed role's
 * credentials, HTTPS with the cluster CA from DescribeCluster, against the simulator's Kubernetes
 * API; then the shipped rules on the facts it gives.
 */
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsCollectPorts, type AwsCollectPorts } from '../../../lib/collect/aws.js';
import { KubernetesApiError } from '../../../lib/collect/kubernetes/errors.js';
import { createKubernetesReader } from '../../../lib/collect/kubernetes/reader.js';
import { scanOrganization, type ScanOptions } from '../../../lib/collect/scan.js';
import { evaluateCluster } from '../../../lib/evaluate/evaluate.js';
import { buildFactView } from '../../../lib/evaluate/facts.js';
import { loadRules } from '../../../lib/rules/load.js';
import type { ClusterFacts } from '../../../lib/types.js';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator, type SimOrgInput } from '../../sim/server.js';
import { DAEMONSET } from './fake-kubernetes.js';

const MGMT = '111111111111';
const PROD = '222222222222';
const ECR = '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni';
const MIRROR = '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1';
const AGENT = '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent';

const org: SimOrgInput = {
  managementAccountId: MGMT,
  auditRoleName: 'FleetAuditRole',
  accounts: [
    { id: MGMT, name: 'management', regions: { 'eu-west-1': { clusters: [{ name: 'mgmt-self', version: '1.29', selfManagedCni: { image: `${ECR}:v1.18.6` } }] } } },
    {
      id: PROD,
      name: 'prod',
      regions: {
        'eu-west-1': {
          clusters: [
            {
              name: 'legacy',
              version: '1.21',
              selfManagedCni: { image: `${ECR}:v1.7.5`, env: { WARM_IP_TARGET: '3' }, livenessProbeTimeoutSeconds: 1, readinessProbeTimeoutSeconds: 1 },
            },
            {
              name: 'current',
              version: '1.29',
              selfManagedCni: { image: `${ECR}:v1.18.6-eksbuild.1`, roleArn: 'arn:aws:iam::222222222222:role/cni', installedBy: 'helm', helm: { release: 'cni', chart: '1.18.6' } },
            },
            { name: 'mirrored', version: '1.29', selfManagedCni: { image: MIRROR, roleArn: 'arn:aws:iam::222222222222:role/cni' } },
            {
              // a partial upgrade: the CNI image moved to v1.23.0, the agent stayed on v1.22.4's v1.4.0
              name: 'partial',
              version: '1.31',
              selfManagedCni: { image: `${ECR}:v1.23.0`, nodeAgentImage: `${AGENT}:v1.4.0`, enableNetworkPolicy: true, roleArn: 'arn:aws:iam::222222222222:role/cni' },
            },
            { name: 'locked', version: '1.29', selfManagedCni: { image: `${ECR}:v1.10.1`, access: false } },
            { name: 'private', version: '1.29', selfManagedCni: { image: `${ECR}:v1.10.1`, endpointReachable: false } },
            {
              name: 'drifted',
              version: '1.29',
              addons: { 'vpc-cni': { addonVersion: 'v1.18.6-eksbuild.1', serviceAccountRoleArn: 'arn:aws:iam::222222222222:role/cni' } },
              selfManagedCni: { image: `${ECR}:v1.18.3` },
            },
          ],
        },
      },
    },
  ],
  addonVersions: {
    'vpc-cni': [{ addonVersion: 'v1.18.6-eksbuild.1', compatibilities: [{ clusterVersion: '1.29' }, { clusterVersion: '1.21' }] }],
  },
};

const options: ScanOptions = {
  partition: 'aws',
  homeRegion: 'eu-west-1',
  regions: ['eu-west-1'],
  roleName: 'FleetAuditRole',
  sessionName: 'eks-fleet-auditor',
  concurrency: 2,
  perAccountConcurrency: 4,
};

let sim: Simulator;
let ports: AwsCollectPorts;

beforeAll(async () => {
  sim = await startSimulator({ org });
});

afterAll(async () => {
  ports?.destroy();
  await sim.stop();
});

beforeEach(() => {
  sim.resetCalls();
  ports?.destroy();
  ports = createAwsCollectPorts({
    homeRegion: 'eu-west-1',
    partition: 'aws',
    endpoint: sim.endpoint,
    maxSockets: 8,
    callerCredentials: async () => ({ ...SIM_MANAGEMENT_CREDENTIALS }),
    kubernetesTimeoutMs: 5_000, // the default: TLS to the simulator can take seconds on a loaded machine
  });
});

const cluster = (clusters: ClusterFacts[], name: string) => clusters.find((c) => c.clusterName === name)!;

describe('the aws-node DaemonSet read against the simulator', () => {
  it('reads every self-managed CNI it can reach, and notes the others without failing anything', async () => {
    // Act
    const result = await scanOrganization(options, ports);

    // Assess
    const { clusters } = result;
    expect(cluster(clusters, 'legacy').cni).toEqual({
      managed: false,
      source: 'daemonset',
      installMethod: 'manifest',
      version: 'v1.7.5',
      image: `${ECR}:v1.7.5`,
      officialImage: true,
      status: null,
      healthIssues: [],
      configurationValues: '{"env":{"WARM_IP_TARGET":"3"},"livenessProbeTimeoutSeconds":1,"readinessProbeTimeoutSeconds":1}',
      serviceAccountRoleArn: null,
      podIdentityAssociations: [],
      iamRoleKnown: true,
    });
    expect(cluster(clusters, 'current').cni).toMatchObject({
      version: 'v1.18.6-eksbuild.1',
      officialImage: true,
      serviceAccountRoleArn: 'arn:aws:iam::222222222222:role/cni',
      installMethod: 'helm',
      helmRelease: { name: 'cni', namespace: 'kube-system', chartVersion: '1.18.6' },
    });
    expect(cluster(clusters, 'mirrored').cni).toMatchObject({ version: 'v1.15.1', image: MIRROR, officialImage: false });
    expect(cluster(clusters, 'mgmt-self').cni).toMatchObject({ source: 'daemonset', version: 'v1.18.6' }); // the caller's own credentials
    expect(cluster(clusters, 'partial').cni).toMatchObject({
      version: 'v1.23.0',
      networkPolicyAgent: { image: `${AGENT}:v1.4.0`, version: 'v1.4.0' },
      configurationValues: '{"env":{},"livenessProbeTimeoutSeconds":10,"readinessProbeTimeoutSeconds":10,"enableNetworkPolicy":"true"}',
    });
    expect(cluster(clusters, 'legacy').cni.networkPolicyAgent).toBeUndefined(); // a pod without the agent, as before v1.14
    for (const name of ['locked', 'private']) expect(cluster(clusters, name).cni).toMatchObject({ source: 'none', version: null });
    expect(cluster(clusters, 'drifted').cni.daemonSetVersion).toBeUndefined(); // default mode: managed add-ons are not read
    expect(result.coverage.notes).toEqual([
      expect.objectContaining({ accountId: PROD, region: 'eu-west-1', cluster: 'locked', kind: 'no-kubernetes-access' }),
      expect.objectContaining({ accountId: PROD, region: 'eu-west-1', cluster: 'private', kind: 'endpoint-not-reachable' }),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.completedScopes).toEqual([
      { accountId: MGMT, region: 'eu-west-1' },
      { accountId: PROD, region: 'eu-west-1' },
    ]);
  });

  it('counts the Kubernetes calls in calls(): two GETs per readable self-managed cluster, 401 for none', async () => {
    // Act
    await scanOrganization(options, ports);

    // Assess
    const k8s = sim.calls().filter((c) => c.service === 'kubernetes');
    const count = (operation: string, status: number) => k8s.filter((c) => c.operation === operation && c.status === status).reduce((n, c) => n + c.count, 0);
    expect(count('GetDaemonSet', 200)).toBe(5);
    expect(count('GetServiceAccount', 200)).toBe(5);
    expect(count('GetDaemonSet', 403)).toBe(1);
    expect(k8s.some((c) => c.status === 401)).toBe(false); // every token was accepted, signature included
  });

  it('with readDaemonSet all, records the version the DaemonSet of a managed add-on runs', async () => {
    // Act
    const result = await scanOrganization({ ...options, readDaemonSet: 'all' }, ports);

    // Assess
    const drifted = cluster(result.clusters, 'drifted');
    expect(drifted.cni).toMatchObject({ managed: true, source: 'addon', version: 'v1.18.6-eksbuild.1', daemonSetVersion: 'v1.18.3' });
    expect(buildFactView(drifted).get('addon.daemonSetVersion')).toBe('v1.18.3');
  });

  it('with readDaemonSet never, calls no Kubernetes API', async () => {
    // Act
    const result = await scanOrganization({ ...options, readDaemonSet: 'never' }, ports);

    // Assess
    expect(sim.calls().filter((c) => c.service === 'kubernetes')).toEqual([]);
    expect(cluster(result.clusters, 'legacy').cni.source).toBe('none');
    expect(result.coverage.notes).toEqual([]);
  });

  it('judges a self-managed CNI with the same rules as a managed add-on', async () => {
    // Prepare
    const rules = await loadRules();
    const { clusters } = await scanOrganization(options, ports);
    const ruleIds = (name: string) => evaluateCluster(rules, cluster(clusters, name)).map((f) => f.ruleId).sort();

    // Act
    const legacy = ruleIds('legacy');

    // Assess: v1.7.5 is below 1.8.0 but not below 1.7.2, exactly like v1.7.5-eksbuild.1 as an add-on
    expect(legacy).toContain('vpc-cni-below-v1.8.0');
    expect(legacy).not.toContain('vpc-cni-below-v1.7.2');
    expect(legacy).toEqual(
      expect.arrayContaining(['vpc-cni-warm-ip-target-without-minimum', 'vpc-cni-probe-timeout-low', 'vpc-cni-no-iam-role', 'vpc-cni-self-managed']),
    );
    expect(legacy).not.toContain('vpc-cni-version-unknown');
    expect(ruleIds('current')).toEqual(['vpc-cni-self-managed']);
    expect(ruleIds('mirrored')).toContain('vpc-cni-unofficial-image');
    expect(ruleIds('locked')).toContain('vpc-cni-version-unknown');
    expect(ruleIds('partial')).toEqual(['vpc-cni-network-policy-agent-below-v1.4.1', 'vpc-cni-self-managed']);
    const mirrored = evaluateCluster(rules, cluster(clusters, 'mirrored')).find((f) => f.ruleId === 'vpc-cni-unofficial-image')!;
    expect(mirrored.why).toContain(MIRROR);
  });

  it('refuses a token signed for another cluster (the simulator checks the signed x-k8s-aws-id)', async () => {
    // Prepare: the session of the prod account, and the endpoint of one cluster under another's name
    const session = await ports.credentials.sessionFor(PROD, { roleName: 'FleetAuditRole', sessionName: 'eks-fleet-auditor' });
    const eks = new EKSClient(ports.clientConfig('eu-west-1', session.credentials));
    const legacy = (await eks.send(new DescribeClusterCommand({ name: 'legacy' }))).cluster!;
    const reader = createKubernetesReader({ session, stsEndpoint: sim.endpoint });
    const target = { region: 'eu-west-1', endpoint: legacy.endpoint!, certificateAuthority: legacy.certificateAuthority!.data! };

    // Act
    const right = await reader.getJson({ ...target, clusterName: 'legacy' }, DAEMONSET);
    const wrong = await reader.getJson({ ...target, clusterName: 'current' }, DAEMONSET).catch((e: unknown) => e);

    // Assess
    expect(right).toMatchObject({ kind: 'DaemonSet' });
    expect(wrong).toBeInstanceOf(KubernetesApiError);
    expect(wrong).toMatchObject({ failure: 'unauthorized', status: 401 });
  });
});
