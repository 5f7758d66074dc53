/**
 * One HTTPS GET against a cluster's API server, trusting only the cluster's own certificate
 * authority.
 *
 * Plain node:https rather than @kubernetes/client-node: the auditor makes two GETs per cluster,
 * and that client is a multi-megabyte bundle that would slow every cold start of the Lambda for
 * them. A cluster's reads go through an agent of that cluster's alone (reader.ts), destroyed when
 * they end, or with `agent: false` through a connection of their own: sockets never outlive the
 * cluster's reads, so thousands of clusters cannot pile up open connections, and the cluster CA
 * never leaks into a shared pool.
 */
import { request, type Agent, type RequestOptions } from 'node:https';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { KubernetesApiError, type KubernetesFailure } from './errors.js';

export interface HttpsGetRequest {
  url: URL;
  /** PEM of the certificate authority to trust (the only one). */
  ca: string;
  token: string;
  /** Connect + TLS + response, all within this; then the request is destroyed. */
  timeoutMs: number;
  /** Names the cluster in errors. */
  clusterName: string;
  maxBytes?: number;
  /**
   * TLS contexts already built, by CA PEM: a cluster's reads share one instead of parsing its CA
   * for each connection (measured: a third of the Kubernetes reads' CPU). Unset = built per call.
   */
  secureContexts?: SecureContexts;
  /**
   * A keep-alive agent of this cluster's alone, one socket: its reads share one TLS connection (a
   * handshake is most of a read's CPU). Unset = a connection of this read's own, closed after it.
   */
  agent?: Agent;
  /** Gives the read up (queued or in flight): it rejects as unreachable with code ABORT_ERR. */
  signal?: AbortSignal;
}

/** TLS contexts by the CA PEM they trust (one reader's: an account's clusters). */
export type SecureContexts = Map<string, SecureContext>;

function secureContextOf(ca: string, contexts: SecureContexts | undefined): SecureContext {
  const known = contexts?.get(ca);
  if (known) return known;
  const context = createSecureContext({ ca });
  contexts?.set(ca, context);
  return context;
}

/** A DaemonSet is ~10 KB; managedFields can grow it, but nothing legitimate comes near this. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const MAX_DETAIL = 200;

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** Failures of a read sent on a kept-alive connection the server had closed: it never reached the server. */
const staleConnection = new WeakSet<KubernetesApiError>();
/** Connections that have carried an answer: another read on one is on a kept-alive connection. */
const answeredOn = new WeakSet<object>();

/** The JSON body of a 2xx answer; anything else rejects with a KubernetesApiError. */
export async function httpsGetJson(req: HttpsGetRequest): Promise<unknown> {
  try {
    return await getOnce(req);
  } catch (error) {
    // Behind the cluster's other read on its agent, the connection that read used may have been
    // closed by the server as this one was sent (Node's keep-alive race; a server or proxy that
    // closes after each answer): once more, on a new connection. A GET; it never reached the server.
    if (error instanceof KubernetesApiError && staleConnection.has(error)) return getOnce(req);
    throw error;
  }
}

function getOnce(req: HttpsGetRequest): Promise<unknown> {
  const where = `GET ${req.url.pathname} on cluster ${req.clusterName}`;
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: KubernetesApiError | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value);
    };
    const expire = () => {
      const error = new KubernetesApiError(`${where}: no answer within ${req.timeoutMs} ms`, { failure: 'timeout', code: 'Timeout' });
      finish(error);
      outgoing?.destroy();
    };
    // Behind the cluster's other read on its agent, the time counts from its turn (its socket):
    // that read has a timeout of its own, and gives this one up if it could not connect (reader.ts).
    let timer = req.agent ? undefined : setTimeout(expire, req.timeoutMs);

    let outgoing: ReturnType<typeof request> | undefined;
    try {
      // https passes TLS options through to tls.connect; its RequestOptions type omits secureContext.
      const options: RequestOptions & Pick<ConnectionOptions, 'secureContext'> = {
        method: 'GET',
        agent: req.agent ?? false,
        ...(req.signal ? { signal: req.signal } : {}),
        // Trusts the cluster CA alone, as `ca` would: the context is built from it and nothing else.
        secureContext: secureContextOf(req.ca, req.secureContexts),
        headers: { authorization: `Bearer ${req.token}`, accept: 'application/json', 'user-agent': 'eks-fleet-auditor' },
      };
      outgoing = request(req.url, options);
    } catch (error) {
      // A CA that does not parse fails here, before any connection.
      finish(networkError(where, error));
      return;
    }
    // Node marks a socket reused only when it was free at the request, not when queued for it.
    let kept = false;
    if (req.agent) {
      outgoing.once('socket', (socket) => {
        kept = answeredOn.has(socket);
        if (!settled) timer = setTimeout(expire, req.timeoutMs);
      });
    }
    let answered = false;
    outgoing.on('error', (error) => {
      const failure = networkError(where, error);
      if (kept && !answered && failure.code === 'ECONNRESET') staleConnection.add(failure);
      finish(failure);
    });
    outgoing.on('response', (res) => {
      answered = true;
      answeredOn.add(res.socket);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish(new KubernetesApiError(`${where}: answer larger than ${maxBytes} bytes`, { failure: 'malformed', code: 'ResponseTooLarge' }));
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => finish(networkError(where, error)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        if (status >= 200 && status < 300) {
          try {
            finish(undefined, JSON.parse(text));
          } catch (error) {
            finish(new KubernetesApiError(`${where}: the answer is not JSON`, { failure: 'malformed', code: 'MalformedResponse', status, cause: error }));
          }
          return;
        }
        finish(statusError(where, status, text));
      });
    });
    outgoing.end();
  });
}

function failureOfStatus(status: number): KubernetesFailure {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  return 'http';
}

/** Kubernetes answers errors with a `Status` object: its reason and message are the useful part. */
function statusError(where: string, status: number, body: string): KubernetesApiError {
  let reason: string | undefined;
  let detail: string | undefined;
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; reason?: unknown; message?: unknown };
    if (parsed && parsed.kind === 'Status') {
      if (typeof parsed.reason === 'string' && parsed.reason) reason = parsed.reason;
      if (typeof parsed.message === 'string' && parsed.message) detail = parsed.message.slice(0, MAX_DETAIL);
    }
  } catch {
    // not a Status object: the HTTP status alone says it
  }
  const code = reason ?? `HTTP${status}`;
  return new KubernetesApiError(`${where}: HTTP ${status}${reason ? ` ${reason}` : ''}${detail ? ` (${detail})` : ''}`, {
    failure: failureOfStatus(status),
    code,
    status,
  });
}

function networkError(where: string, error: unknown): KubernetesApiError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = typeof code === 'string' ? code : 'NetworkError';
  const failure: KubernetesFailure = TLS_CODE.test(name) ? 'tls' : 'unreachable';
  const message = error instanceof Error ? error.message : String(error);
  return new KubernetesApiError(`${where}: ${failure === 'tls' ? 'TLS' : 'connection'} failed: ${message}`, { failure, code: name, cause: error });
}
