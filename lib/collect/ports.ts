/**
 * The small interfaces the scan depends on. lib/collect/aws.ts implements them over the AWS SDK;
 * tests may fake them.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Account, HealthIssue, PodIdentityAssociation } from '../types.js';

/** Credentials to act in one account; delivery reuses them so each account costs one AssumeRole. */
export interface AccountSession {
  accountId: string;
  partition: string;
  credentials: AwsCredentialIdentityProvider;
}

/** The audit role to assume in a member account. */
export interface RoleToAssume {
  roleName: string;
  externalId?: string;
  sessionName: string;
}

export interface AccountDirectory {
  /**
   * Every account of the organization, whatever its state. `onPage` is told each page's accounts
   * as it is read, so work on them can start before the listing ends (the whole list still resolves).
   */
  listAccounts(onPage?: (accounts: readonly Account[]) => void): Promise<Account[]>;
  /** The ids of the accounts anywhere under the OU (its whole subtree). */
  accountsInOu(ouId: string): Promise<string[]>;
  managementAccountId(): Promise<string>;
}

export interface CredentialBroker {
  /**
   * The session for an account: the caller's own credentials ('caller'), or one AssumeRole per
   * account per run, cached, and refreshed shortly before it expires. Rejects when the role
   * cannot be assumed.
   */
  sessionFor(accountId: string, role: RoleToAssume | 'caller'): Promise<AccountSession>;
}

export interface RegionLister {
  /** The regions enabled in the session's account (opted in or enabled by default). */
  enabledRegions(session: AccountSession): Promise<string[]>;
}

/** What DescribeCluster tells about a cluster, kept only while the cluster is being read. */
export interface ClusterDescription {
  name: string;
  arn: string;
  kubernetesVersion: string;
  status: string;
  platformVersion?: string;
  tags: Record<string, string>;
  /** API server endpoint and CA, for a later read of the aws-node DaemonSet. */
  endpoint?: string;
  certificateAuthority?: string;
}

/** The vpc-cni managed add-on as DescribeAddon reports it. */
export interface VpcCniAddon {
  version: string | null;
  status: string | null;
  healthIssues: HealthIssue[];
  configurationValues: string | null;
  serviceAccountRoleArn: string | null;
  podIdentityAssociations: PodIdentityAssociation[];
}

/** EKS reads for one account session in one region. */
export interface EksReader {
  listClusters(): Promise<string[]>;
  /** null when the cluster no longer exists (deleted since it was listed). */
  describeCluster(name: string): Promise<ClusterDescription | null>;
  /** null when vpc-cni is not installed as a managed add-on (self-managed CNI). */
  describeVpcCni(clusterName: string): Promise<VpcCniAddon | null>;
  /** The pod identity associations of kube-system/aws-node (for a self-managed CNI). */
  listAwsNodePodIdentities(clusterName: string): Promise<PodIdentityAssociation[]>;
}

export interface AddonCatalog {
  /**
   * The vpc-cni versions EKS offers for a Kubernetes version in a region, newest first. Cached
   * per region × Kubernetes version for the run; the session only says whose credentials ask.
   */
  offeredVersions(session: AccountSession, region: string, kubernetesVersion: string): Promise<string[]>;
}

/** Where a cluster's Kubernetes API is, from DescribeCluster. */
export interface KubernetesTarget {
  clusterName: string;
  region: string;
  /** The API server URL; API paths are appended to its path. */
  endpoint: string;
  /** The cluster's certificate authority, base64 of the PEM (as DescribeCluster gives it). */
  certificateAuthority: string;
}

/** Read-only GETs on a cluster's Kubernetes API, authenticated as the account session. */
export interface KubernetesReader {
  /** The parsed JSON of a GET of `apiPath`; rejects with a KubernetesApiError (or an EksTokenError). */
  getJson(target: KubernetesTarget, apiPath: string): Promise<unknown>;
}

export interface CollectPorts {
  directory: AccountDirectory;
  credentials: CredentialBroker;
  regions: RegionLister;
  eks(session: AccountSession, region: string): EksReader;
  catalog: AddonCatalog;
  /** Absent: the aws-node DaemonSet is never read (a self-managed CNI's version stays unknown). */
  kubernetes?(session: AccountSession): KubernetesReader;
  /** Called once an account's scan is over: its cached clients may be dropped (memory stays flat). */
  releaseAccount?(accountId: string): void;
  /** Fires at the run deadline: calls then in flight are cut (see lib/collect/deadline.ts). */
  deadline?: AbortSignal;
  /** Traces each account's scan as one unit, when tracing is on. */
  trace?<T>(name: string, work: () => Promise<T>): Promise<T>;
}
