/**
 * What the fleet page embeds: the data its browser script draws, shaped on the server from one
 * run report and the history before it (data.ts). Types only: the browser bundle (client/)
 * imports this file too, so nothing here may need Node.
 *
 * Clusters and accounts are referred to by their index in `clusters` and `accounts`, so a fleet of
 * 5,000 clusters embeds each name once; the texts of findings and plans are in `texts`, once each,
 * with the cluster's name and Region as placeholders (most clusters on one version share them).
 */

import type { Severity } from '../../types.js';

export const PAGE_DATA_VERSION = 2;

/** Rows of the cluster table drawn at once: a 5,000-cluster fleet is paged, never drawn whole. */
export const PAGE_SIZE = 50;

/** Runs in the trend when none is asked for. */
export const DEFAULT_TREND_RUNS = 30;

export interface PageRun {
  runId: string;
  startedAt: string;
  finishedAt: string;
  tool: string;
  /** What NEW and RESOLVED were counted against, for a person (absent: the last notified run). */
  baselineNote?: string;
}

/** The numbers at the top of the page; each equals the run report's. */
export interface Headline {
  /** `coverage.clusters.scanned`. */
  clusters: number;
  accounts: { listed: number; excluded: number; scanned: number; failed: number; notReached: number };
  regions: { scanned: number; notEnabled: number; failed: number };
  clustersFailed: number;
  managedAddon: number;
  selfManaged: number;
  /** Findings believed open but not re-checked this run (`carriedOver`). */
  notRechecked: number;
  errors: number;
  /** Open findings (`findings`) by severity, every severity present (0 when none). */
  open: Record<Severity, number>;
  /** `newIds.length`. */
  new: number;
  /** `resolved.length`. */
  resolved: number;
  suppressed: number;
  /** Open findings a suppression covered until it expired (`suppressionExpired` set). */
  suppressionsExpired: number;
}

export interface PageAccount {
  id: string;
  name: string;
  /** The OU path from the root down (`r-ab12 / ou-ab12-prod`), or `(OU unknown)`. */
  ou: string;
}

export interface PageRule {
  id: string;
  title: string;
  severity: Severity;
  /** For a version-range rule: the affected range and the first fixed release. */
  affected?: string;
  fixed?: string;
  /**
   * The rule's remediation link, then its references (evidence: issues, pull requests, AWS
   * documentation), as the rule and its findings give them: any string. The page links only
   * https:// URLs (client/links.ts) and shows anything else as text.
   */
  references?: string[];
}

/** Where a cluster's name stands in a text of `texts`. */
export const CLUSTER_PLACEHOLDER = '\u0001';
/** Where a cluster's Region stands in a text of `texts`. */
export const REGION_PLACEHOLDER = '\u0002';

/**
 * A text of a cluster's row: `n >= 0` is `texts[n]` with CLUSTER_PLACEHOLDER and REGION_PLACEHOLDER
 * put back as the cluster's name and Region; `n < 0` is `literals[-n - 1]` as it is (a text that
 * holds a placeholder character itself).
 */
export type TextRef = number;

/** One step of a cluster's plan: what it does, then the commands to paste, in order. */
export interface PlanStep {
  /** `1.`, `2.`, or `Or` for an alternative to the steps before it. */
  label: string;
  title: TextRef;
  commands: TextRef[];
}

export interface PagePlan {
  /** `v1.7.1-eksbuild.1 → v1.18.4-eksbuild.1`, or the version alone. */
  move: TextRef;
  notes: TextRef[];
  steps: PlanStep[];
}

/** One finding on a cluster's row. */
export interface PageFinding {
  /** Index in `rules`. */
  rule: number;
  why: TextRef;
  /** The finding's remediation text (what to do), for this cluster. */
  fix?: TextRef;
  /** The `expires` of the suppression that covered this finding until it expired. */
  suppressionExpired?: string;
  new?: true;
  /** Believed open but not re-checked this run: why. */
  carried?: TextRef;
}

export type InstallKind = 'managed' | 'self-managed' | 'other CNI';

export interface PageCluster {
  /** Index in `accounts`. */
  account: number;
  region: string;
  name: string;
  kubernetes: string;
  /** The vpc-cni version as found; null when unknown. */
  cni: string | null;
  install: InstallKind;
  status: string;
  findings: PageFinding[];
  /** What to run, when the cluster has something to fix. */
  plan?: PagePlan;
}

/** Clusters on one vpc-cni version, sorted oldest release first; then the clusters whose version is unknown. */
export interface VersionBar {
  /** The version, or UNKNOWN_VERSION for the clusters whose vpc-cni version could not be read. */
  version: string;
  /** Set on the bar of clusters whose vpc-cni version is unknown. */
  unknown?: true;
  managed: number;
  selfManaged: number;
}

/** The bar and filter value of clusters whose vpc-cni version is unknown. */
export const UNKNOWN_VERSION = 'unknown';

/**
 * A known risk (a version-range rule) over the version chart: the versions on which at least one
 * cluster has this run's finding of the rule. A version in the rule's affected range is left out
 * when no cluster on it matched (the rule's Kubernetes range or `when` condition ruled them out).
 */
export interface VersionRisk {
  /** Index in `rules`. */
  rule: number;
  versions: string[];
}

/** The newest vpc-cni version EKS offers for one Kubernetes version, as the clusters' catalogs said. */
export interface OfferedNewest {
  kubernetes: string;
  /** null: the catalog was read and EKS offers no vpc-cni build for this Kubernetes version (1.21 today). */
  newest: string | null;
  clusters: number;
  /** Clusters of this Kubernetes version already on it. */
  onNewest: number;
}

/** One cell of the risk × account heatmap: the clusters of an account a rule affects. */
export interface HeatCell {
  account: number;
  rule: number;
  /** Indexes in `clusters`. */
  clusters: number[];
}

export interface TrendPoint {
  runId: string;
  startedAt: string;
  open: Record<Severity, number>;
  new: number;
  resolved: number;
}

export interface Trend {
  /** Oldest first; the last is this run. */
  points: TrendPoint[];
  /** How many runs were asked for (`--runs`, 30 by default). */
  window: number;
  /**
   * Mean days from a finding's first NEW to its RESOLVED (fixed or cluster deleted), over the
   * findings whose whole stay the runs read; null when none was resolved in them.
   */
  meanDaysOpen: number | null;
  /** How many stays the mean is over. */
  stays: number;
  /** Saved reports that could not be read, left out of the trend. */
  unreadable: number;
  /** Why the history could not be read at all, when it could not. */
  problem?: string;
}

export interface PageNote {
  accountId: string;
  region?: string;
  cluster?: string;
  kind: string;
  message: string;
}

export interface PageError {
  accountId: string;
  region?: string;
  cluster?: string;
  stage: string;
  code: string;
  message: string;
}

export interface FleetPageData {
  version: typeof PAGE_DATA_VERSION;
  run: PageRun;
  headline: Headline;
  severities: Severity[];
  accounts: PageAccount[];
  rules: PageRule[];
  clusters: PageCluster[];
  /** The texts TextRefs name (templates), and those kept verbatim. */
  texts: string[];
  literals: string[];
  versions: VersionBar[];
  risks: VersionRisk[];
  offered: OfferedNewest[];
  /** Accounts with findings, grouped by OU (the order of the rows). */
  heatmapAccounts: number[];
  /** Rules with findings, worst first (the order of the columns). */
  heatmapRules: number[];
  heatmap: HeatCell[];
  trend: Trend;
  notes: PageNote[];
  errors: PageError[];
}
