import { Agent } from 'node:https';
import type { AccountSession, KubernetesReader, KubernetesTarget } from '../ports.js';
import { raceDeadline } from '../deadline.js';
import { KubernetesApiError } from './errors.js';
import { eksToken } from './token.js';
import { httpsGetJson, type SecureContexts } from './transport.js';

export const DEFAULT_KUBERNETES_TIMEOUT_MS = 5_000;

export interface KubernetesReaderOptions {
  session: AccountSession;
  /** A custom STS endpoint for the token (the simulator); unset = the cluster region's STS. */
  stsEndpoint?: string;
  /** Per call, connect + response (default 5 s): one dead endpoint cannot stall the scan. */
  timeoutMs?: number;
  /** The run deadline: a read still going then is given up. */
  signal?: AbortSignal;
}

/** What a cluster's reads in flight share: one EKS token, one TLS connection. */
interface ClusterReads {
  token: Promise<string>;
  agent: Agent;
  inFlight: number;
  /** The first read that could not connect (unreachable, no answer, TLS): the others fail with it. */
  failure?: KubernetesApiError;
  /** Gives up the reads still waiting behind it. */
  giveUp: AbortController;
}

/** A connection that failed so: another try on the same endpoint would wait as long again. */
const CONNECTION_FAILURES = new Set(['unreachable', 'timeout', 'tls']);

/**
 * The KubernetesReader of one account session: HTTPS with the cluster CA and an EKS token.
 *
 * A cluster's reads in flight together share one token and one TLS connection (a keep-alive agent
 * of one socket, destroyed when the last of them ends): a TLS handshake and a signature are most
 * of what a read costs, and a cluster's two reads are made at once (read-aws-node.ts). A read
 * that starts after the others ended gets a new token and connection. When one cannot connect (a
 * private endpoint never answers), the reads queued behind it fail with its failure at once: they
 * would each wait out the timeout again.
 */
export function createKubernetesReader(options: KubernetesReaderOptions): KubernetesReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KUBERNETES_TIMEOUT_MS;
  // One account's clusters: each CA is parsed once for its cluster's reads.
  const secureContexts: SecureContexts = new Map();
  const open = new Map<string, ClusterReads>();
  const readsOf = (target: KubernetesTarget): [string, ClusterReads] => {
    // Its CA too: the agent pools sockets without regard to the secure context, so a read trusting
    // another CA (one rotated between two descriptions) must not be handed a socket this one verified.
    const key = `${target.region}\n${target.clusterName}\n${target.endpoint}\n${target.certificateAuthority}`;
    let reads = open.get(key);
    if (!reads) {
      const token = eksToken({
        clusterName: target.clusterName,
        region: target.region,
        partition: options.session.partition,
        credentials: options.session.credentials,
        ...(options.stsEndpoint === undefined ? {} : { stsEndpoint: options.stsEndpoint }),
      });
      // Each read awaits it; a failed signature fails each, and is never unhandled.
      token.catch(() => undefined);
      reads = { token, agent: new Agent({ keepAlive: true, maxSockets: 1 }), inFlight: 0, giveUp: new AbortController() };
      open.set(key, reads);
    }
    reads.inFlight += 1;
    return [key, reads];
  };
  return {
    async getJson(target, apiPath) {
      const [key, reads] = readsOf(target);
      try {
        const token = await reads.token;
        if (reads.failure) throw reads.failure;
        return await raceDeadline(
          httpsGetJson({ url: apiUrl(target, apiPath), ca: caPem(target), secureContexts, agent: reads.agent, signal: reads.giveUp.signal, token, timeoutMs, clusterName: target.clusterName }),
          options.signal,
        );
      } catch (error) {
        if (!reads.failure && error instanceof KubernetesApiError && CONNECTION_FAILURES.has(error.failure)) {
          reads.failure = error;
          reads.giveUp.abort();
        }
        throw reads.failure ?? error;
      } finally {
        reads.inFlight -= 1;
        if (reads.inFlight === 0) {
          open.delete(key);
          // Reads given up (the deadline) may still be queued on the agent: they go with it.
          reads.giveUp.abort();
          reads.agent.destroy();
        }
      }
    },
  };
}

/** The endpoint may carry a path prefix (a proxy, the simulator): API paths go under it. */
export function apiUrl(target: KubernetesTarget, apiPath: string): URL {
  let url: URL;
  try {
    url = new URL(target.endpoint);
  } catch (error) {
    throw new KubernetesApiError(`cluster ${target.clusterName}: the endpoint from DescribeCluster is not a URL`, { failure: 'unreachable', code: 'InvalidEndpoint', cause: error });
  }
  if (url.protocol !== 'https:') {
    throw new KubernetesApiError(`cluster ${target.clusterName}: the endpoint ${url.origin} is not HTTPS`, { failure: 'tls', code: 'InsecureEndpoint' });
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${apiPath}`;
  url.search = '';
  return url;
}

function caPem(target: KubernetesTarget): string {
  return Buffer.from(target.certificateAuthority, 'base64').toString('utf8');
}
