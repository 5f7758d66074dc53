import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { EksTokenError } from '../../../lib/collect/kubernetes/errors.js';
import { readAwsNode } from '../../../lib/collect/kubernetes/read-aws-node.js';
import type { ClusterDescription } from '../../../lib/collect/ports.js';
import { apiError, awsNodeDaemonSet, awsNodeServiceAccount, DAEMONSET, describedCluster, fakeKubernetes, OFFICIAL_175, SERVICE_ACCOUNT } from './fake-kubernetes.js';

function read(answers: Record<string, unknown>, description: ClusterDescription = describedCluster('c'), withServiceAccount = true) {
  const fake = fakeKubernetes(answers);
  return { result: readAwsNode({ reader: fake.reader, description, region: 'eu-west-1', limit: pLimit(4), withServiceAccount }), stats: fake.stats };
}

describe('read-aws-node.ts', () => {
  it('reads the DaemonSet and the service account role', async () => {
    // Act
    const { result, stats } = read({ [DAEMONSET]: awsNodeDaemonSet(), [SERVICE_ACCOUNT]: awsNodeServiceAccount('arn:aws:iam::1:role/cni') });

    // Assess
    expect(await result).toEqual({
      kind: 'read',
      daemonSet: { image: OFFICIAL_175, version: 'v1.7.5', officialImage: true, configurationValues: expect.any(String), envNotCarried: [], installMethod: 'manifest' },
      serviceAccountRoleArn: 'arn:aws:iam::1:role/cni',
    });
    expect(stats.gets.sort()).toEqual([`c${SERVICE_ACCOUNT}`, `c${DAEMONSET}`].sort());
  });

  it('takes a missing service account as no role, and skips it when not asked', async () => {
    // Act
    const missing = await read({ [DAEMONSET]: awsNodeDaemonSet() }).result;
    const skipped = read({ [DAEMONSET]: awsNodeDaemonSet() }, describedCluster('c'), false);

    // Assess
    expect(missing).toMatchObject({ kind: 'read', serviceAccountRoleArn: null });
    expect(await skipped.result).toMatchObject({ kind: 'read', serviceAccountRoleArn: null });
    expect(skipped.stats.gets).toEqual([`c${DAEMONSET}`]);
  });

  it.each([
    ['401', apiError('unauthorized', 'Unauthorized', 401), 'no-kubernetes-access'],
    ['403', apiError('forbidden', 'Forbidden', 403), 'no-kubernetes-access'],
    ['a refused connection', apiError('unreachable', 'ECONNREFUSED'), 'endpoint-not-reachable'],
    ['a DNS failure', apiError('unreachable', 'ENOTFOUND'), 'endpoint-not-reachable'],
    ['a timeout', apiError('timeout', 'Timeout'), 'endpoint-not-reachable'],
  ])('makes %s a coverage note, not a failure', async (_, error, note) => {
    // Act
    const outcome = await read({ [DAEMONSET]: error, [SERVICE_ACCOUNT]: awsNodeServiceAccount() }).result;

    // Assess
    expect(outcome).toMatchObject({ kind: 'unavailable', note });
    expect(outcome.kind === 'unavailable' && outcome.message).toContain('c');
  });

  it('notes a cluster without endpoint without calling anything', async () => {
    // Act
    const { result, stats } = read({}, describedCluster('creating', { status: 'CREATING', endpoint: undefined }));

    // Assess
    expect(await result).toMatchObject({ kind: 'unavailable', note: 'endpoint-not-reachable', message: expect.stringContaining('CREATING') });
    expect(stats.gets).toEqual([]);
  });

  it.each([
    ['a server error', { [DAEMONSET]: apiError('http', 'InternalError', 500) }, 'InternalError'],
    ['a certificate mismatch', { [DAEMONSET]: apiError('tls', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['a DaemonSet of another CNI', { [DAEMONSET]: { kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: 'x', image: 'y:1' }] } } } } }, 'MalformedDaemonSet'],
    ['a service account read failing', { [DAEMONSET]: awsNodeDaemonSet(), [SERVICE_ACCOUNT]: apiError('http', 'InternalError', 500) }, 'InternalError'],
    ['no token', { [DAEMONSET]: new EksTokenError('cannot sign') }, 'EksTokenError'],
  ])('fails the read on %s, with a code', async (_, answers, code) => {
    expect(await read(answers).result).toMatchObject({ kind: 'failed', code });
  });

  it('takes a cluster without an aws-node DaemonSet as one running another CNI: a note, not a failure', async () => {
    // Act
    const outcome = await read({ [SERVICE_ACCOUNT]: awsNodeServiceAccount() }).result;

    // Assess
    expect(outcome).toMatchObject({ kind: 'unavailable', note: 'vpc-cni-not-installed', message: expect.stringContaining('another CNI') });
  });

  it('reports the DaemonSet failure first when both reads fail', async () => {
    const outcome = await read({ [DAEMONSET]: apiError('forbidden', 'Forbidden', 403), [SERVICE_ACCOUNT]: apiError('http', 'InternalError', 500) }).result;
    expect(outcome).toMatchObject({ kind: 'unavailable', note: 'no-kubernetes-access' });
  });
});
