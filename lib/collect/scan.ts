import { Readable } from 'node:stream';
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
  /** Aborted: start no more accounts and stop reading the listing (the run is dropped, e.g. handed to the state machine). */
  signal?: AbortSignal;
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
  /** Selected so far: it grows while the organization is still being listed. */
  accountsTotal: number;
  /** The listing has ended: accountsTotal is final. */
  listed: boolean;
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

function managementIdOf(options: ScanOptions, ports: Pick<CollectPorts, 'directory'>): Promise<string | undefined> {
  return options.assumeRoleInManagementAccount ? Promise.resolve(undefined) : ports.directory.managementAccountId();
}

/**
 * The accounts of a run as their ListAccounts pages are read, so the scan starts on the first page
 * instead of after the last (50 pages at 1,000 accounts).
 */
export interface AccountListing {
  /** Each selected account once, in listing order; ends with the listing, or throws its error. */
  accounts: AsyncIterable<Account> | Iterable<Account>;
  /** The account scanned with the caller's own credentials (undefined: the audit role everywhere). */
  managementId: Promise<string | undefined>;
  /** The whole selection once listed; rejects with AccountListingError. */
  selected: Promise<SelectedAccounts>;
  /** Accounts selected so far. */
  readonly count: number;
  /** Resolves true as soon as more than `n` accounts are selected, false if the listing ends with `n` or fewer. */
  exceeds(n: number): Promise<boolean>;
}

/** Starts listing the organization; see AccountListing. */
export function listForScan(options: ScanOptions, ports: Pick<CollectPorts, 'directory'>): AccountListing {
  // An object-mode Readable is the queue between the listing and the scan: pushed page by page, ended or destroyed with the listing.
  const queue = new Readable({ objectMode: true, read() {} });
  const thresholds: { n: number; resolve: (exceeded: boolean) => void }[] = [];
  let count = 0;
  const managementId = managementIdOf(options, ports);
  const onSelected = (account: Account) => {
    count += 1;
    queue.push(account);
    for (const t of thresholds.filter((t) => count > t.n)) {
      thresholds.splice(thresholds.indexOf(t), 1);
      t.resolve(true);
    }
  };
  // Both calls settle before the listing ends either way: a failed run leaves no request in flight.
  const selected = Promise.allSettled([selectAccounts(ports.directory, options, onSelected), managementId]).then(([selection, id]) => {
    if (selection.status === 'fulfilled' && id.status === 'fulfilled') {
      queue.push(null);
      return { selection: selection.value, managementId: id.value };
    }
    const error: unknown = selection.status === 'rejected' ? selection.reason : (id as PromiseRejectedResult).reason;
    queue.destroy(error as Error);
    throw error;
  });
  // Whoever reads the accounts sees the error; these are awaited later, or never (a scan that stopped early).
  selected.catch(() => undefined);
  managementId.catch(() => undefined);
  return {
    accounts: queue,
    managementId,
    selected,
    get count() {
      return count;
    },
    exceeds(n) {
      if (count > n) return Promise.resolve(true);
      return new Promise((resolve) => {
        thresholds.push({ n, resolve });
        // Once listed (or failed), the answer is known: a threshold not passed by then never is.
        void selected.then(
          () => resolve(count > n),
          () => resolve(false),
        );
      });
    },
  };
}

/** A listing already done (the caller listed the organization to choose how to run). */
export function listedAlready(selected: SelectedAccounts): AccountListing {
  const count = selected.selection.selected.length;
  return {
    accounts: selected.selection.selected,
    managementId: Promise.resolve(selected.managementId),
    selected: Promise.resolve(selected),
    count,
    exceeds: (n) => Promise.resolve(count > n),
  };
}

/**
 * Reads the vpc-cni facts of every cluster of the organization. Only a failure to list the
 * organization's accounts (AccountListingError) is thrown; everything else is recorded.
 */
export async function scanOrganization(options: ScanOptions, ports: CollectPorts, now: () => number = Date.now): Promise<ScanResult> {
  return scanListing(listForScan(options, ports), options, ports, now);
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
  return scanListing(listedAlready({ selection, managementId }), options, ports, now);
}

/**
 * Scans each account as the listing gives it (ScanOptions.concurrency at once). Throws only what
 * the listing throws (AccountListingError); every other failure is recorded.
 */
export async function scanListing(listing: AccountListing, options: ScanOptions, ports: CollectPorts, now: () => number = Date.now): Promise<ScanResult> {
  const ledger = new ScanLedger();
  const role: RoleToAssume = {
    roleName: options.roleName,
    sessionName: options.sessionName || SCAN_DEFAULTS.sessionName,
    ...(options.externalId === undefined ? {} : { externalId: options.externalId }),
  };
  const settingsFor = (account: Account, managementId: string | undefined): AccountScanSettings => ({
    role: account.id === managementId ? 'caller' : role,
    regions: options.regions,
    perAccountConcurrency: Math.max(1, options.perAccountConcurrency || SCAN_DEFAULTS.perAccountConcurrency),
    ...(options.readDaemonSet ? { readDaemonSet: options.readDaemonSet } : {}),
  });

  let done = 0;
  let listed = false;
  let told: ScanProgress | undefined;
  const tell = () => {
    if (!options.onProgress) return;
    told = { accountsDone: done, accountsTotal: listing.count, listed, clustersScanned: ledger.counts.clusters.scanned, failures: ledger.errors.length };
    options.onProgress(told);
  };
  const limitAccounts = pLimit(Math.max(1, options.concurrency || SCAN_DEFAULTS.concurrency));
  const scanOne = async (account: Account) => {
    try {
      if (options.signal?.aborted) return;
      // Checked when the account would start, not when it was queued.
      if (options.deadline !== undefined && now() >= options.deadline) ledger.accountNotReached(account.id);
      else {
        const settings = settingsFor(account, await listing.managementId);
        if (ports.trace) await ports.trace(`account ${account.id}`, () => scanAccount(account, settings, ports, ledger));
        else await scanAccount(account, settings, ports, ledger);
      }
      const session = ledger.sessions.get(account.id);
      options.onAccountScanned?.({ accountId: account.id, ...ledger.accountPart(account.id), ...(session ? { session } : {}) });
    } finally {
      done++;
      tell();
    }
  };
  const scans: Promise<void>[] = [];
  try {
    for await (const account of listing.accounts) {
      if (options.signal?.aborted) break;
      const scan = limitAccounts(() => scanOne(account));
      // Awaited once the listing ends; an account that rejects meanwhile (DescribeOrganization
      // failed: each waiting account throws its error) must not go unhandled until then.
      scan.catch(() => undefined);
      scans.push(scan);
    }
    listed = !options.signal?.aborted;
  } finally {
    // A listing that failed half-way: the accounts already started end before its error is thrown.
    await Promise.allSettled(scans);
  }
  // The last account ended before the listing did: its progress still said "listing".
  if (listed && told && !told.listed) tell();
  // The listing's own error first (DescribeOrganization's included), then an account's.
  const { selection } = await listing.selected;
  await Promise.all(scans);

  ledger.counts.accounts.listed = selection.listed;
  ledger.counts.accounts.excluded = selection.excluded;
  const finished = ledger.finish();
  finished.checks.accounts.push(...selection.notSelected);
  finished.checks.accounts.sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { accounts: selection.selected, ...finished, sessions: ledger.sessions };
}
