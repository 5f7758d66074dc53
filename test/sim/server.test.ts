import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PATHS, CALLS_PATH, parseCredentialScope, SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator } from './server.js';
import { assumeInto, clientConfig, MANAGEMENT, PAYMENTS, rejectionOf, smallOrg } from './helpers.js';

describe('server.ts', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ org: { ...smallOrg(), buckets: ['env-bucket'] } });
  });
  afterAll(() => sim.stop());

  it('serves clients configured only through AWS_ENDPOINT_URL, S3 path-style included', async () => {
    // Prepare
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: sim.endpoint,
      AWS_ACCESS_KEY_ID: SIM_MANAGEMENT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_MANAGEMENT_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    try {
      // Act
      const clusters = await new EKSClient({}).send(new ListClustersCommand({}));
      const s3 = new S3Client({});
      await s3.send(new PutObjectCommand({ Bucket: 'env-bucket', Key: 'a.txt', Body: 'via env' }));
      const body = await (await s3.send(new GetObjectCommand({ Bucket: 'env-bucket', Key: 'a.txt' }))).Body!.transformToString();

      // Assess
      expect(clusters.clusters).toEqual(['mgmt-tools']);
      expect(body).toBe('via env');
    } finally {
      process.env = saved;
    }
  });

  it('counts calls by service, operation, account, region and status', async () => {
    // Prepare
    const credentials = await assumeInto(sim, PAYMENTS);
    sim.resetCalls();
    const eks = new EKSClient(clientConfig(sim, { credentials }));

    // Act
    await eks.send(new ListClustersCommand({}));
    await eks.send(new ListClustersCommand({}));
    await rejectionOf(new EKSClient(clientConfig(sim, { credentials, region: 'ap-east-1' })).send(new ListClustersCommand({})));

    // Assess
    expect(sim.calls()).toEqual([
      { service: 'eks', operation: 'ListClusters', accountId: PAYMENTS, region: 'us-east-1', status: 200, count: 2 },
      { service: 'eks', operation: 'ListClusters', accountId: PAYMENTS, region: 'ap-east-1', status: 403, count: 1 },
    ]);
  });

  it('serves the call counts as JSON at GET /__sim/calls, for a process that runs it as a child', async () => {
    // Prepare
    sim.resetCalls();
    await new EKSClient(clientConfig(sim)).send(new ListClustersCommand({}));

    // Act
    const res = await fetch(`${sim.endpoint}${CALLS_PATH}`);

    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(sim.calls());
    expect(sim.calls()).toEqual([expect.objectContaining({ service: 'eks', operation: 'ListClusters', accountId: MANAGEMENT, count: 1 })]);
  });

  it('replaces the organization at PUT /__sim/org and keeps Security Hub, SNS and S3 state', async () => {
    // Prepare
    await new S3Client(clientConfig(sim)).send(new PutObjectCommand({ Bucket: 'env-bucket', Key: 'kept.txt', Body: 'kept' }));
    const org = { ...smallOrg(), accounts: smallOrg().accounts.filter((a) => a.id !== PAYMENTS), buckets: ['env-bucket', 'new-bucket'] };

    // Act
    const put = await fetch(`${sim.endpoint}${ADMIN_PATHS.org}`, { method: 'PUT', body: JSON.stringify(org) });
    const bad = await fetch(`${sim.endpoint}${ADMIN_PATHS.org}`, { method: 'PUT', body: JSON.stringify({ accounts: 'none' }) });
    const faults = await fetch(`${sim.endpoint}${ADMIN_PATHS.faults}`, { method: 'PUT', body: JSON.stringify({ latencyMs: 5 }) });
    const hub = await fetch(`${sim.endpoint}${ADMIN_PATHS.securityHub}`);
    const sns = await fetch(`${sim.endpoint}${ADMIN_PATHS.sns}`);

    // Assess
    expect(put.status).toBe(200);
    expect(sim.org.accounts.map((a) => a.id)).not.toContain(PAYMENTS);
    expect(sim.objects('env-bucket').has('kept.txt')).toBe(true);
    expect(sim.objects('new-bucket').size).toBe(0);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('managementAccountId');
    expect(faults.status).toBe(200);
    expect(sim.org.faults.latencyMs).toBe(5);
    expect(await hub.json()).toEqual([]);
    expect(await sns.json()).toEqual([]);
    sim.setFaults({});
    sim.org = { ...smallOrg(), buckets: ['env-bucket'] };
  });

  it('refuses an unsigned request and keeps connections alive for at least 60 s', async () => {
    // Act
    const res = await fetch(`${sim.endpoint}/clusters`);

    // Assess
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException:');
    expect(Number(/timeout=(\d+)/.exec(res.headers.get('keep-alive') ?? '')?.[1])).toBeGreaterThanOrEqual(60);
  });

  it('reads the service, region and access key from the SigV4 credential scope', () => {
    // Act
    const scope = parseCredentialScope(
      'AWS4-HMAC-SHA256 Credential=AKID/20261124/eu-west-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
      new URLSearchParams(),
    );

    // Assess
    expect(scope).toEqual({ accessKeyId: 'AKID', region: 'eu-west-1', service: 'eks' });
  });

  it('names the file and the field of an invalid org file', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'sim-org-'));
    const file = join(dir, 'bad-org.json');
    await writeFile(file, JSON.stringify({ managementAccountId: MANAGEMENT, accounts: [{ id: '12345', name: 'short-id' }] }));

    // Act
    const error = await rejectionOf(startSimulator({ org: file }));

    // Assess
    expect(error.name).toBe('SimOrgError');
    expect(error.message).toContain(file);
    expect(error.message).toContain('accounts.0.id');
  });
});
