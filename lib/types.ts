/**
 * The core data of one run. Everything here is plain, serialisable data: the collect layer
 * produces it, the evaluate layer judges it, the deliver layer ships it.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'informational';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'informational'];

/** An account of the organization, as the account directory lists it. */
export interface Account {
  id: string;
  name: string;
  /** The id of the account's parent OU (or root), when known. */
  ou?: string;
  email?: string;
  /** Organizations `State` (ACTIVE, SUSPENDED, ...), or the retired `Status` where State is absent. */
  state: string;
}

export interface HealthIssue {
  code: string;
  message: string;
  resourceIds?: string[];
}

export interface PodIdentityAssociation {
  associationId?: string;
  namespace?: string;
  serviceAccount: string;
  roleArn?: string;
}

/** Where the vpc-cni facts of a cluster came from. */
export type CniSource =
  | 'addon' // the EKS managed add-on (DescribeAddon)
  | 'daemonset' // the aws-node DaemonSet read through the Kubernetes API (self-managed)
  | 'none' // self-managed and not read: the version is unknown
  | 'absent'; // no add-on and no aws-node DaemonSet: the cluster runs another CNI, no vpc-cni rule applies

export interface CniFacts {
  managed: boolean;
  source: CniSource;
  /** Raw version as found: an add-on version (`v1.18.0-eksbuild.1`) or an image tag (`v1.9.3`); null when unknown. */
  version: string | null;
  /** The aws-node image, for a self-managed CNI read from its DaemonSet. */
  image?: string;
  /** Whether the image comes from an official Amazon EKS ECR registry; false for a mirror or custom build. */
  officialImage?: boolean;
  /** Add-on status (ACTIVE, DEGRADED, CREATE_FAILED, ...); null for a self-managed CNI. */
  status: string | null;
  healthIssues: HealthIssue[];
  /**
   * Raw configuration values (JSON as the add-on API returns them). For a self-managed CNI the
   * DaemonSet's env and probe timeouts are mapped into the same schema.
   */
  configurationValues: string | null;
  serviceAccountRoleArn: string | null;
  podIdentityAssociations: PodIdentityAssociation[];
  /**
   * Whether the IAM role of aws-node could be known at all; defaults to `source !== 'none'`.
   * False for a what-if check that did not say, so no role finding is guessed.
   */
  iamRoleKnown?: boolean;
  /**
   * For a managed add-on read with AUDIT_READ_DAEMONSET=all: the image tag the aws-node DaemonSet
   * actually runs. It differs from `version` when the DaemonSet drifted from the add-on (edited
   * by hand, or an update that failed half way). Absent when not read.
   */
  daemonSetVersion?: string;
  /**
   * The network policy agent container (`aws-eks-nodeagent`, in the aws-node pod since v1.14) of a
   * self-managed CNI read from its DaemonSet: its image and tag (null when pinned by digest only).
   * Absent when not read, or when the pod has no agent container.
   */
  networkPolicyAgent?: { image: string; version: string | null };
}

/** The facts of one cluster's vpc-cni, all the evaluate layer needs. */
export interface ClusterFacts {
  accountId: string;
  accountName: string;
  ou?: string;
  partition: string;
  region: string;
  clusterName: string;
  clusterArn: string;
  kubernetesVersion: string;
  clusterStatus: string;
  platformVersion?: string;
  tags: Record<string, string>;
  cni: CniFacts;
  /**
   * The vpc-cni versions EKS offers for this cluster's Kubernetes version in its region
   * (DescribeAddonVersions), newest first; undefined when the catalog could not be read.
   */
  offeredVersions?: string[];
}

export interface Remediation {
  /** One or two sentences: what to do. */
  text: string;
  /** Commands filled in with the cluster, region and target version, ready to paste. */
  commands: string[];
  url?: string;
}

export interface Finding {
  /** `{ruleId}/{accountId}/{region}/{clusterName}`: stable across runs. */
  id: string;
  ruleId: string;
  title: string;
  severity: Severity;
  accountId: string;
  accountName: string;
  ou?: string;
  partition: string;
  region: string;
  clusterName: string;
  clusterArn: string;
  kubernetesVersion: string;
  managed: boolean;
  /** The raw version seen on the cluster (null when unknown). */
  observedVersion: string | null;
  /** The first upstream version without the risk (version rules), else null. */
  fixedIn: string | null;
  /** The version the remediation commands move to, else null. */
  targetVersion: string | null;
  /** One sentence with the facts that matched. */
  why: string;
  remediation: Remediation;
  references: string[];
}

export type ScanStage =
  | 'list-accounts'
  | 'list-ou'
  | 'assume-role'
  | 'list-regions'
  | 'list-clusters'
  | 'describe-cluster'
  | 'describe-addon'
  | 'list-pod-identity'
  | 'describe-addon-versions'
  | 'read-daemonset'
  | 'evaluate'
  | 'scan-batch'
  | 'deliver-securityhub'
  | 'deliver-sns'
  | 'deliver-history';

/** One failure that did not stop the run. */
export interface ScanError {
  accountId: string;
  region?: string;
  cluster?: string;
  stage: ScanStage;
  /** The AWS error name (AccessDenied, ThrottlingException, ...) or our own code. */
  code: string;
  message: string;
}

export type CoverageNoteKind =
  | 'region-not-enabled'
  | 'securityhub-not-enabled'
  | 'no-kubernetes-access'
  | 'vpc-cni-not-installed'
  | 'endpoint-not-reachable'
  | 'catalog-unavailable'
  | 'not-reached';

/** Something the run could not look at that is not a failure (a disabled opt-in region, say). */
export interface CoverageNote {
  accountId: string;
  region?: string;
  cluster?: string;
  kind: CoverageNoteKind;
  message: string;
}

export interface Coverage {
  accounts: { listed: number; excluded: number; scanned: number; failed: number; notReached: number };
  regions: { scanned: number; notEnabled: number; failed: number };
  clusters: { scanned: number; failed: number; managedAddon: number; selfManaged: number };
  notes: CoverageNote[];
}

/** An account × region whose scan ran to the end: the only places where findings may be archived. */
export interface Scope {
  accountId: string;
  region: string;
}

export interface SuppressedFinding {
  finding: Finding;
  reason: string;
  expires: string;
}

/** A suppression that matched no finding of the run: fixed, mistyped, or its clusters not reached. */
export interface UnusedSuppression {
  /** Its index in the suppressions file (`suppressions[entry]`). */
  entry: number;
  /** The matchers it gives: rule, account, ou, region, cluster globs. */
  matchers: Partial<Record<'rule' | 'account' | 'ou' | 'region' | 'cluster', string>>;
  reason: string;
  expires: string;
}

export interface RunReport {
  schemaVersion: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  tool: { name: string; version: string };
  findings: Finding[];
  suppressed: SuppressedFinding[];
  coverage: Coverage;
  errors: ScanError[];
  completedScopes: Scope[];
  accounts: Account[];
  clusters: ClusterFacts[];
  /** Suppressions that matched nothing this run (absent when there are none, or no suppressions file). */
  unusedSuppressions?: UnusedSuppression[];
}
