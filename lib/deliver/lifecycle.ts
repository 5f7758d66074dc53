import type { AccountCheck, ClusterCheck, Recheck, ScopeCheck } from '../types.js';

/**
 * The fate of a finding known from before (the previous run, or Security Hub) that this run did
 * not observe. One rule decides it for Security Hub and for the messages alike:
 *
 * - `resolved`: this run re-read the facts that raised it, with the rule that raised it, and the
 *   rule no longer matches (`fixed`); or the account × region was listed whole and the cluster is
 *   gone (`cluster deleted`). Archived, announced RESOLVED.
 * - `not-rechecked`: the account, region or cluster could not be read, or the rule could not be
 *   evaluated on it. Carried to the next run, stays ACTIVE, listed with the reason.
 * - `departed`: it left the audit (left the organization, suspended, excluded, region disabled).
 *   Announced once with the reason, no longer carried; archived where the audit role still works
 *   (`archivable`), else left to expire in Security Hub (90 days after its last update).
 * - `outside-run`: a narrowed run was not asked for its account or region. Carried silently.
 * - `other-rule`: a rule this run did not evaluate (a team's `--rules` on another run). Left
 *   alone everywhere, only counted.
 */
export type Fate =
  | { kind: 'resolved'; reason: ResolvedReason }
  | { kind: 'not-rechecked'; reason: string }
  /** `region`: only the finding's region left (disabled, no longer audited); else the whole account. */
  | { kind: 'departed'; reason: string; archivable: boolean; region?: boolean }
  | { kind: 'outside-run'; reason: string }
  | { kind: 'other-rule' };

export type ResolvedReason = 'fixed' | 'cluster deleted';

/** What names a finding's facts: its rule, account, region and cluster. */
export interface FindingKey {
  ruleId: string;
  accountId: string;
  region: string;
  clusterName: string;
}

/** Security Hub CSPM deletes an ACTIVE finding 90 days after its last update (UpdatedAt), an ARCHIVED one after 30 (its user guide). */
export const SECURITY_HUB_RETENTION_DAYS = 90;

const scopeKey = (accountId: string, region: string) => `${accountId}/${region}`;
const skipKey = (accountId: string, region: string, cluster: string, ruleId: string) => `${accountId}/${region}/${cluster}/${ruleId}`;

/** A run's Recheck, indexed to answer `fateOf` in constant time. */
export class RecheckIndex {
  private readonly rules: Set<string>;
  private readonly accounts: Map<string, AccountCheck>;
  private readonly scopes: Map<string, { scope: ScopeCheck; clusters: Map<string, ClusterCheck> }>;
  private readonly skipped: Map<string, string>;

  constructor(private readonly recheck: Recheck) {
    this.rules = new Set(recheck.rules);
    this.accounts = new Map(recheck.accounts.map((a) => [a.accountId, a]));
    this.scopes = new Map(recheck.scopes.map((s) => [scopeKey(s.accountId, s.region), { scope: s, clusters: new Map(s.clusters.map((c) => [c.name, c])) }]));
    this.skipped = new Map(recheck.skipped.map((s) => [skipKey(s.accountId, s.region, s.cluster, s.ruleId), s.reason]));
  }

  /** The fate of a known finding that this run did not observe (suppressed findings excepted). */
  fateOf(finding: FindingKey): Fate {
    if (!this.rules.has(finding.ruleId)) return { kind: 'other-rule' };
    const account = this.accounts.get(finding.accountId);
    if (account === undefined) return { kind: 'departed', reason: 'the account left the organization', archivable: false };
    switch (account.status) {
      case 'suspended':
        return { kind: 'departed', reason: account.reason ?? 'the account is suspended', archivable: false };
      case 'excluded':
        return { kind: 'departed', reason: `the account is ${account.reason ?? 'excluded by the account filters'}`, archivable: true };
      case 'outside-run':
        return { kind: 'outside-run', reason: 'this run was not asked to scan the account' };
      case 'failed':
        return { kind: 'not-rechecked', reason: account.reason ?? 'the account could not be scanned' };
      case 'scanned':
        return this.fateInScannedAccount(account, finding);
    }
  }

  private fateInScannedAccount(account: AccountCheck, finding: FindingKey): Fate {
    const entry = this.scopes.get(scopeKey(finding.accountId, finding.region));
    if (entry === undefined) {
      if (account.notEnabled?.includes(finding.region) || this.recheck.regions === 'all') {
        return { kind: 'departed', reason: `${finding.region} is not enabled in the account`, archivable: false, region: true };
      }
      if (this.recheck.narrowed) return { kind: 'outside-run', reason: `this run was not asked to scan ${finding.region}` };
      return { kind: 'departed', reason: `${finding.region} is no longer among the audited regions`, archivable: true, region: true };
    }
    if (entry.scope.failed !== undefined) return { kind: 'not-rechecked', reason: entry.scope.failed };
    const cluster = entry.clusters.get(finding.clusterName);
    if (cluster === undefined) return { kind: 'resolved', reason: 'cluster deleted' };
    if (cluster.failed !== undefined) return { kind: 'not-rechecked', reason: cluster.failed };
    const skipped = this.skipped.get(skipKey(finding.accountId, finding.region, finding.clusterName, finding.ruleId));
    if (skipped !== undefined) return { kind: 'not-rechecked', reason: skipped };
    return { kind: 'resolved', reason: 'fixed' };
  }

  /**
   * The fate of an account × region as a whole, asked with any rule this run evaluated: whether it
   * was read at all, or left the audit (what a known scope with no finding named is asked).
   */
  fateOfScope(scope: { accountId: string; region: string }): Fate {
    return this.fateOf({ ruleId: this.recheck.rules[0] ?? '', ...scope, clusterName: '' });
  }

  /** Whether Security Hub findings may be archived in this account × region at all (it was scanned). */
  scanned(accountId: string, region: string): boolean {
    return this.scopes.has(scopeKey(accountId, region));
  }
}

/**
 * The Recheck of one scan: its account and region checks, the rules evaluated and those skipped.
 * `regions` and `narrowed` are the scan's options.
 */
export function recheckOf(
  checks: { accounts: AccountCheck[]; scopes: ScopeCheck[] },
  evaluation: { rules: readonly { id: string }[]; skipped: Recheck['skipped'] },
  scan: { regions: 'all' | string[]; narrowed?: boolean },
): Recheck {
  return {
    rules: evaluation.rules.map((r) => r.id),
    regions: scan.regions,
    narrowed: scan.narrowed ?? false,
    accounts: checks.accounts,
    scopes: checks.scopes,
    skipped: evaluation.skipped,
  };
}
