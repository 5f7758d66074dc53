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
  /**
   * The account's OUs from the root down to its parent (`r-ab12`, `ou-ab12-prod`, `ou-ab12-pay`),
   * from Organizations `Paths`, else ListParents; absent when unknown.
   */
  ouPath?: string[];
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

/**
 * An env setting of a self-managed aws-node that the collector did not carry into
 * configurationValues. Its name only: the value is never read into the facts (a proxy URL or a
 * custom variable can hold a password).
 */
export interface EnvNotCarried {
  /** The container that sets it: `aws-node` or `aws-vpc-cni-init`. */
  container: string;
  /** The variable name; for an `envFrom` entry `configMapRef/NAME` or `secretRef/NAME` (`PREFIX*` after it when the entry has a prefix). */
  name: string;
  /**
   * `valueFrom`: read from a Secret, ConfigMap or field when the pod starts (the add-on's
   * configuration takes literal values only); `envFrom`: every key of a ConfigMap or Secret;
   * `outside-schema`: a literal value of a variable that is not one of the CNI's documented
   * settings (proxy variables, custom ones), which the add-on's configuration schema does not accept.
   */
  why: 'valueFrom' | 'envFrom' | 'outside-schema';
}

/** Where the vpc-cni facts of a cluster came from. */
export type CniSource =
  | 'addon' // the EKS managed add-on (DescribeAddon)
  | 'daemonset' // the aws-node DaemonSet read through the Kubernetes API (self-managed)
  | 'none' // self-managed and not read: the version is unknown
  | 'absent'; // no add-on and no aws-node DaemonSet: the cluster runs another CNI, no vpc-cni rule applies

/**
 * How aws-node was installed: the EKS managed add-on; a Helm release (the DaemonSet carries
 * `app.kubernetes.io/managed-by: Helm`, `helm.sh/chart` or `meta.helm.sh/release-name`); or a
 * manifest (`kubectl apply`, or the one EKS created with the cluster).
 */
export type InstallMethod = 'addon' | 'helm' | 'manifest';

/** The Helm release that installed aws-node, from the DaemonSet's Helm labels and annotations. */
export interface HelmRelease {
  /** `meta.helm.sh/release-name`, else `app.kubernetes.io/instance`. */
  name: string | null;
  /** `meta.helm.sh/release-namespace`, else the DaemonSet's namespace. */
  namespace: string | null;
  /** The chart version of `helm.sh/chart` (`aws-vpc-cni-1.18.6` → `1.18.6`). */
  chartVersion: string | null;
}

export interface CniFacts {
  managed: boolean;
  source: CniSource;
  /** How aws-node was installed; absent when not known (a self-managed CNI that was not read). */
  installMethod?: InstallMethod;
  /** For a Helm install: the release, as far as the DaemonSet names it. */
  helmRelease?: HelmRelease;
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
  /**
   * The env settings of a self-managed aws-node read from its DaemonSet that configurationValues
   * does not carry (names only), so that a move to the managed add-on can say what stays behind.
   * Absent when there is none, or when the DaemonSet was not read.
   */
  envNotCarried?: EnvNotCarried[];
}

/**
 * A source of facts the scan could not read for one cluster. A rule that needs a fact from it is
 * not evaluated on that cluster: its earlier finding is carried, never resolved.
 */
export interface UnreadSource {
  /** `aws-node`: the aws-node DaemonSet (and service account) through the Kubernetes API; `catalog`: DescribeAddonVersions. */
  source: 'aws-node' | 'catalog';
  /** For a person: `aws-node unreadable: 403 Forbidden`. */
  reason: string;
}

/** The facts of one cluster's vpc-cni, all the evaluate layer needs. */
export interface ClusterFacts {
  accountId: string;
  accountName: string;
  ou?: string;
  ouPath?: string[];
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
  /**
   * The lowest Kubernetes version a whole catalog (DescribeAddonVersions without a Kubernetes
   * version) offers any vpc-cni build for (`1.23`); only when that catalog was read.
   */
  offeredSince?: string;
  /** Sources of facts that could not be read this run (absent: everything was read). */
  unread?: UnreadSource[];
}

export interface Remediation {
  /** One or two sentences: what to do. */
  text: string;
  /**
   * The commands of the cluster's plan that fix this finding (connection and backup steps left
   * out), ready to paste; the whole plan, once per cluster, is in the report's `plans`.
   */
  commands: string[];
  url?: string;
  /** The id of the cluster's plan (`ClusterPlan.id`), when it has one. */
  planId?: string;
}

/** One version of a plan's path. */
export interface PlanPathStep {
  /** `v1.19.6-eksbuild.7`, or the upstream release `v1.17.1` for a self-managed step. */
  version: string;
  /** Run self-managed (an upstream release applied to the aws-node DaemonSet), not as the EKS add-on. */
  selfManaged: boolean;
  /** Why this step is not the newest build of its minor: `v1.19.2-eksbuild.5, not v1.19.6-eksbuild.7: 1.19.3–1.19.6 carry vpc-cni-x`. */
  why?: string;
}

/** One step of a cluster's plan. */
export interface PlanStep {
  /** What the step does and why, in plain text (outputs escape it). */
  title: string;
  /** In order, ready to paste: every value from outside validated and shell-quoted. */
  commands: string[];
  /** Rule ids of the findings this step fixes; empty for connecting and backing up. */
  fixes: string[];
  /** An alternative to the steps before it, not one more step to run. */
  alternative?: boolean;
}

/** The configuration a plan applies: the cluster's own, with every fix of its findings merged in. */
export interface PlanConfiguration {
  /** Where the current values came from: the add-on's configurationValues or the DaemonSet's env. */
  source: 'addon' | 'daemonset';
  /** How the add-on's values were written (EKS accepts and keeps JSON or YAML); the plan prints JSON. */
  sourceFormat: 'json' | 'yaml' | 'empty';
  /** The whole merged configuration as JSON, with `$VAR` where a withheld or chosen value goes. */
  values: string;
  /** What the fixes change: setting path, value before and after (null: absent), and the rule. */
  changes: { path: string; from: string | null; to: string | null; ruleId: string }[];
  /**
   * Settings that look like secrets: never printed; the command reads each from its shell variable,
   * the raw value (`json`: a value that is not a string, entered as JSON).
   */
  withheld: { path: string; variable: string; json?: true }[];
  /** Settings a person chooses: the command reads each from its shell variable and refuses to run without. */
  choices: { path: string; variable: string; hint: string }[];
  /** Two fixes that want different values for one setting: which one the plan kept. */
  conflicts?: string[];
}

/**
 * What to do on one cluster, computed once for all its findings: the one target version, the way
 * there one minor at a time, the merged configuration and the commands for how aws-node is
 * installed. Every output renders this; findings point to it by `id`.
 */
export interface ClusterPlan {
  /** `{accountId}/{region}/{clusterName}` */
  id: string;
  accountId: string;
  accountName: string;
  partition: string;
  region: string;
  clusterName: string;
  kubernetesVersion: string;
  /** How aws-node is installed; `unknown` when the DaemonSet could not be read. */
  installMethod: InstallMethod | 'unknown';
  currentVersion: string | null;
  /** The version every finding on the cluster moves to: always a version EKS offered for it; null when none. */
  target: string | null;
  /** Why this target (or none), one sentence. */
  targetReason: string;
  /** The versions to go through, one minor at a time, ending at the target. */
  path: PlanPathStep[];
  /** Minors between the current version and the target that EKS offers no build of for this Kubernetes version. */
  missingMinors: string[];
  /** Rule ids of the known risks the target still carries (no offered build is clear of them). */
  risksCarried: string[];
  /** Without the catalog: the first upstream release clear of every known risk (`1.12.5`). */
  releaseFloor: string | null;
  /** When EKS offers nothing for this Kubernetes version: the next Kubernetes minor to upgrade to first. */
  kubernetesFirst: string | null;
  configuration?: PlanConfiguration;
  /** Values refused for commands (a role ARN that is not one, a hostile image tag), named. */
  invalid: { what: string; reason: string }[];
  steps: PlanStep[];
  /** Rule ids of the findings the plan serves. */
  fixes: string[];
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
  ouPath?: string[];
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
  /** Set when a suppression covered this finding until it expired: its `expires` (every output marks the finding). */
  suppressionExpired?: string;
}

/** Where a failure happened. One list: the writer and the reader of the run history share it. */
export const SCAN_STAGES = [
  'list-accounts',
  'list-ou',
  'assume-role',
  'list-regions',
  'list-clusters',
  'describe-cluster',
  'describe-addon',
  'list-pod-identity',
  'describe-addon-versions',
  'read-daemonset',
  'evaluate',
  'scan-batch',
  'lease',
  'deliver-securityhub',
  'deliver-sns',
  'deliver-history',
] as const;
export type ScanStage = (typeof SCAN_STAGES)[number];

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

/** What a coverage note is about. One list: the writer and the reader of the run history share it. */
export const COVERAGE_NOTE_KINDS = [
  'region-not-enabled',
  'securityhub-not-enabled',
  'no-kubernetes-access',
  'vpc-cni-not-installed',
  'endpoint-not-reachable',
  'catalog-unavailable',
  'not-reached',
  /** An account or region whose findings leave the audit: left the organization, suspended, excluded, region disabled. */
  'left-scan',
] as const;
export type CoverageNoteKind = (typeof COVERAGE_NOTE_KINDS)[number];

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

/*
 * What a run re-read: the ground on which a finding it knew from before is resolved, carried or
 * dropped (lib/deliver/lifecycle.ts). A finding is resolved only where this run re-read the facts
 * that raised it, with the rule that raised it.
 */

/** One cluster that a completed ListClusters returned (and that still existed when described). */
export interface ClusterCheck {
  name: string;
  /** Why the cluster could not be read at all (DescribeCluster or DescribeAddon failed); absent when it was. */
  failed?: string;
}

/** One account × region the run scanned. */
export interface ScopeCheck {
  accountId: string;
  region: string;
  /** Why its clusters could not be listed; absent when ListClusters completed. */
  failed?: string;
  clusters: ClusterCheck[];
}

/** A rule not evaluated on one cluster: a fact it needs could not be read, or evaluation failed. */
export interface SkippedRule {
  accountId: string;
  region: string;
  cluster: string;
  ruleId: string;
  reason: string;
}

/**
 * One account the organization listed, or the run selected, and what became of it:
 * - `scanned`: its regions were scanned (see the scopes);
 * - `failed`: selected but not scanned (its role, its regions, the deadline): its findings are carried;
 * - `suspended`, `excluded`: it left the audit (not ACTIVE; filtered out by configuration): its findings leave too;
 * - `outside-run`: a narrowed run (a manual event, a CLI filter) did not ask for it: its findings are carried silently.
 */
export interface AccountCheck {
  accountId: string;
  status: 'scanned' | 'failed' | 'suspended' | 'excluded' | 'outside-run';
  reason?: string;
  /** For a scanned account: regions skipped as not enabled in it. */
  notEnabled?: string[];
}

export interface Recheck {
  /** Every rule id this run evaluated (built-in and --rules). */
  rules: string[];
  /** The regions asked for: `all` = each account's enabled regions. */
  regions: 'all' | string[];
  /** A narrowed run: accounts and regions it was not asked for are outside it, not gone. */
  narrowed: boolean;
  accounts: AccountCheck[];
  scopes: ScopeCheck[];
  skipped: SkippedRule[];
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
  /** One plan per cluster with open findings (absent in reports written before plans existed). */
  plans?: ClusterPlan[];
}
