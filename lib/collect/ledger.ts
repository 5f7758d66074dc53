import type { AccountCheck, ClusterCheck, ClusterFacts, Coverage, CoverageNote, CoverageNoteKind, ScanError, Scope, ScopeCheck } from '../types.js';
import { byKeys } from './order.js';
import type { AccountSession } from './ports.js';

/**
 * Everything a scan records as it goes: facts, errors, notes, counts and completed scopes.
 * Only plain facts are kept (no SDK responses), so memory grows with clusters, not with calls.
 */
export class ScanLedger {
  readonly clusters: ClusterFacts[] = [];
  readonly errors: ScanError[] = [];
  readonly notes: CoverageNote[] = [];
  readonly completedScopes: Scope[] = [];
  /** Every selected account, with what became of it. */
  readonly accounts: AccountCheck[] = [];
  /** Every account × region scanned, with the clusters listed there. */
  readonly scopes: ScopeCheck[] = [];
  readonly sessions = new Map<string, AccountSession>();
  private readonly notEnabled = new Map<string, string[]>();
  /** What each account's scan yielded, for whoever delivers an account as soon as it is scanned. */
  private readonly byAccount = new Map<string, { clusters: ClusterFacts[]; scopes: ScopeCheck[]; accounts: AccountCheck[] }>();

  private partOf(accountId: string) {
    let part = this.byAccount.get(accountId);
    if (!part) {
      part = { clusters: [], scopes: [], accounts: [] };
      this.byAccount.set(accountId, part);
    }
    return part;
  }

  /** One account's clusters and checks, as scanned so far (complete once its scan has ended). */
  accountPart(accountId: string): { clusters: ClusterFacts[]; checks: { accounts: AccountCheck[]; scopes: ScopeCheck[] } } {
    const part = this.partOf(accountId);
    return { clusters: part.clusters, checks: { accounts: part.accounts, scopes: part.scopes } };
  }
  private readonly noteKeys = new Set<string>();
  readonly counts = {
    accounts: { listed: 0, excluded: 0, scanned: 0, failed: 0, notReached: 0 },
    regions: { scanned: 0, notEnabled: 0, failed: 0 },
    clusters: { scanned: 0, failed: 0, managedAddon: 0, selfManaged: 0 },
  };

  accountScanned(session: AccountSession): void {
    this.counts.accounts.scanned++;
    this.sessions.set(session.accountId, session);
    const notEnabled: string[] = [];
    this.notEnabled.set(session.accountId, notEnabled);
    this.accounts.push({ accountId: session.accountId, status: 'scanned', notEnabled });
    this.partOf(session.accountId).accounts.push(this.accounts[this.accounts.length - 1]!);
  }

  accountFailed(error: ScanError): void {
    this.counts.accounts.failed++;
    this.errors.push(error);
    this.accounts.push({ accountId: error.accountId, status: 'failed', reason: `${error.stage} failed (${error.code})` });
    this.partOf(error.accountId).accounts.push(this.accounts[this.accounts.length - 1]!);
  }

  accountNotReached(accountId: string): void {
    this.counts.accounts.notReached++;
    this.note({ accountId, kind: 'not-reached', message: 'the run deadline passed before this account was started' });
    this.accounts.push({ accountId, status: 'failed', reason: 'the run deadline passed before this account was started' });
    this.partOf(accountId).accounts.push(this.accounts[this.accounts.length - 1]!);
  }

  regionScanned(): void {
    this.counts.regions.scanned++;
  }

  regionNotEnabled(accountId: string, region: string): void {
    this.counts.regions.notEnabled++;
    this.note({ accountId, region, kind: 'region-not-enabled', message: `${region} is not enabled in account ${accountId}` });
    this.notEnabled.get(accountId)?.push(region);
  }

  regionFailed(error: ScanError): void {
    this.counts.regions.failed++;
    this.errors.push(error);
    this.scopes.push({ accountId: error.accountId, region: error.region ?? '', failed: `${error.stage} failed (${error.code})`, clusters: [] });
    this.partOf(error.accountId).scopes.push(this.scopes[this.scopes.length - 1]!);
  }

  /** ListClusters completed in the account × region: the clusters it returned, each read or not. */
  regionListed(accountId: string, region: string, clusters: ClusterCheck[]): void {
    this.scopes.push({ accountId, region, clusters });
    this.partOf(accountId).scopes.push(this.scopes[this.scopes.length - 1]!);
    if (clusters.every((c) => c.failed === undefined)) this.completedScopes.push({ accountId, region });
  }

  clusterScanned(facts: ClusterFacts): void {
    this.counts.clusters.scanned++;
    if (facts.cni.managed) this.counts.clusters.managedAddon++;
    else this.counts.clusters.selfManaged++;
    this.clusters.push(facts);
    this.partOf(facts.accountId).clusters.push(facts);
  }

  clusterFailed(error: ScanError): void {
    this.counts.clusters.failed++;
    this.errors.push(error);
  }

  /** Records a note once per account × region × cluster × kind × message. */
  note(note: CoverageNote & { kind: CoverageNoteKind }): void {
    const key = [note.accountId, note.region, note.cluster, note.kind, note.message].join('|');
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push(note);
  }

  /** Sorts everything by account, region, cluster, so two runs over the same org compare equal. */
  finish(): { clusters: ClusterFacts[]; errors: ScanError[]; coverage: Coverage; completedScopes: Scope[]; checks: { accounts: AccountCheck[]; scopes: ScopeCheck[] } } {
    this.clusters.sort(byKeys((c) => c.accountId, (c) => c.region, (c) => c.clusterName));
    this.errors.sort(byKeys((e) => e.accountId, (e) => e.region, (e) => e.cluster, (e) => e.stage));
    this.notes.sort(byKeys((n) => n.accountId, (n) => n.region, (n) => n.cluster, (n) => n.kind));
    this.completedScopes.sort(byKeys((s) => s.accountId, (s) => s.region));
    this.accounts.sort(byKeys((a) => a.accountId));
    this.scopes.sort(byKeys((s) => s.accountId, (s) => s.region));
    for (const scope of this.scopes) scope.clusters.sort(byKeys((c) => c.name));
    return {
      clusters: this.clusters,
      errors: this.errors,
      coverage: { ...this.counts, notes: this.notes },
      completedScopes: this.completedScopes,
      checks: { accounts: this.accounts, scopes: this.scopes },
    };
  }
}
