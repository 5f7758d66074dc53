/** A fake Kubernetes API for unit tests: answers by API path, counting GETs and the peak in flight. */
import { KubernetesApiError, type KubernetesFailure } from '../../../lib/collect/kubernetes/errors.js';
import type { ClusterDescription, KubernetesReader } from '../../../lib/collect/ports.js';

export const DAEMONSET = '/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node';
export const SERVICE_ACCOUNT = '/api/v1/namespaces/kube-system/serviceaccounts/aws-node';
export const OFFICIAL_175 = '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.7.5';

export function awsNodeDaemonSet(image = OFFICIAL_175, env: Record<string, string> = {}, probeTimeoutSeconds = 10): unknown {
  const probe = { exec: { command: ['/app/grpc-health-probe'] }, timeoutSeconds: probeTimeoutSeconds };
  return {
    kind: 'DaemonSet',
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'aws-node', image, env: Object.entries(env).map(([name, value]) => ({ name, value })), livenessProbe: probe, readinessProbe: probe },
          ],
        },
      },
    },
  };
}

export function awsNodeServiceAccount(roleArn?: string): unknown {
  return { kind: 'ServiceAccount', metadata: { name: 'aws-node', ...(roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn } } : {}) } };
}

export function apiError(failure: KubernetesFailure, code: string, status?: number): KubernetesApiError {
  return new KubernetesApiError(`GET on cluster c: ${code}`, { failure, code, ...(status === undefined ? {} : { status }) });
}

/**
 * Answers: a body, or an error to reject with, per API path. `otherInFlight`: the calls in flight
 * elsewhere (the EKS reader), for the peak of both together.
 */
export function fakeKubernetes(answers: Record<string, unknown>, otherInFlight: () => number = () => 0) {
  const stats = { gets: [] as string[], inFlight: 0, peak: 0, peakWithOther: 0 };
  const reader: KubernetesReader = {
    async getJson(target, apiPath) {
      stats.gets.push(`${target.clusterName}${apiPath}`);
      stats.inFlight++;
      stats.peak = Math.max(stats.peak, stats.inFlight);
      stats.peakWithOther = Math.max(stats.peakWithOther, stats.inFlight + otherInFlight());
      try {
        await new Promise((resolve) => setImmediate(resolve));
        const answer = answers[apiPath];
        if (answer instanceof Error) throw answer;
        if (answer === undefined) throw apiError('not-found', 'NotFound', 404);
        return answer;
      } finally {
        stats.inFlight--;
      }
    },
  };
  return { reader, stats };
}

export function describedCluster(name: string, overrides: Partial<ClusterDescription> = {}): ClusterDescription {
  return {
    name,
    arn: `arn:aws:eks:eu-west-1:111111111111:cluster/${name}`,
    kubernetesVersion: '1.29',
    status: 'ACTIVE',
    tags: {},
    endpoint: `https://${name}.example.eks.amazonaws.com`,
    certificateAuthority: Buffer.from('-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n').toString('base64'),
    ...overrides,
  };
}
