import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsCollectPorts, type AwsCollectPorts } from '../../lib/collect/aws.js';
import { errorCode } from '../../lib/collect/errors.js';
import type { AccountSession } from '../../lib/collect/ports.js';
import { callerCredentials } from './fake-org.js';

/** A tiny EKS over HTTP: each test sets how it answers; it records what reached it. */
interface Seen {
  path: string;
  /** The SigV4 credential scope: `KEY/date/region/service`. */
  scope: string;
}
type Answer = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let endpoint: string;
let seen: Seen[];
let connections: number;
let answer: Answer;
let ports: AwsCollectPorts | undefined;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const clusters: Answer = (_req, res) => json(res, 200, { clusters: ['c1'] });

beforeEach(async () => {
  seen = [];
  connections = 0;
  answer = clusters;
  server = createServer((req, res) => {
    const scope = /Credential=([^,]+)\/aws4_request/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    seen.push({ path: req.url ?? '', scope: scope.replace(/\/\d{8}\//, '/') });
    req.resume().on('end', () => answer(req, res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  ports?.destroy();
  ports = undefined;
  delete process.env.AWS_ENDPOINT_URL;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function session(accountId: string): AccountSession {
  return {
    accountId,
    partition: 'aws',
    credentials: async () => ({ accessKeyId: `KEY${accountId}`, secretAccessKey: 'secret', sessionToken: 'token' }),
  };
}

function build(options: { endpoint?: string; maxAttempts?: number } = {}): AwsCollectPorts {
  ports = createAwsCollectPorts({ homeRegion: 'us-east-1', partition: 'aws', maxSockets: 4, callerCredentials, ...options });
  return ports;
}

describe('aws.ts', () => {
  it("sends every account's EKS calls to the configured endpoint, signed with that account's credentials and region", async () => {
    // Prepare
    const collect = build({ endpoint });

    // Act
    await collect.eks(session('111111111111'), 'eu-west-1').listClusters();
    await collect.eks(session('222222222222'), 'ap-south-1').listClusters();

    // Assess
    expect(seen).toEqual([
      { path: '/clusters', scope: 'KEY111111111111/eu-west-1/eks' },
      { path: '/clusters', scope: 'KEY222222222222/ap-south-1/eks' },
    ]);
  });

  it('honours AWS_ENDPOINT_URL when no endpoint is configured', async () => {
    // Prepare
    process.env.AWS_ENDPOINT_URL = endpoint;
    const collect = build();

    // Act
    const names = await collect.eks(session('111111111111'), 'eu-west-1').listClusters();

    // Assess
    expect(names).toEqual(['c1']);
    expect(seen).toHaveLength(1);
  });

  it('serves all accounts and regions over the one shared keep-alive agent', async () => {
    // Prepare
    const collect = build({ endpoint });

    // Act
    for (const [account, region] of [['1', 'eu-west-1'], ['2', 'us-east-1'], ['3', 'us-west-2'], ['1', 'eu-west-1']] as const) {
      await collect.eks(session(account), region).listClusters();
    }

    // Assess
    expect(seen).toHaveLength(4);
    expect(connections).toBe(1);
  });

  it('absorbs throttling with the SDK retry strategy', async () => {
    // Prepare
    let calls = 0;
    answer = (req, res) => {
      calls++;
      if (calls <= 2) json(res, 429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'ThrottlingException' });
      else clusters(req, res);
    };
    const collect = build({ endpoint, maxAttempts: 3 });

    // Act
    const names = await collect.eks(session('1'), 'eu-west-1').listClusters();

    // Assess
    expect(names).toEqual(['c1']);
    expect(calls).toBe(3);
  });

  it('gives up after maxAttempts and reports the AWS error name', async () => {
    // Prepare
    answer = (_req, res) => json(res, 429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'ThrottlingException' });
    const collect = build({ endpoint, maxAttempts: 2 });

    // Act
    const listing = collect.eks(session('1'), 'eu-west-1').listClusters();

    // Assess
    await expect(listing).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(seen).toHaveLength(2);
  });

  it('turns a truncated response body into a DeserializationError', async () => {
    // Prepare
    answer = (_req, res) => json(res, 200, '{"cluster": {"name": "c1", "version": "1.3');
    const collect = build({ endpoint, maxAttempts: 1 });

    // Act
    const description = collect.eks(session('1'), 'eu-west-1').describeCluster('c1');

    // Assess
    const error = await description.catch((e: unknown) => e);
    expect(errorCode(error)).toBe('DeserializationError');
  });

  it('reads the SDK settings of the environment once for the run, and every client honours them', async () => {
    // Prepare: FIPS asked for by the environment, as an operator in GovCloud would
    const saved = process.env.AWS_USE_FIPS_ENDPOINT;
    process.env.AWS_USE_FIPS_ENDPOINT = 'true';
    try {
      const collect = build({ endpoint });

      // Act
      const one = collect.clientConfig('us-east-1');
      const other = collect.clientConfig('eu-west-1', callerCredentials);

      // Assess: one provider (memoized by the SDK) for every client, with the environment's value
      expect(one.useFipsEndpoint).toBeTypeOf('function');
      expect(other.useFipsEndpoint).toBe(one.useFipsEndpoint);
      expect(other.defaultsMode).toBe(one.defaultsMode);
      expect(await (one.useFipsEndpoint as () => Promise<boolean>)()).toBe(true);
      expect(await (other.useDualstackEndpoint as () => Promise<boolean>)()).toBe(false);
      collect.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_USE_FIPS_ENDPOINT;
      else process.env.AWS_USE_FIPS_ENDPOINT = saved;
    }
  });

  it('offers the shared client settings to delivery clients', () => {
    // Prepare
    const collect = build({ endpoint, maxAttempts: 5 });

    // Act
    const config = collect.clientConfig('eu-central-1', callerCredentials);

    // Assess
    expect(config).toMatchObject({
      region: 'eu-central-1',
      credentials: callerCredentials,
      requestHandler: collect.requestHandler,
      maxAttempts: 5,
      retryMode: 'standard',
      endpoint,
    });
    const withoutEndpoint = createAwsCollectPorts({ homeRegion: 'us-east-1', partition: 'aws', maxSockets: 1 });
    expect(withoutEndpoint.clientConfig('eu-central-1')).not.toHaveProperty('endpoint');
    withoutEndpoint.destroy();
  });
});
