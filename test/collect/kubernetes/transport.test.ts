/** The HTTPS GET against a real local TLS server (the simulator's test certificates): what each answer becomes. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesApiError } from '../../../lib/collect/kubernetes/errors.js';
import { apiUrl } from '../../../lib/collect/kubernetes/reader.js';
import { httpsGetJson, type SecureContexts } from '../../../lib/collect/kubernetes/transport.js';

const TLS = new URL('../../sim/tls/', import.meta.url);
const CA = readFileSync(new URL('ca.pem', TLS), 'utf8');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let origin: string;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer({ key: readFileSync(new URL('server.key', TLS)), cert: readFileSync(new URL('server.pem', TLS)) }, (req, res) => {
    seen.push(req);
    const route = routes.get(req.url ?? '');
    if (route) route(req, res);
    else res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function json(status: number, body: unknown): Handler {
  return (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function get(path: string, options: { ca?: string; timeoutMs?: number; base?: string; secureContexts?: SecureContexts } = {}) {
  return httpsGetJson({
    url: new URL(path, options.base ?? origin),
    ca: options.ca ?? CA,
    token: 'k8s-aws-v1.dGVzdA',
    timeoutMs: options.timeoutMs ?? 2_000,
    clusterName: 'prod-1',
    ...(options.secureContexts ? { secureContexts: options.secureContexts } : {}),
  });
}

async function failureOf(promise: Promise<unknown>): Promise<KubernetesApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubernetesApiError);
  return error as KubernetesApiError;
}

const status = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message: `${reason} for the test` });

describe('transport.ts', () => {
  it('GETs with the bearer token, trusting only the given CA, and parses the JSON', async () => {
    // Prepare
    routes.set('/ok', json(200, { kind: 'DaemonSet' }));

    // Act
    const body = await get('/ok');

    // Assess
    expect(body).toEqual({ kind: 'DaemonSet' });
    const req = seen.find((r) => r.url === '/ok')!;
    expect(req.method).toBe('GET');
    expect(req.headers.authorization).toBe('Bearer k8s-aws-v1.dGVzdA');
  });

  it.each<[number, string, string]>([
    [401, 'Unauthorized', 'unauthorized'],
    [403, 'Forbidden', 'forbidden'],
    [404, 'NotFound', 'not-found'],
    [500, 'InternalError', 'http'],
  ])('turns HTTP %i into a %s failure with the Kubernetes reason as code', async (code, reason, failure) => {
    // Prepare
    routes.set(`/status-${code}`, json(code, status(code, reason)));

    // Act
    const error = await failureOf(get(`/status-${code}`));

    // Assess
    expect(error).toMatchObject({ failure, code: reason, status: code });
    expect(error.message).toContain('prod-1');
    expect(error.message).not.toContain('k8s-aws-v1');
  });

  it('names a 2xx answer that is not JSON malformed', async () => {
    routes.set('/html', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    expect(await failureOf(get('/html'))).toMatchObject({ failure: 'malformed', code: 'MalformedResponse' });
  });

  it('refuses a server whose certificate the cluster CA did not sign', async () => {
    routes.set('/ok', json(200, {}));
    const error = await failureOf(get('/ok', { ca: rootCertificates[0]! }));
    expect(error.failure).toBe('tls');
  });

  it('shares one TLS context per CA across reads, and still refuses a server another CA vouches for', async () => {
    // Prepare
    routes.set('/ok', json(200, { kind: 'DaemonSet' }));
    const secureContexts: SecureContexts = new Map();

    // Act
    const bodies = await Promise.all([get('/ok', { secureContexts }), get('/ok', { secureContexts })]);
    const refused = await failureOf(get('/ok', { ca: rootCertificates[0]!, secureContexts }));

    // Assess
    expect(bodies).toEqual([{ kind: 'DaemonSet' }, { kind: 'DaemonSet' }]);
    expect([...secureContexts.keys()]).toEqual([CA, rootCertificates[0]]);
    expect(refused.failure).toBe('tls');
  });

  it('names a refused connection unreachable', async () => {
    // Prepare: a port nobody listens on any more
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    // Act
    const error = await failureOf(get('/ok', { base: `https://127.0.0.1:${port}` }));

    // Assess
    expect(error).toMatchObject({ failure: 'unreachable', code: 'ECONNREFUSED' });
    expect(error.isUnreachable).toBe(true);
  });

  it('gives up on a server that never answers, at the per-call timeout', async () => {
    // Prepare: the request is taken and never answered
    routes.set('/hang', () => undefined);

    // Act
    const error = await failureOf(get('/hang', { timeoutMs: 200 }));

    // Assess
    expect(error).toMatchObject({ failure: 'timeout', code: 'Timeout' });
    expect(error.isUnreachable).toBe(true);
  });

  it('refuses an answer larger than the limit', async () => {
    routes.set('/big', json(200, { pad: 'x'.repeat(2_000) }));
    const error = await failureOf(httpsGetJson({ url: new URL('/big', origin), ca: CA, token: 't', timeoutMs: 2_000, clusterName: 'c', maxBytes: 1_000 }));
    expect(error).toMatchObject({ failure: 'malformed', code: 'ResponseTooLarge' });
  });

  it('appends API paths to the endpoint path, and refuses a plain-HTTP endpoint', () => {
    // Act
    const url = apiUrl({ clusterName: 'c', region: 'r', endpoint: 'https://127.0.0.1:8443/k8s/1/r/c/', certificateAuthority: '' }, '/api/v1/x');

    // Assess
    expect(url.toString()).toBe('https://127.0.0.1:8443/k8s/1/r/c/api/v1/x');
    expect(() => apiUrl({ clusterName: 'c', region: 'r', endpoint: 'http://example.com', certificateAuthority: '' }, '/x')).toThrow(KubernetesApiError);
  });
});
