import { describe, expect, it } from 'vitest';
import { awsNodeFromDaemonSet, roleArnFromServiceAccount, selfManagedCniFacts } from '../../../lib/collect/kubernetes/aws-node.js';
import { KubernetesApiError } from '../../../lib/collect/kubernetes/errors.js';
import { upstreamAwsNodeDaemonSet } from '../../fixtures/upstream-aws-node.js';

const OFFICIAL = '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.9.3-eksbuild.1';

function daemonSet(containers: unknown[]): unknown {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'aws-node' }, spec: { template: { spec: { containers } } } };
}

describe('aws-node.ts', () => {
  it('maps the aws-node container into the facts of a managed add-on: tag, registry check, env and probe timeouts', () => {
    // Prepare
    const body = daemonSet([
      { name: 'aws-eks-nodeagent', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.0.8' },
      {
        name: 'aws-node',
        image: OFFICIAL,
        env: [
          { name: 'WARM_IP_TARGET', value: '5' },
          { name: 'ENABLE_PREFIX_DELEGATION', value: 'false' },
          { name: 'AWS_VPC_K8S_CNI_LOGLEVEL', value: 'DEBUG' },
          { name: 'MAX_ENI', value: '4' },
          { name: 'POD_SECURITY_GROUP_ENFORCING_MODE', value: 'standard' },
          { name: 'HTTPS_PROXY', value: 'http://user:pass@proxy:3128' },
          { name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        ],
        livenessProbe: { exec: { command: ['/app/grpc-health-probe'] }, timeoutSeconds: 5 },
        readinessProbe: { exec: { command: ['/app/grpc-health-probe'] }, timeoutSeconds: 10 },
      },
    ]);

    // Act
    const awsNode = awsNodeFromDaemonSet(body, 'prod-1');

    // Assess
    expect(awsNode).toEqual({
      image: OFFICIAL,
      version: 'v1.9.3-eksbuild.1',
      officialImage: true,
      configurationValues: expect.any(String),
      networkPolicyAgent: { image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.0.8', version: 'v1.0.8' },
      envNotCarried: [{ container: 'aws-node', name: 'HTTPS_PROXY', why: 'outside-schema' }],
      installMethod: 'manifest',
    });
    expect(JSON.parse(awsNode.configurationValues)).toEqual({
      env: {
        AWS_VPC_K8S_CNI_LOGLEVEL: 'DEBUG',
        ENABLE_PREFIX_DELEGATION: 'false',
        MAX_ENI: '4',
        POD_SECURITY_GROUP_ENFORCING_MODE: 'standard',
        WARM_IP_TARGET: '5',
      },
      livenessProbeTimeoutSeconds: 5,
      readinessProbeTimeoutSeconds: 10,
    });
  });

  it('reads the upstream v1.18.6 manifest: default env, probes, the agent and its --enable-network-policy flag', () => {
    // Act
    const awsNode = awsNodeFromDaemonSet(upstreamAwsNodeDaemonSet('v1.18.6'), 'prod-1');

    // Assess
    expect(awsNode.networkPolicyAgent).toEqual({ image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.4', version: 'v1.1.4' });
    expect(JSON.parse(awsNode.configurationValues)).toMatchObject({
      env: { ENABLE_PREFIX_DELEGATION: 'false', WARM_PREFIX_TARGET: '1', NETWORK_POLICY_ENFORCING_MODE: 'standard', ENABLE_SUBNET_DISCOVERY: 'true' },
      livenessProbeTimeoutSeconds: 10,
      enableNetworkPolicy: 'false',
    });
  });

  it.each([
    [['--enable-network-policy=true'], 'true'],
    [['-enable-network-policy=false', '--enable-network-policy'], 'true'], // the last flag wins; a bare flag is true
    [['--enable-ipv6=false'], undefined],
  ])('maps the agent flags %j to enableNetworkPolicy %j', (args, expected) => {
    // Prepare
    const body = daemonSet([{ name: 'aws-node', image: OFFICIAL }, { name: 'aws-eks-nodeagent', image: 'x/amazon/aws-network-policy-agent:v1.2.0', args }]);

    // Act
    const config = JSON.parse(awsNodeFromDaemonSet(body, 'c').configurationValues) as { enableNetworkPolicy?: string };

    // Assess
    expect(config.enableNetworkPolicy).toBe(expected);
  });

  it('trusts the ECR Public image the upstream manifests name, and has no agent facts for a pod without one', () => {
    // Act
    const awsNode = awsNodeFromDaemonSet(daemonSet([{ name: 'aws-node', image: 'public.ecr.aws/eks/amazon-k8s-cni:v1.18.1' }]), 'c');

    // Assess
    expect(awsNode).toMatchObject({ officialImage: true, version: 'v1.18.1' });
    expect(awsNode.networkPolicyAgent).toBeUndefined();
  });

  it('never copies a value from a secret or config map, even for a known setting', () => {
    // Prepare
    const body = daemonSet([
      {
        name: 'aws-node',
        image: OFFICIAL,
        env: [
          { name: 'WARM_IP_TARGET', valueFrom: { secretKeyRef: { name: 'cni', key: 'warm' } } },
          { name: 'MINIMUM_IP_TARGET', value: '10', valueFrom: { configMapKeyRef: { name: 'cni', key: 'min' } } },
        ],
      },
    ]);

    // Act
    const awsNode = awsNodeFromDaemonSet(body, 'prod-1');

    // Assess
    expect(JSON.parse(awsNode.configurationValues)).toEqual({ env: {} });
  });

  it('names every env setting it does not carry, never its value: proxies, custom variables, valueFrom and envFrom, in aws-node and its init container', () => {
    // Prepare: proxies as the AWS knowledge-center guide sets them, both ways
    const body = {
      ...(daemonSet([
        {
          name: 'aws-node',
          image: OFFICIAL,
          env: [
            { name: 'WARM_IP_TARGET', value: '5' },
            { name: 'HTTPS_PROXY', value: 'http://svc:s3cr3t@proxy.internal:3128' },
            { name: 'NO_PROXY', value: '169.254.169.254,10.0.0.0/8' },
            { name: 'MINIMUM_IP_TARGET', valueFrom: { configMapKeyRef: { name: 'cni', key: 'min' } } },
            { name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'VPC_CNI_VERSION', value: 'v1.18.6' },
          ],
          envFrom: [{ configMapRef: { name: 'proxy-environment-variables' } }, { secretRef: { name: 'extra' }, prefix: 'X_' }],
        },
      ]) as { spec: { template: { spec: Record<string, unknown> } } }),
    };
    body.spec.template.spec.initContainers = [{ name: 'aws-vpc-cni-init', image: OFFICIAL, env: [{ name: 'DISABLE_TCP_EARLY_DEMUX', value: 'true' }, { name: 'HTTP_PROXY', value: 'http://proxy:3128' }] }];

    // Act
    const awsNode = awsNodeFromDaemonSet(body, 'prod-1');

    // Assess
    expect(awsNode.envNotCarried).toEqual([
      { container: 'aws-node', name: 'HTTPS_PROXY', why: 'outside-schema' },
      { container: 'aws-node', name: 'NO_PROXY', why: 'outside-schema' },
      { container: 'aws-node', name: 'MINIMUM_IP_TARGET', why: 'valueFrom' },
      { container: 'aws-node', name: 'configMapRef/proxy-environment-variables', why: 'envFrom' },
      { container: 'aws-node', name: 'secretRef/extra X_*', why: 'envFrom' },
      { container: 'aws-vpc-cni-init', name: 'HTTP_PROXY', why: 'outside-schema' },
    ]);
    expect(JSON.stringify(awsNode)).not.toContain('s3cr3t');
    expect(JSON.parse(awsNode.configurationValues)).toEqual({ env: { WARM_IP_TARGET: '5' }, init: { env: { DISABLE_TCP_EARLY_DEMUX: 'true' } } });
  });

  it.each(['v1.15.5', 'v1.18.6'] as const)('finds nothing left behind in the upstream %s manifest', (tag) => {
    // Act
    const awsNode = awsNodeFromDaemonSet(upstreamAwsNodeDaemonSet(tag), 'prod-1');

    // Assess
    expect(awsNode.envNotCarried).toEqual([]);
  });

  it('reports a mirrored image with its tag, and a digest-only image without a version', () => {
    // Act
    const mirror = awsNodeFromDaemonSet(daemonSet([{ name: 'aws-node', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1' }]), 'c');
    const pinned = awsNodeFromDaemonSet(daemonSet([{ name: 'aws-node', image: `602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni@sha256:${'b'.repeat(64)}` }]), 'c');

    // Assess
    expect(mirror).toMatchObject({ version: 'v1.15.1', officialImage: false, image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1' });
    expect(pinned).toMatchObject({ version: null, officialImage: true });
  });

  it('finds the CNI container by its image when it is not named aws-node', () => {
    const awsNode = awsNodeFromDaemonSet(daemonSet([{ name: 'cni', image: OFFICIAL }]), 'c');
    expect(awsNode.version).toBe('v1.9.3-eksbuild.1');
  });

  it.each([
    ['a Status object', { kind: 'Status', status: 'Failure' }],
    ['a DaemonSet of another CNI', daemonSet([{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.15.0' }])],
    ['a container without image', daemonSet([{ name: 'aws-node' }])],
  ])('rejects %s as malformed, naming the cluster', (_, body) => {
    // Act
    const error = (() => {
      try {
        awsNodeFromDaemonSet(body, 'prod-1');
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({ failure: 'malformed', code: 'MalformedDaemonSet' });
    expect((error as Error).message).toContain('prod-1');
  });

  it('reads the IRSA role from the service account annotation', () => {
    const annotated = { kind: 'ServiceAccount', metadata: { name: 'aws-node', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/cni' } } };
    expect(roleArnFromServiceAccount(annotated)).toBe('arn:aws:iam::1:role/cni');
    expect(roleArnFromServiceAccount({ kind: 'ServiceAccount', metadata: { name: 'aws-node' } })).toBeNull();
    expect(roleArnFromServiceAccount(null)).toBeNull();
  });

  it('makes the CniFacts of a self-managed CNI read from its DaemonSet', () => {
    // Prepare
    const agent = '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.4.1';
    const awsNode = awsNodeFromDaemonSet(daemonSet([{ name: 'aws-node', image: OFFICIAL }, { name: 'aws-eks-nodeagent', image: agent }]), 'c');

    // Act
    const cni = selfManagedCniFacts(awsNode, 'arn:aws:iam::1:role/cni', [{ associationId: 'a-1', serviceAccount: 'aws-node' }]);

    // Assess
    expect(cni).toEqual({
      managed: false,
      source: 'daemonset',
      installMethod: 'manifest',
      version: 'v1.9.3-eksbuild.1',
      image: OFFICIAL,
      officialImage: true,
      status: null,
      healthIssues: [],
      configurationValues: '{"env":{}}',
      serviceAccountRoleArn: 'arn:aws:iam::1:role/cni',
      podIdentityAssociations: [{ associationId: 'a-1', serviceAccount: 'aws-node' }],
      iamRoleKnown: true,
      networkPolicyAgent: { image: agent, version: 'v1.4.1' },
    });
  });

  describe('how aws-node was installed', () => {
    const withMetadata = (metadata: unknown) => ({ ...(daemonSet([{ name: 'aws-node', image: OFFICIAL }]) as object), metadata });

    it('reads a Helm install from the labels and annotations the aws-vpc-cni chart and Helm 3 put on it', () => {
      // Prepare: as `helm install aws-vpc-cni eks/aws-vpc-cni --version 1.18.6` labels the DaemonSet
      const body = withMetadata({
        name: 'aws-node',
        namespace: 'kube-system',
        labels: {
          'app.kubernetes.io/name': 'aws-node',
          'helm.sh/chart': 'aws-vpc-cni-1.18.6',
          'app.kubernetes.io/instance': 'aws-vpc-cni',
          'k8s-app': 'aws-node',
          'app.kubernetes.io/version': 'v1.18.6',
          'app.kubernetes.io/managed-by': 'Helm',
        },
        annotations: { 'meta.helm.sh/release-name': 'cni', 'meta.helm.sh/release-namespace': 'networking', 'deprecated.daemonset.template.generation': '3' },
      });

      // Act
      const awsNode = awsNodeFromDaemonSet(body, 'c');

      // Assess
      expect(awsNode.installMethod).toBe('helm');
      expect(awsNode.helmRelease).toEqual({ name: 'cni', namespace: 'networking', chartVersion: '1.18.6' });
      expect(selfManagedCniFacts(awsNode, null, [])).toMatchObject({ installMethod: 'helm', helmRelease: { name: 'cni' } });
    });

    it('takes the release from the instance label when Helm 2 or a template left no annotation', () => {
      const body = withMetadata({ namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'aws-vpc-cni' } });
      expect(awsNodeFromDaemonSet(body, 'c').helmRelease).toEqual({ name: 'aws-vpc-cni', namespace: 'kube-system', chartVersion: null });
    });

    it('reads the upstream release manifest (kubectl apply) as a manifest install', () => {
      // Prepare: the labels of config/master/aws-k8s-cni.yaml at v1.23.0, and kubectl's annotation
      const body = withMetadata({
        name: 'aws-node',
        namespace: 'kube-system',
        labels: { 'app.kubernetes.io/name': 'aws-node', 'app.kubernetes.io/instance': 'aws-vpc-cni', 'k8s-app': 'aws-node', 'app.kubernetes.io/version': 'v1.23.0' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      });

      // Act
      const awsNode = awsNodeFromDaemonSet(body, 'c');

      // Assess
      expect(awsNode.installMethod).toBe('manifest');
      expect(awsNode.helmRelease).toBeUndefined();
    });
  });
});
