import type { Finding, RunReport, Scope } from '../../types.js';

/** What changed since a previous run, by finding id. */
export interface Delta {
  /** Observed now and not known before (everything, on a first run). */
  new: Finding[];
  /** Known before, not observed now, in an account×Region whose scan completed this run. */
  resolved: Finding[];
  /** Every finding observed now (the new ones included). */
  open: Finding[];
  /**
   * Known before, not observed now, in an account×Region whose scan did NOT complete: its cluster
   * was not seen, so it is neither resolved nor open. Carried over to the next run.
   */
  unknown: Finding[];
  /** Known before, now suppressed: neither resolved nor open. */
  suppressed: Finding[];
}

export interface DeltaOptions {
  /** Ids of findings observed now but suppressed (not in `current`). */
  suppressedIds?: Iterable<string>;
}

/**
 * Compares this run's (unsuppressed) findings with a previous run's known findings — use
 * `knownFindings(report)` of the last run whose notification was delivered, so that a failed
 * publish does not swallow the news: the next message still carries it.
 */
export function computeDelta(current: Finding[], previous: Finding[] | undefined, scopesCompleted: Scope[], options: DeltaOptions = {}): Delta {
  const open = dedupe(current);
  const openIds = new Set(open.map((f) => f.id));
  const before = dedupe(previous ?? []);
  const beforeIds = new Set(before.map((f) => f.id));
  const completed = new Set(scopesCompleted.map(scopeKey));
  const suppressedIds = new Set(options.suppressedIds ?? []);

  const delta: Delta = { new: open.filter((f) => !beforeIds.has(f.id)), resolved: [], open, unknown: [], suppressed: [] };
  for (const finding of before) {
    if (openIds.has(finding.id)) continue;
    if (suppressedIds.has(finding.id)) delta.suppressed.push(finding);
    else if (completed.has(scopeKey(finding))) delta.resolved.push(finding);
    else delta.unknown.push(finding);
  }
  return delta;
}

/** A report as saved: its findings plus those carried over from scopes it could not finish. */
export interface StoredRunReport extends RunReport {
  /** `Delta.unknown` of the run: findings not re-checked, still believed open. */
  carriedOver?: Finding[];
}

/** Everything a previous run believed open: observed, or carried over because it was not re-checked. */
export function knownFindings(report: StoredRunReport | undefined): Finding[] | undefined {
  if (report === undefined) return undefined;
  return [...report.findings, ...(report.carriedOver ?? [])];
}

function scopeKey(scope: { accountId: string; region: string }): string {
  return `${scope.accountId}/${scope.region}`;
}

function dedupe(findings: Finding[]): Finding[] {
  return [...new Map(findings.map((f) => [f.id, f])).values()];
}
