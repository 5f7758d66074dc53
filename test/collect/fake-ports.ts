/** Plain fake ports for orchestration tests: fixed answers, with every EKS call counted. */
import type { AccountSession, ClusterDescription, CollectPorts, EksReader, VpcCniAddon } from '../../lib/collect/ports.js';
import { callerCredentials } from './fake-org.js';

export const managedAddon: VpcCniAddon = {
  version: 'v1.19.0-eksbuild.1',
  status: 'ACTIVE',
  healthIssues: [],
  configurationValues: null,
  serviceAccountRoleArn: null,
  podIdentityAssociations: [],
};

export function description(name: string, kubernetesVersion = '1.30'): ClusterDescription {
  return { name, arn: `arn:aws:eks:eu-west-1:111111111111:cluster/${name}`, kubernetesVersion, status: 'ACTIVE', tags: {} };
}

export function session(accountId = '111111111111'): AccountSession {
  return { accountId, partition: 'aws', credentials: callerCredentials };
}

/** An EKS reader answering from its overrides, counting calls and the peak of calls in flight. */
export function fakeReader(overrides: Partial<EksReader> = {}) {
  const stats = { calls: [] as string[], inFlight: 0, peak: 0 };
  const track =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      stats.calls.push(name);
      stats.inFlight++;
      stats.peak = Math.max(stats.peak, stats.inFlight);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        return await fn(...args);
      } finally {
        stats.inFlight--;
      }
    };
  const reader: EksReader = {
    listClusters: track('listClusters', overrides.listClusters ?? (async () => [])),
    describeCluster: track('describeCluster', overrides.describeCluster ?? (async (name: string) => description(name))),
    describeVpcCni: track('describeVpcCni', overrides.describeVpcCni ?? (async () => managedAddon)),
    listAwsNodePodIdentities: track('listAwsNodePodIdentities', overrides.listAwsNodePodIdentities ?? (async () => [])),
  };
  return { reader, stats };
}

export function fakePorts(reader: EksReader, overrides: Partial<CollectPorts> = {}): CollectPorts & { released: string[] } {
  const released: string[] = [];
  return {
    directory: { listAccounts: async () => [], accountsInOu: async () => [], managementAccountId: async () => '999999999999' },
    credentials: { sessionFor: async (accountId) => session(accountId) },
    regions: { enabledRegions: async () => ['eu-west-1'] },
    eks: () => reader,
    catalog: { offeredVersions: async () => ['v1.19.0-eksbuild.1'] },
    releaseAccount: (accountId) => released.push(accountId),
    ...overrides,
    released,
  };
}
