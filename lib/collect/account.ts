import pLimit, { type LimitFunction } from 'p-limit';
import type { Account, ClusterCheck } from '../types.js';
import { readCluster } from './cluster.js';
import { raceDeadline } from './deadline.js';
import { errorCode, looksLikeRegionNotEnabled, toScanError } from './errors.js';
import type { DaemonSetReadMode } from './kubernetes/mode.js';
import type { KubernetesIssue } from './kubernetes/read-aws-node.js';
import type { ScanLedger } from './ledger.js';
import type { AccountSession, CollectPorts, KubernetesReader, RoleToAssume } from './ports.js';

export interface AccountScanSettings {
  /** 'caller' for the management account scanned with the caller's own credentials. */
  role: RoleToAssume | 'caller';
  regions: string[] | 'all';
  perAccountConcurrency: number;
  /** When the aws-node DaemonSet is read (default self-managed). */
  readDaemonSet?: DaemonSetReadMode;
}

interface AccountContext {
  account: Account;
  session: AccountSession;
  ports: CollectPorts;
  ledger: ScanLedger;
  limit: LimitFunction;
  /** The account's enabled regions, read at most once (ListRegions) and only when needed. */
  enabledRegions: () => Promise<string[]>;
  kubernetes: KubernetesReader | undefined;
  readDaemonSet: DaemonSetReadMode | undefined;
}

/** Scans one account; every failure is recorded in the ledger, nothing is thrown. */
export async function scanAccount(
  account: Account,
  settings: AccountScanSettings,
  ports: CollectPorts,
  ledger: ScanLedger,
): Promise<void> {
  let session: AccountSession;
  try {
    // STS is not cut at the deadline (delivery needs the sessions): an AssumeRole still going then is given up here.
    session = await raceDeadline(ports.credentials.sessionFor(account.id, settings.role), ports.deadline);
  } catch (error) {
    ledger.accountFailed(toScanError(error, { accountId: account.id, stage: 'assume-role' }));
    return;
  }
  const limit = pLimit(settings.perAccountConcurrency);
  let enabled: Promise<string[]> | undefined;
  const ctx: AccountContext = {
    account,
    session,
    ports,
    ledger,
    limit,
    enabledRegions: () => (enabled ??= limit(() => ports.regions.enabledRegions(session))),
    kubernetes: ports.kubernetes?.(session),
    readDaemonSet: settings.readDaemonSet,
  };
  try {
    let regions: string[];
    try {
      regions = settings.regions === 'all' ? await ctx.enabledRegions() : [...new Set(settings.regions)];
    } catch (error) {
      ledger.accountFailed(toScanError(error, { accountId: account.id, stage: 'list-regions' }));
      return;
    }
    ledger.accountScanned(session);
    await Promise.all(regions.map((region) => scanRegion(ctx, region)));
  } finally {
    ports.releaseAccount?.(account.id);
  }
}

async function scanRegion(ctx: AccountContext, region: string): Promise<void> {
  const { account, ledger } = ctx;
  const reader = ctx.ports.eks(ctx.session, region);
  let names: string[];
  try {
    names = await ctx.limit(() => reader.listClusters());
  } catch (error) {
    await recordListFailure(ctx, region, error);
    return;
  }
  ledger.regionScanned();

  const clusterCtx = {
    account,
    session: ctx.session,
    region,
    reader,
    catalog: ctx.ports.catalog,
    limit: ctx.limit,
    ...(ctx.kubernetes ? { kubernetes: ctx.kubernetes } : {}),
    ...(ctx.readDaemonSet ? { readDaemonSet: ctx.readDaemonSet } : {}),
  };
  const checks = await Promise.all(
    [...new Set(names)].map(async (name): Promise<ClusterCheck | undefined> => {
      try {
        const read = await readCluster(clusterCtx, name);
        if (read.kind === 'vanished') return undefined; // deleted since it was listed
        ledger.clusterScanned(read.facts);
        if (read.kubernetes) recordKubernetesIssue(ledger, { accountId: account.id, region, cluster: name }, read.kubernetes);
        if (read.catalogError !== undefined) {
          ledger.note({
            accountId: account.id,
            region,
            kind: 'catalog-unavailable',
            message: `vpc-cni versions offered for Kubernetes ${read.facts.kubernetesVersion} in ${region} could not be read (${errorCode(read.catalogError)})`,
          });
        }
        // What could not be read (aws-node, the catalog) travels with the facts: the rules that
        // need it are not evaluated on this cluster, and their earlier findings are carried.
        return { name };
      } catch (error) {
        const failure = toScanError(error, { accountId: account.id, region, cluster: name, stage: 'describe-cluster' });
        ledger.clusterFailed(failure);
        return { name, failed: `${failure.stage} failed (${failure.code})` };
      }
    }),
  );
  ledger.regionListed(account.id, region, checks.filter((c): c is ClusterCheck => c !== undefined));
}

/**
 * No access to the Kubernetes API, or an endpoint out of reach, is a coverage note; any other
 * failure is the cluster's error. Either way the cluster's facts are kept (version unknown) and
 * the rules that need aws-node are not evaluated on it.
 */
function recordKubernetesIssue(ledger: ScanLedger, where: { accountId: string; region: string; cluster: string }, issue: KubernetesIssue): void {
  if (issue.kind === 'unavailable') {
    ledger.note({ ...where, kind: issue.note, message: issue.message });
    return;
  }
  // Not clusterFailed: the cluster was read and counted; only its DaemonSet read failed.
  ledger.errors.push({ ...toScanError(issue.error, { ...where, stage: 'read-daemonset' }), code: issue.code });
}

/**
 * A region EKS answers with "unrecognized token" is most likely not enabled in the account. That
 * is confirmed with one ListRegions per account, made only then (no extra call in the usual case).
 */
async function recordListFailure(ctx: AccountContext, region: string, error: unknown): Promise<void> {
  const where = { accountId: ctx.account.id, region, stage: 'list-clusters' as const };
  if (!looksLikeRegionNotEnabled(error)) {
    ctx.ledger.regionFailed(toScanError(error, where));
    return;
  }
  try {
    const enabled = await ctx.enabledRegions();
    if (!enabled.includes(region)) {
      ctx.ledger.regionNotEnabled(ctx.account.id, region);
      return;
    }
    ctx.ledger.regionFailed(toScanError(error, where));
  } catch (listError) {
    const failure = toScanError(error, where);
    failure.message = `${failure.message} (could not check whether ${region} is enabled: ListRegions ${errorCode(listError)})`;
    ctx.ledger.regionFailed(failure);
  }
}
