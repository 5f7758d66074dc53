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

/** The KubernetesReader of one account session: a fresh EKS token per call, HTTPS with the cluster CA. */
export function createKubernetesReader(options: KubernetesReaderOptions): KubernetesReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KUBERNETES_TIMEOUT_MS;
  // One account's clusters: each CA is parsed once for its cluster's reads.
  const secureContexts: SecureContexts = new Map();
  return {
    async getJson(target, apiPath) {
      const token = await eksToken({
        clusterName: target.clusterName,
        region: target.region,
        partition: options.session.partition,
        credentials: options.session.credentials,
        ...(options.stsEndpoint === undefined ? {} : { stsEndpoint: options.stsEndpoint }),
      });
      return raceDeadline(httpsGetJson({ url: apiUrl(target, apiPath), ca: caPem(target), secureContexts, token, timeoutMs, clusterName: target.clusterName }), options.signal);
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
