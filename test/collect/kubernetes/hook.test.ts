/**
 * How a cluster read uses the Kubernetes API (cluster.ts) and how its outcome is recorded
 * (account.ts): which clusters are read in which mode, the facts they get, notes vs errors, and
 * the per-account call limit.
 */
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { scanAccount } from '../../../lib/collect/account.js';
import { readCluster, type ClusterContext } from '../../../lib/collect/cluster.js';
import type { DaemonSetReadMode } from '../../../lib/collect/kubernetes/mode.js';
import { ScanLedger } from '../../../lib/collect/ledger.js';
import type { EksReader, KubernetesReader } from '../../../lib/collect/ports.js';
import { fakePorts, fakeReader, managedAddon, session } from '../fake-ports.js';
import { apiError, awsNodeDaemonSet, awsNodeServiceAccount, DAEMONSET, describedCluster, fakeKubernetes, OFFICIAL_175, SERVICE_ACCOUNT } from './fake-kubernetes.js';

const account = { id: '111111111111', name: 'prod', state: 'ACTIVE' };

function context(reader: EksReader, kubernetes: KubernetesReader | undefined, readDaemonSet?: DaemonSetReadMode): ClusterContext {
  return {
    account,
    session: session(),
    region: 'eu-west-1',
    reader,
    catalog: { offeredVersions: async () => ['v1.19.0-eksbuild.1'] },
    limit: pLimit(4),
    ...(kubernetes ? { kubernetes } : {}),
    ...(readDaemonSet ? { readDaemonSet } : {}),
  };
}

const selfManaged = (overrides: Partial<EksReader> = {}) =>
  fakeReader({ describeCluster: async (name) => describedCluster(name), describeVpcCni: async () => null, ...overrides });
const managed = () => fakeReader({ describeCluster: async (name) => describedCluster(name) });

describe('cluster.ts with the Kubernetes API', () => {
  it('reads a self-managed CNI from its DaemonSet: version, image, settings, role, pod identities', async () => {
    // Prepare
    const { reader } = selfManaged({ listAwsNodePodIdentities: async () => [{ associationId: 'a-1', serviceAccount: 'aws-node' }] });
    const k8s = fakeKubernetes({
      [DAEMONSET]: awsNodeDaemonSet(OFFICIAL_175, { WARM_IP_TARGET: '3' }, 1),
      [SERVICE_ACCOUNT]: awsNodeServiceAccount('arn:aws:iam::111111111111:role/cni'),
    });

    // Act
    const read = await readCluster(context(reader, k8s.reader), 'legacy');

    // Assess
    expect(read.kind === 'read' && read.facts.cni).toEqual({
      managed: false,
      source: 'daemonset',
      installMethod: 'manifest',
      version: 'v1.7.5',
      image: OFFICIAL_175,
      officialImage: true,
      status: null,
      healthIssues: [],
      configurationValues: '{"env":{"WARM_IP_TARGET":"3"},"livenessProbeTimeoutSeconds":1,"readinessProbeTimeoutSeconds":1}',
      serviceAccountRoleArn: 'arn:aws:iam::111111111111:role/cni',
      podIdentityAssociations: [{ associationId: 'a-1', serviceAccount: 'aws-node' }],
      iamRoleKnown: true,
    });
    expect(read.kind === 'read' && read.kubernetes).toBeUndefined();
  });

  it('keeps a self-managed CNI it may not read at an unknown version, and says why', async () => {
    // Prepare
    const { reader } = selfManaged();
    const k8s = fakeKubernetes({ [DAEMONSET]: apiError('forbidden', 'Forbidden', 403) });

    // Act
    const read = await readCluster(context(reader, k8s.reader), 'locked');

    // Assess
    expect(read).toMatchObject({
      kind: 'read',
      facts: { cni: { managed: false, source: 'none', version: null } },
      kubernetes: { kind: 'unavailable', note: 'no-kubernetes-access' },
    });
  });

  it.each<[DaemonSetReadMode | undefined, number, number]>([
    [undefined, 2, 0],
    ['self-managed', 2, 0],
    ['all', 2, 1],
    ['never', 0, 0],
  ])('with mode %s reads %i GETs for a self-managed cluster and %i for a managed one', async (mode, selfGets, managedGets) => {
    // Prepare
    const answers = { [DAEMONSET]: awsNodeDaemonSet(), [SERVICE_ACCOUNT]: awsNodeServiceAccount() };
    const forSelf = fakeKubernetes(answers);
    const forManaged = fakeKubernetes(answers);

    // Act
    await readCluster(context(selfManaged().reader, forSelf.reader, mode), 'self');
    await readCluster(context(managed().reader, forManaged.reader, mode), 'managed');

    // Assess
    expect(forSelf.stats.gets).toHaveLength(selfGets);
    expect(forManaged.stats.gets).toHaveLength(managedGets);
  });

  it("records, with mode all, the version a managed add-on's DaemonSet really runs", async () => {
    // Prepare: the add-on says v1.19.0, the DaemonSet was edited by hand
    const k8s = fakeKubernetes({ [DAEMONSET]: awsNodeDaemonSet('602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.3') });

    // Act
    const read = await readCluster(context(managed().reader, k8s.reader, 'all'), 'drifted');

    // Assess
    expect(read.kind === 'read' && read.facts.cni).toEqual({ managed: true, source: 'addon', ...managedAddon, daemonSetVersion: 'v1.18.3' });
  });
});

describe('account.ts with the Kubernetes API', () => {
  it('notes no access and an unreachable endpoint, and still completes the region', async () => {
    // Prepare
    const { reader } = selfManaged({ listClusters: async () => ['locked'] });
    const k8s = fakeKubernetes({ [DAEMONSET]: apiError('unauthorized', 'Unauthorized', 401) });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, { role: 'caller', regions: ['eu-west-1'], perAccountConcurrency: 2 }, fakePorts(reader, { kubernetes: () => k8s.reader }), ledger);

    // Assess
    expect(ledger.notes).toEqual([{ accountId: account.id, region: 'eu-west-1', cluster: 'locked', kind: 'no-kubernetes-access', message: expect.stringContaining('access entry') }]);
    expect(ledger.errors).toEqual([]);
    expect(ledger.completedScopes).toEqual([{ accountId: account.id, region: 'eu-west-1' }]);
    expect(ledger.counts.clusters).toEqual({ scanned: 1, failed: 0, managedAddon: 0, selfManaged: 1 });
  });

  it('records any other Kubernetes failure as the cluster\'s read-daemonset error, keeps its facts, and marks aws-node unread', async () => {
    // Prepare
    const { reader } = selfManaged({ listClusters: async () => ['broken'] });
    const k8s = fakeKubernetes({ [DAEMONSET]: apiError('http', 'InternalError', 500) });
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, { role: 'caller', regions: ['eu-west-1'], perAccountConcurrency: 2 }, fakePorts(reader, { kubernetes: () => k8s.reader }), ledger);

    // Assess
    expect(ledger.errors).toEqual([
      { accountId: account.id, region: 'eu-west-1', cluster: 'broken', stage: 'read-daemonset', code: 'InternalError', message: expect.stringContaining('InternalError') },
    ]);
    expect(ledger.clusters.map((c) => c.cni.source)).toEqual(['none']);
    expect(ledger.clusters.map((c) => c.unread)).toEqual([[{ source: 'aws-node', reason: 'aws-node unreadable: 500 InternalError' }]]);
    expect(ledger.counts.clusters).toMatchObject({ scanned: 1, failed: 0 });
  });

  it('counts the Kubernetes GETs against the per-account call limit', async () => {
    // Prepare
    const names = Array.from({ length: 12 }, (_, i) => `self-${i}`);
    const eks = selfManaged({ listClusters: async () => names });
    const k8s = fakeKubernetes({ [DAEMONSET]: awsNodeDaemonSet(), [SERVICE_ACCOUNT]: awsNodeServiceAccount() }, () => eks.stats.inFlight);
    const ledger = new ScanLedger();

    // Act
    await scanAccount(account, { role: 'caller', regions: ['eu-west-1'], perAccountConcurrency: 3 }, fakePorts(eks.reader, { kubernetes: () => k8s.reader }), ledger);

    // Assess
    expect(k8s.stats.gets).toHaveLength(24);
    expect(k8s.stats.peakWithOther).toBe(3);
    expect(ledger.clusters.every((c) => c.cni.source === 'daemonset')).toBe(true);
  });
});
