/**
 * What a run of the audit must at least cost, derived from the organization the simulator serves
 * and the calls it answered: the ideal call counts, the call statistics, and the lower bound
 * max(critical path, throughput, per-account rate limit).
 */
import type { CallCount } from '../sim/server.js';
import type { SimAccount, SimOrg } from '../sim/schema.js';

/** The simulator's default page sizes (test/sim/README.md), unless the org file sets its own. */
const DEFAULT_PAGE = { ListAccounts: 20, ListClusters: 100 } as const;
/** EKS calls a cluster needs: DescribeCluster + DescribeAddon, plus ListPodIdentityAssociations without the add-on. */
const CALLS_PER_MANAGED = 2;
const CALLS_PER_SELF_MANAGED = 3;
/** The per-cluster EKS operations (DescribeAddonVersions is per region × Kubernetes version). */
const PER_CLUSTER_OPS = ['DescribeCluster', 'DescribeAddon', 'ListPodIdentityAssociations', 'ListAddons', 'DescribePodIdentityAssociation'];

export interface RateLimit {
  perAccountPerSecond: number;
  burst: number;
}

/** What the organization asks of any auditor, independent of how it is built. */
export interface OrgShape {
  accountsListed: number;
  /** ACTIVE accounts: the ones a run tries to enter. */
  accountsActive: number;
  /** ACTIVE and enterable (the management account, or the audit role exists). */
  accountsReachable: number;
  accountRegions: number;
  clusters: number;
  managed: number;
  selfManaged: number;
  /** Distinct region × Kubernetes version among the reachable clusters. */
  regionVersions: number;
  listAccountsPages: number;
  maxListClustersPages: number;
  /** The fewest calls per `service:Operation` where the organization decides it. */
  ideal: Record<string, number>;
  /** The fewest EKS calls per reachable account and Region, `account/region` (DescribeAddonVersions left out: any account can make it). */
  eksCallsByScope: Map<string, number>;
}

const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));

function enabledRegions(account: SimAccount): [string, SimAccount['regions'][string]][] {
  return Object.entries(account.regions).filter(([, r]) => r.enabled !== false);
}

/** `regions: 'all'` as the product runs by default: one ListRegions per account. */
export function orgShape(org: SimOrg): OrgShape {
  const clusterPage = org.pageSize['ListClusters'] ?? DEFAULT_PAGE.ListClusters;
  const active = org.accounts.filter((a) => a.state === 'ACTIVE');
  const reachable = active.filter((a) => a.id === org.managementAccountId || a.auditRole);
  const regionVersions = new Set<string>();
  const eksCallsByScope = new Map<string, number>();
  let accountRegions = 0;
  let managed = 0;
  let selfManaged = 0;
  let listClusters = 0;
  let maxListClustersPages = 0;
  for (const account of reachable) {
    for (const [region, { clusters }] of enabledRegions(account)) {
      let eks = 0;
      accountRegions += 1;
      const listPages = pages(clusters.length, clusterPage);
      listClusters += listPages;
      maxListClustersPages = Math.max(maxListClustersPages, listPages);
      eks += listPages;
      for (const cluster of clusters) {
        regionVersions.add(`${region}|${cluster.version}`);
        const isManaged = cluster.addons['vpc-cni'] !== undefined;
        if (isManaged) managed += 1;
        else selfManaged += 1;
        eks += isManaged ? CALLS_PER_MANAGED : CALLS_PER_SELF_MANAGED;
      }
      eksCallsByScope.set(`${account.id}/${region}`, eks);
    }
  }
  const clusters = managed + selfManaged;
  const listAccountsPages = pages(org.accounts.length, org.pageSize['ListAccounts'] ?? DEFAULT_PAGE.ListAccounts);
  return {
    accountsListed: org.accounts.length,
    accountsActive: active.length,
    accountsReachable: reachable.length,
    accountRegions,
    clusters,
    managed,
    selfManaged,
    regionVersions: regionVersions.size,
    listAccountsPages,
    maxListClustersPages,
    ideal: {
      'organizations:ListAccounts': listAccountsPages,
      // The management account is scanned with the caller's own credentials.
      'sts:AssumeRole': active.filter((a) => a.id !== org.managementAccountId).length,
      'account:ListRegions': reachable.length,
      'eks:ListClusters': listClusters,
      'eks:DescribeCluster': clusters,
      'eks:DescribeAddon': clusters,
      'eks:ListPodIdentityAssociations': selfManaged,
      'eks:DescribeAddonVersions': regionVersions.size,
    },
    eksCallsByScope,
  };
}

export interface OperationStats {
  service: string;
  operation: string;
  /** Every answer, throttled ones included. */
  calls: number;
  /** Answered 429: the rate limit said no, the SDK retried. */
  throttled: number;
  /** Answered ≥ 400 for another reason (denied, not found, not subscribed, ...). */
  failed: number;
  /** The calls the bound counts: not throttled, and no more than the ideal where there is one. */
  needed: number;
}

export interface CallStats {
  operations: OperationStats[];
  total: number;
  throttled: number;
  needed: number;
}

export function callStats(calls: readonly CallCount[], shape: OrgShape): CallStats {
  const byOp = new Map<string, OperationStats>();
  for (const c of calls) {
    const key = `${c.service}:${c.operation}`;
    const op = byOp.get(key) ?? { service: c.service, operation: c.operation, calls: 0, throttled: 0, failed: 0, needed: 0 };
    op.calls += c.count;
    if (c.status === 429) op.throttled += c.count;
    else if (c.status >= 400) op.failed += c.count;
    byOp.set(key, op);
  }
  const operations = [...byOp.entries()]
    .map(([key, op]) => {
      const answered = op.calls - op.throttled;
      const ideal = shape.ideal[key];
      return { ...op, needed: ideal === undefined ? answered : Math.min(answered, ideal) };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
  const sum = (pick: (op: OperationStats) => number) => operations.reduce((n, op) => n + pick(op), 0);
  return { operations, total: sum((op) => op.calls), throttled: sum((op) => op.throttled), needed: sum((op) => op.needed) };
}

export interface BoundSettings {
  latencyMs: number;
  /** Requests the product can have in flight at once (its HTTP agent's maxSockets). */
  inFlight: number;
  rateLimit?: RateLimit;
  /** Whether the run notifies and stores its report (the handler does; the naive scan only reads). */
  delivers: boolean;
}

export interface LowerBound {
  ms: number;
  criticalPath: { ms: number; calls: number; chain: string[] };
  throughput: { ms: number; calls: number; inFlight: number };
  /** The account and Region whose EKS calls take longest through its token bucket (AWS meters per account and Region). */
  rateLimit: { ms: number; scope?: string; eksCalls?: number };
}

/**
 * The fastest any auditor could finish on this organization, simulator and in-flight cap:
 * - critical path: the longest chain of calls that each need the previous one's answer. The last
 *   account is known after the last ListAccounts page; it is entered (AssumeRole), its regions read
 *   (ListRegions), then its clusters listed and described; the notification needs every finding and
 *   the report is stored after it. DescribeAddon needs no DescribeCluster answer, Security Hub's
 *   GetFindings no scan result, DescribeAddonVersions no account: they run beside the chain.
 * - throughput: the needed calls, `inFlight` at a time, each taking the latency.
 * - rate limit: an account's needed EKS calls beyond the burst, at the per-account rate.
 */
export function lowerBound(shape: OrgShape, stats: CallStats, settings: BoundSettings): LowerBound {
  const chain = [
    `ListAccounts ×${shape.listAccountsPages}`,
    'AssumeRole',
    'ListRegions',
    `ListClusters ×${shape.maxListClustersPages}`,
    'DescribeCluster',
    ...(settings.delivers ? ['SNS Publish', 'S3 PutObject'] : []),
  ];
  const chainCalls = shape.listAccountsPages + shape.maxListClustersPages + (settings.delivers ? 5 : 3);
  const criticalPath = { ms: chainCalls * settings.latencyMs, calls: chainCalls, chain };
  const throughput = { ms: (stats.needed * settings.latencyMs) / settings.inFlight, calls: stats.needed, inFlight: settings.inFlight };

  let rateLimit: LowerBound['rateLimit'] = { ms: 0 };
  const limit = settings.rateLimit;
  if (limit) {
    for (const [scope, eksCalls] of shape.eksCallsByScope) {
      const ms = (Math.max(0, eksCalls - limit.burst) / limit.perAccountPerSecond) * 1000;
      if (rateLimit.eksCalls === undefined || ms > rateLimit.ms || (ms === rateLimit.ms && eksCalls > rateLimit.eksCalls)) {
        rateLimit = { ms, scope, eksCalls };
      }
    }
  }
  return { ms: Math.max(criticalPath.ms, throughput.ms, rateLimit.ms), criticalPath, throughput, rateLimit };
}

/** The brief's targets, measured (never asserted). */
export interface Targets {
  /** AssumeRole calls (throttled ones left out) per account that needs one; target exactly 1. */
  assumeRolePerAccount: number;
  /** ListClusters calls per account-region; target 1 plus pages. */
  listClustersPerAccountRegion: number;
  idealListClustersPerAccountRegion: number;
  /** Per-cluster EKS calls (DescribeCluster, DescribeAddon, ...) per cluster, all clusters. */
  eksCallsPerCluster: number;
  /** Per-cluster EKS calls, self-managed clusters counted at their 3 needed calls; target ≤ 2. */
  eksCallsPerManagedCluster: number;
  describeAddonVersions: number;
  regionVersions: number;
}

export function targetsOf(stats: CallStats, shape: OrgShape): Targets {
  const answered = (operation: string) =>
    stats.operations.filter((op) => op.operation === operation).reduce((n, op) => n + op.calls - op.throttled, 0);
  const perCluster = PER_CLUSTER_OPS.reduce((n, op) => n + answered(op), 0);
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    assumeRolePerAccount: ratio(answered('AssumeRole'), shape.ideal['sts:AssumeRole'] ?? 0),
    listClustersPerAccountRegion: ratio(answered('ListClusters'), shape.accountRegions),
    idealListClustersPerAccountRegion: ratio(shape.ideal['eks:ListClusters'] ?? 0, shape.accountRegions),
    eksCallsPerCluster: ratio(perCluster, shape.clusters),
    eksCallsPerManagedCluster: ratio(perCluster - CALLS_PER_SELF_MANAGED * shape.selfManaged, shape.managed),
    describeAddonVersions: answered('DescribeAddonVersions'),
    regionVersions: shape.regionVersions,
  };
}
