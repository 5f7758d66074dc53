import type { LimitFunction } from 'p-limit';
import type { CoverageNoteKind } from '../../types.js';
import type { ClusterDescription, KubernetesReader, KubernetesTarget } from '../ports.js';
import {
  AWS_NODE_DAEMONSET_PATH,
  AWS_NODE_SERVICE_ACCOUNT_PATH,
  awsNodeFromDaemonSet,
  roleArnFromServiceAccount,
  type AwsNodeDaemonSet,
} from './aws-node.js';
import { KubernetesApiError } from './errors.js';

/**
 * What stopped a read of aws-node. No access and an unreachable endpoint are coverage notes (the
 * cluster keeps an unknown version; nothing failed); anything else is an error of the cluster.
 */
export type KubernetesIssue =
  | {
      kind: 'unavailable';
      note: Extract<CoverageNoteKind, 'no-kubernetes-access' | 'endpoint-not-reachable' | 'vpc-cni-not-installed'>;
      message: string;
      /** Short, for "not re-checked (…)": `aws-node unreadable: 403 Forbidden`. */
      reason: string;
    }
  | { kind: 'failed'; error: unknown; code: string; reason: string };

export type AwsNodeRead = { kind: 'read'; daemonSet: AwsNodeDaemonSet; serviceAccountRoleArn: string | null } | KubernetesIssue;

export interface AwsNodeReadRequest {
  reader: KubernetesReader;
  description: ClusterDescription;
  region: string;
  /** The account's call limiter: each GET takes a slot, like an EKS call. */
  limit: LimitFunction;
  /** Also read the service account's IRSA annotation (a self-managed CNI; an add-on reports its role itself). */
  withServiceAccount: boolean;
}

/** Reads the aws-node DaemonSet (and service account); never rejects. */
export async function readAwsNode(request: AwsNodeReadRequest): Promise<AwsNodeRead> {
  const { description } = request;
  if (!description.endpoint || !description.certificateAuthority) {
    return {
      kind: 'unavailable',
      note: 'endpoint-not-reachable',
      message: `DescribeCluster gives no API endpoint or certificate authority for ${description.name} (status ${description.status})`,
      reason: 'aws-node unreadable: no API endpoint',
    };
  }
  const target: KubernetesTarget = {
    clusterName: description.name,
    region: request.region,
    endpoint: description.endpoint,
    certificateAuthority: description.certificateAuthority,
  };
  const get = (path: string) => request.limit(() => request.reader.getJson(target, path));
  const [daemonSet, serviceAccount] = await Promise.allSettled([
    get(AWS_NODE_DAEMONSET_PATH),
    // No aws-node service account simply means no IRSA role.
    request.withServiceAccount ? get(AWS_NODE_SERVICE_ACCOUNT_PATH).catch(nullIfNotFound) : Promise.resolve(null),
  ]);
  // The DaemonSet's failure is the one to report: it is what the cluster's facts depend on.
  if (daemonSet.status === 'rejected') {
    // No aws-node at all: the cluster runs another CNI (Cilium, Calico, ...). Nothing to judge and
    // nothing failed — an error here would block archiving in the region every night.
    if (daemonSet.reason instanceof KubernetesApiError && daemonSet.reason.failure === 'not-found') {
      return {
        kind: 'unavailable',
        note: 'vpc-cni-not-installed',
        message: `${description.name} has no kube-system/aws-node DaemonSet: it runs another CNI, so no vpc-cni rule applies`,
        reason: 'no aws-node DaemonSet',
      };
    }
    return issueOf(daemonSet.reason, target);
  }
  if (serviceAccount.status === 'rejected') return issueOf(serviceAccount.reason, target);
  try {
    return {
      kind: 'read',
      daemonSet: awsNodeFromDaemonSet(daemonSet.value, description.name),
      serviceAccountRoleArn: roleArnFromServiceAccount(serviceAccount.value),
    };
  } catch (error) {
    return issueOf(error, target);
  }
}

function nullIfNotFound(error: unknown): null {
  if (error instanceof KubernetesApiError && error.failure === 'not-found') return null;
  throw error;
}

function issueOf(error: unknown, target: KubernetesTarget): KubernetesIssue {
  if (!(error instanceof KubernetesApiError)) {
    const code = error instanceof Error ? error.name : 'UnknownError';
    return { kind: 'failed', error, code, reason: `aws-node unreadable: ${code}` };
  }
  if (error.isAccessDenied) {
    return {
      kind: 'unavailable',
      note: 'no-kubernetes-access',
      message:
        error.status === 401
          ? `${target.clusterName} does not know the audit role (HTTP 401 ${error.code}: its EKS token was refused): give the role an EKS access entry (or an aws-auth mapping) with AmazonEKSViewPolicy scoped to kube-system`
          : `the audit role may not read kube-system/aws-node in ${target.clusterName} (HTTP ${error.status} ${error.code}): give it AmazonEKSViewPolicy scoped to kube-system (or a Role allowing get on the aws-node DaemonSet and service account)`,
      reason: `aws-node unreadable: ${error.status} ${error.code}`,
    };
  }
  if (error.isUnreachable) {
    return {
      kind: 'unavailable',
      note: 'endpoint-not-reachable',
      message: `the API endpoint of ${target.clusterName} (${hostOf(target.endpoint)}) could not be reached (${error.code}): a private-only endpoint outside the auditor's network?`,
      reason: `aws-node unreadable: ${error.code}`,
    };
  }
  return { kind: 'failed', error, code: error.code, reason: `aws-node unreadable: ${error.status ? `${error.status} ` : ''}${error.code}` };
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
