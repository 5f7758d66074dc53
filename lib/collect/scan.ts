import pLimit from 'p-limit';
import type { Account, AccountCheck, ClusterFacts, Coverage, ScanError, Scope, ScopeCheck } from '../types.js';
import { scanAccount, type AccountScanSettings } from './account.js';
import type { DaemonSetReadMode } from './kubernetes/mode.js';
import { ScanLedger } from './ledger.js';
import type { AccountSession, CollectPorts, RoleToAssume } from './ports.js';
import { selectAccounts, type AccountSelection } from './selection.js';

export interface ScanOptions {
  partition: string; // 'aws' (also 'aws-us-gov', 'aws-cn')
  homeRegion: string; // where Organizations and the management account's STS calls go
  regions: string[] | 'all'; // 'all' = the regions enabled in each account (Account ListRegions)
  roleName: string; // audit role name in member accounts
  externalId?: string;
  sessionName: string; // default 'eks-fleet-auditor'
  accounts?: string[]; // include only these ids
  excludeAccounts?: string[];
  ous?: string[]; // include only accounts in these OU subtrees
  excludeOus?: string[];
  /** The filters narrow this one run (a manual event, CLI filters): see AccountFilters.narrowed. */
  narrowed?: boolean;
  assumeRoleInManagementAccount?: boolean; // default false: scan it with the caller's own credentials
  concurrency: number; // max accounts in flight (default 32)
  perAccountConcurrency: number; // max in-flight EKS calls per account (default 8)
  deadline?: number; // epoch ms: stop STARTING new accounts after this; the rest = not reached
  readDaemonSet?: DaemonSetReadMode; // when the aws-node DaemonSet is read (default self-managed)
  onProgress?: (p: ScanProgress) => void; // after each account, from the scan's own counts
  /**
   * As each account's scan ends: its clusters, its checks and its session, so it can be judged and
   * delivered while other accounts are still scanned (the run's pipeline).
   */
  onAccountScanned?: (part: AccountPart) => void;
}

/** How far a scan is: accounts finished (scanned, failed or not reached), clusters read, failures recorded. */
export interface ScanProgress {
  accountsDone: number;
  accountsTotal: number;
  clustersScanned: number;
  /** Error records so far (accounts, regions and clusters that failed). */
  failures: number;
}

/** One account's scan as it ended (see ScanOptions.onAccountScanned). */
export interface AccountPart {
  accountId: string;
  clusters: ClusterFacts[];
  checks: { accounts: AccountCheck[]; scopes: ScopeCheck[] };
  /** Its session, when its role could be assumed. */
  session?: AccountSession;
}

export interface ScanResult {
  /** The accounts selected for scanning (after filters). */
  accounts: Account[];
  /** Sorted by account, region, cluster name; offeredVersions filled from the catalog. */
  clusters: ClusterFacts[];
  errors: ScanError[];
  coverage: Coverage;
  /** Account × region where ListClusters completed and every cluster listed was described. */
  completedScopes: Scope[];
  /**
   * What the scan re-read, account by account and region by region (the selection's accounts
   * not scanned included, with why): what decides which earlier findings may be resolved.
   */
  checks: { accounts: AccountCheck[]; scopes: ScopeCheck[] };
  /** Per scanned account: delivery reuses the same credentials. */
  sessions: Map<string, AccountSession>;
}

export const SCAN_DEFAULTS = {
  sessionName: 'eks-fleet-auditor',
  concurrency: 32,
  perAccountConcurrency: 8,
} as const;

/** The accounts of a run and the one scanned with the caller's own credentials, listed once. */
export interface SelectedAccounts {
  selection: AccountSelection;
  managementId: string | undefined;
}

/** Lists and filters the organization's accounts (enough to choose between one Lambda and the state machine). */
export async function selectForScan(options: ScanOptions, ports: Pick<CollectPorts, 'directory'>): Promise<SelectedAccounts> {
  const [selection, managementId] = await Promise.all([
    selectAccounts(ports.directory, options),
    options.assumeRoleInManagementAccount ? undefined : ports.directory.managementAccountId(),
  ]);
  return { selection, managementId };
}

/**
 * Reads the vpc-cni facts of every cluster of the organization. Only a failure to list the
 * organization's accounts (AccountListingError) is thrown; everything else is recorded.
 */
export async function scanOrganization(
  options: ScanOptions,
  ports: CollectPorts,
  now: () => number = Date.now,
): Promise<ScanResult> {
  const { selection, managementId } = await selectForScan(options, ports);
  return scanSelection(selection, managementId, options, ports, now);
}

/**
 * Scans accounts already selected: a distributed run's worker gets its batch this way, without
 * listing the organization again. `managementId`: the account scanned with the caller's own
 * credentials (undefined: assume the audit role everywhere).
 */
export async function scanSelection(
  selection: AccountSelection,
  managementId: string | undefined,
  options: ScanOptions,
  ports: CollectPorts,
  now: () => number = Date.now,
): Promise<ScanResult> {
  const ledger = new ScanLedger();
  ledger.counts.accounts.listed = selection.listed;
  ledger.counts.accounts.excluded = selection.excluded;

  const role: RoleToAssume = {
    roleName: options.roleName,
    sessionName: options.sessionName || SCAN_DEFAULTS.sessionName,
    ...(options.externalId === undefined ? {} : { externalId: options.externalId }),
  };
  const settingsFor = (account: Account): AccountScanSettings => ({
    role: account.id === managementId ? 'caller' : role,
    regions: options.regions,
    perAccountConcurrency: Math.max(1, options.perAccountConcurrency || SCAN_DEFAULTS.perAccountConcurrency),
    ...(options.readDaemonSet ? { readDaemonSet: options.readDaemonSet } : {}),
  });

  const total = selection.selected.length;
  let done = 0;
  const limitAccounts = pLimit(Math.max(1, options.concurrency || SCAN_DEFAULTS.concurrency));
  await Promise.all(
    selection.selected.map((account) =>
      limitAccounts(async () => {
        try {
          // Checked when the account would start, not when it was queued.
          if (options.deadline !== undefined && now() >= options.deadline) ledger.accountNotReached(account.id);
          else if (ports.trace) await ports.trace(`account ${account.id}`, () => scanAccount(account, settingsFor(account), ports, ledger));
          else await scanAccount(account, settingsFor(account), ports, ledger);
          const session = ledger.sessions.get(account.id);
          options.onAccountScanned?.({ accountId: account.id, ...ledger.accountPart(account.id), ...(session ? { session } : {}) });
        } finally {
          done++;
          options.onProgress?.({ accountsDone: done, accountsTotal: total, clustersScanned: ledger.counts.clusters.scanned, failures: ledger.errors.length });
        }
      }),
    ),
  );

  const finished = ledger.finish();
  finished.checks.accounts.push(...selection.notSelected);
  finished.checks.accounts.sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { accounts: selection.selected, ...finished, sessions: ledger.sessions };
}
