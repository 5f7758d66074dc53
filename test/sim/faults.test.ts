import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { DescribeAddonCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { assumeInto, clientConfig, PAYMENTS, rejectionOf, smallOrg, type Credentials } from './helpers.js';

describe('faults.ts', () => {
  let sim: Simulator;
  let credentials: Credentials;

  beforeAll(async () => {
    sim = await startSimulator({ org: smallOrg() });
    credentials = await assumeInto(sim, PAYMENTS);
  });
  beforeEach(() => {
    sim.setFaults({});
    sim.resetCalls();
  });
  afterAll(() => sim.stop());

  it('throttles with each service’s real error, visible as such with retries disabled', async () => {
    // Prepare
    sim.setFaults({ throttleRate: 1 });
    const cfg = clientConfig(sim, { credentials, maxAttempts: 1 });
    const management = clientConfig(sim, { maxAttempts: 1 });
    const calls: Record<string, () => Promise<unknown>> = {
      eks: () => new EKSClient(cfg).send(new ListClustersCommand({})),
      organizations: () => new OrganizationsClient(management).send(new ListAccountsCommand({})),
      account: () => new AccountClient(cfg).send(new ListRegionsCommand({})),
      sts: () => new STSClient(cfg).send(new GetCallerIdentityCommand({})),
      securityhub: () => new SecurityHubClient(cfg).send(new GetFindingsCommand({})),
      sns: () => new SNSClient(cfg).send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${PAYMENTS}:audit`, Message: 'x' })),
      s3: () => new S3Client(management).send(new GetObjectCommand({ Bucket: 'history', Key: 'k' })),
    };

    // Act
    const seen: Record<string, [string, number | undefined]> = {};
    for (const [service, call] of Object.entries(calls)) {
      const error = await rejectionOf(call());
      seen[service] = [error.name, error.$metadata?.httpStatusCode];
    }

    // Assess
    expect(seen).toEqual({
      eks: ['ThrottlingException', 429],
      organizations: ['TooManyRequestsException', 400],
      account: ['TooManyRequestsException', 429],
      sts: ['Throttling', 400],
      securityhub: ['ThrottlingException', 429],
      sns: ['Throttling', 400],
      s3: ['SlowDown', 503],
    });
  });

  it('lets the SDK retry (maxAttempts 3) recover from a moderate throttle rate', async () => {
    // Prepare: with seed 1 and rate 0.3, two of the first five calls are throttled once
    sim.setFaults({ throttleRate: 0.3, seed: 1 });
    const eks = new EKSClient(clientConfig(sim, { credentials, maxAttempts: 3 }));

    // Act
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await eks.send(new ListClustersCommand({})));

    // Assess
    expect(results.map((r) => r.clusters?.length)).toEqual([2, 2, 2, 2, 2]);
    expect(results.map((r) => r.$metadata.attempts)).toEqual([1, 2, 1, 1, 2]);
    expect(sim.calls().filter((c) => c.status === 429)).toEqual([expect.objectContaining({ operation: 'ListClusters', count: 2 })]);
  });

  it('repeats the same fault pattern for the same seed', async () => {
    // Prepare
    const eks = new EKSClient(clientConfig(sim, { credentials, maxAttempts: 1 }));
    const pattern = async () => {
      sim.setFaults({ throttleRate: 0.5, errorRate: 0.2, seed: 7 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push(await eks.send(new ListClustersCommand({})).then(() => 200, (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode ?? 0));
      }
      return statuses;
    };

    // Act
    const first = await pattern();
    const second = await pattern();

    // Assess
    expect(first).toEqual(second);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('applies a targeted rule the given number of times, to the matching cluster only', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 'eks', operation: 'DescribeAddon', accountId: PAYMENTS, cluster: 'payments-use1', error: 'InternalFailure', times: 2 }] });
    const eks = new EKSClient(clientConfig(sim, { credentials, maxAttempts: 1 }));
    const describe = (clusterName: string) => eks.send(new DescribeAddonCommand({ clusterName, addonName: 'vpc-cni' }));

    // Act
    const first = await rejectionOf(describe('payments-use1'));
    const other = await rejectionOf(describe('payments-selfmanaged-use1'));
    const second = await rejectionOf(describe('payments-use1'));
    const third = await describe('payments-use1');

    // Assess
    expect([first.name, first.$metadata?.httpStatusCode]).toEqual(['InternalFailure', 500]);
    expect(other.name).toBe('ResourceNotFoundException');
    expect(second.name).toBe('InternalFailure');
    expect(third.addon?.addonVersion).toBe('v1.18.0-eksbuild.1');
  });

  it('applies a rule on S3 objects only to the keys its pattern matches', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 's3', operation: 'PutObject', key: '^runs/[^/]+\\.json$', error: 'AccessDenied' }] });
    const s3 = new S3Client({ ...clientConfig(sim, { maxAttempts: 1 }), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'history' }));
    const put = (Key: string) => s3.send(new PutObjectCommand({ Bucket: 'history', Key, Body: '{}' }));

    // Act
    const refused = await rejectionOf(put('runs/run-1.json'));
    const nested = await put('runs/run-1.intents/audit.json');
    const elsewhere = await put('latest.json');

    // Assess
    expect([refused.name, refused.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(nested.ETag).toBeDefined();
    expect(elsewhere.ETag).toBeDefined();
    expect(() => sim.setFaults({ rules: [{ key: '(' }] })).toThrow(/not a regular expression/);
  });

  it('makes the SDK throw on a malformed body, JSON or XML', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 'eks', malformed: true }, { service: 'sts', malformed: true }] });

    // Act
    const json = await rejectionOf(new EKSClient(clientConfig(sim, { credentials })).send(new ListClustersCommand({})));
    const xml = await rejectionOf(new STSClient(clientConfig(sim, { credentials })).send(new GetCallerIdentityCommand({})));

    // Assess
    expect(json.message).toMatch(/JSON/);
    expect(xml.message).toMatch(/XML parse error/);
  });

  it('makes the SDK throw when the body is cut short', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 'eks', operation: 'ListClusters', truncate: true, times: 1 }] });
    const eks = new EKSClient(clientConfig(sim, { credentials }));

    // Act
    const error = await rejectionOf(eks.send(new ListClustersCommand({})));
    const after = await eks.send(new ListClustersCommand({}));

    // Assess
    expect((error as Error & { code?: string }).code).toBe('ECONNRESET');
    expect(after.clusters).toHaveLength(2);
  });

  it('throttles an account in a Region once its token bucket is empty, as AWS meters an API per account and Region', async () => {
    // Prepare
    sim.setFaults({ rateLimits: { eks: { perAccountPerSecond: 0.001, burst: 3 } } });
    const eks = new EKSClient(clientConfig(sim, { credentials, maxAttempts: 1 }));

    // Act
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await eks.send(new ListClustersCommand({})).then(() => 'ok', (e: Error) => e.name));
    const management = await new EKSClient(clientConfig(sim, { maxAttempts: 1 })).send(new ListClustersCommand({}));
    const otherRegion = await new EKSClient(clientConfig(sim, { credentials, maxAttempts: 1, region: 'eu-west-1' })).send(new ListClustersCommand({}));

    // Assess
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ThrottlingException', 'ThrottlingException']);
    expect(management.clusters).toEqual(['mgmt-tools']);
    expect(otherRegion.clusters).toBeDefined();
  });

  it('leaves exempt services alone', async () => {
    // Prepare
    sim.setFaults({ throttleRate: 1, errorRate: 1, exempt: ['sts'] });

    // Act
    const identity = await new STSClient(clientConfig(sim, { credentials })).send(new GetCallerIdentityCommand({}));
    const error = await rejectionOf(new EKSClient(clientConfig(sim, { credentials })).send(new ListClustersCommand({})));

    // Assess
    expect(identity.Account).toBe(PAYMENTS);
    expect(error.name).toBe('ThrottlingException');
  });

  it('refuses invalid fault settings', () => {
    // Act / Assess
    expect(() => sim.setFaults({ throttleRate: 2 })).toThrow(/throttleRate/);
  });
});
