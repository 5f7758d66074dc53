/**
 * Why a read of the Kubernetes API failed, sorted by what the scan does about it: no access and
 * an unreachable endpoint are coverage notes; everything else is a scan error of the cluster.
 */
export type KubernetesFailure =
  | 'unauthorized' // 401: the audit role is not mapped to any Kubernetes identity (no access entry)
  | 'forbidden' // 403: mapped, but RBAC does not allow the read
  | 'unreachable' // connect error, DNS failure, refused or reset: a private endpoint, most likely
  | 'timeout' // no answer within the per-call timeout
  | 'not-found' // 404
  | 'tls' // the server's certificate does not match the cluster's certificate authority
  | 'http' // any other non-2xx status
  | 'malformed'; // 2xx with a body that is not what the Kubernetes API returns

export class KubernetesApiError extends Error {
  readonly failure: KubernetesFailure;
  /** What a ScanError shows as its code: the Kubernetes Status reason, the Node error code, ... */
  readonly code: string;
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { failure: KubernetesFailure; code: string; status?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubernetesApiError';
    this.failure = options.failure;
    this.code = options.code;
    this.status = options.status;
  }

  /** 401/403: the audit role lacks read access inside the cluster. */
  get isAccessDenied(): boolean {
    return this.failure === 'unauthorized' || this.failure === 'forbidden';
  }

  /** The endpoint could not be reached in time: private-only, or down. */
  get isUnreachable(): boolean {
    return this.failure === 'unreachable' || this.failure === 'timeout';
  }
}

/** An EKS authentication token could not be made (no credentials, bad endpoint). */
export class EksTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EksTokenError';
  }
}
