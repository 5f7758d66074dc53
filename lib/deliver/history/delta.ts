import type { Finding, RunReport } from '../../types.js';
import type { ArchivedFinding } from '../securityhub/sink.js';
import type { Fate, FindingKey, RecheckIndex } from '../lifecycle.js';

/**
 * What NEW and RESOLVED were counted against:
 * - `first-run`: no run was ever saved (everything observed is NEW);
 * - `last-notified`: the last run whose notification was delivered (the usual case);
 * - `fallback`: that report could not be read; the newest readable one stood in (`runId`);
 * - `unavailable`: no report could be read: nothing is called NEW (it would be a false flood),
 *   RESOLVED comes from what Security Hub archived, and the last-notified pointer stays put.
 */
export interface Baseline {
  kind: 'first-run' | 'last-notified' | 'fallback' | 'unavailable';
  runId?: string;
  /** Why the usual baseline was not used, for a person. */
  message?: string;
}

/** What changed since the baseline, by finding id. */
export interface Delta {
  /** Observed now and not known before (everything, on a first run; nothing when the baseline is unavailable). */
  new: Finding[];
  /**
   * Known before, not observed now: fixed or its cluster deleted (this run re-read it), or gone
   * with its account or region (left the organization, suspended, excluded, region disabled).
   * `why` says which.
   */
  resolved: Finding[];
  /** Every finding observed now (the new ones included). */
  open: Finding[];
  /**
   * Known before, not observed now, and not re-checked (its account, region or cluster could not
   * be read, or its rule not evaluated): neither resolved nor open. Carried over; `why` says why.
   */
  unknown: Finding[];
  /** Known before, now suppressed: neither resolved nor open. */
  suppressed: Finding[];
  /**
   * Known before and carried without a word: outside a narrowed run, or of a rule this run did
   * not evaluate (a team's `--rules`). Only counted.
   */
  quiet: Finding[];
  /** Why each resolved or not-re-checked finding is so, by finding id. */
  why: Record<string, string>;
  /** Accounts and regions whose findings left the audit this run, once each (a coverage note). */
  departures: Departure[];
  baseline: Baseline;
}

/** An account (or one of its regions) whose findings left the audit. */
export interface Departure {
  accountId: string;
  /** Absent when the whole account left. */
  region?: string;
  reason: string;
  /** Whether its findings can be archived in Security Hub (the audit role still works there). */
  archivable: boolean;
  findings: Finding[];
}

export interface DeltaOptions {
  /** Ids of findings observed now but suppressed (not in `current`). */
  suppressedIds?: Iterable<string>;
  /** With the baseline unavailable: what Security Hub archived this run stands for RESOLVED. */
  archivedBySecurityHub?: readonly ArchivedFinding[];
}

/** Human words for a resolution: `fixed`, `cluster deleted`, or why it left the audit. */
export type ResolvedFinding = Finding & { resolvedBecause: string };
/** A finding believed open though this run did not re-check it, with why. */
export type CarriedFinding = Finding & { carriedBecause: string };

/**
 * Compares this run's (unsuppressed) findings with the baseline's known findings — those of the
 * last run whose notification was delivered, so that a failed publish does not swallow the news —
 * deciding each unseen one's fate with this run's RecheckIndex.
 */
export function computeDelta(current: Finding[], previous: Finding[] | undefined, index: RecheckIndex, baseline: Baseline, options: DeltaOptions = {}): Delta {
  const open = dedupe(current);
  const openIds = new Set(open.map((f) => f.id));
  const suppressedIds = new Set(options.suppressedIds ?? []);
  const delta: Delta = { new: [], resolved: [], open, unknown: [], suppressed: [], quiet: [], why: {}, departures: [], baseline };
  const departures = new Map<string, Departure>();

  if (baseline.kind === 'unavailable') {
    for (const { finding, reason } of options.archivedBySecurityHub ?? []) {
      // A suppressed finding is archived too, and is no news.
      if (openIds.has(finding.id) || suppressedIds.has(finding.id)) continue;
      delta.resolved.push(finding);
      delta.why[finding.id] = reason;
    }
    return delta;
  }

  const before = dedupe(previous ?? []);
  const beforeIds = new Set(before.map((f) => f.id));
  delta.new = open.filter((f) => !beforeIds.has(f.id));
  for (const finding of before) {
    if (openIds.has(finding.id)) continue;
    if (suppressedIds.has(finding.id)) {
      delta.suppressed.push(finding);
      continue;
    }
    const fate = index.fateOf(keyOf(finding));
    switch (fate.kind) {
      case 'resolved':
        delta.resolved.push(finding);
        delta.why[finding.id] = fate.reason;
        break;
      case 'departed': {
        delta.resolved.push(finding);
        delta.why[finding.id] = fate.reason;
        addDeparture(departures, finding, fate);
        break;
      }
      case 'not-rechecked':
        delta.unknown.push(finding);
        delta.why[finding.id] = fate.reason;
        break;
      case 'outside-run':
        delta.quiet.push(finding);
        delta.why[finding.id] = fate.reason;
        break;
      case 'other-rule':
        delta.quiet.push(finding);
        delta.why[finding.id] = `the rule ${finding.ruleId} was not evaluated by this run`;
        break;
    }
  }
  delta.departures = [...departures.values()];
  return delta;
}

function addDeparture(departures: Map<string, Departure>, finding: Finding, fate: Extract<Fate, { kind: 'departed' }>): void {
  const region = fate.region ? finding.region : undefined;
  const key = `${finding.accountId}/${region ?? ''}`;
  const departure = departures.get(key) ?? { accountId: finding.accountId, ...(region ? { region } : {}), reason: fate.reason, archivable: fate.archivable, findings: [] };
  departure.findings.push(finding);
  departures.set(key, departure);
}

/**
 * The findings an earlier run could not archive when they left the audit (its `archivePending`)
 * that are still outside it where the audit role works: archiving them is tried again. Those
 * back in the audit are synced as any other; those now beyond reach expire in Security Hub.
 * They were told RESOLVED when they left: they are not told again.
 */
export function departuresToRetry(pending: readonly Finding[] | undefined, index: RecheckIndex): Departure[] {
  const departures = new Map<string, Departure>();
  for (const finding of dedupe([...(pending ?? [])])) {
    const fate = index.fateOf(keyOf(finding));
    if (fate.kind === 'departed' && fate.archivable) addDeparture(departures, finding, fate);
  }
  return [...departures.values()];
}

/**
 * The findings of an earlier run's `archivePending` that this run neither tried again nor settled:
 * outside a narrowed run, of a rule it did not evaluate, or in an account, region or cluster it
 * could not read. They stay pending: dropped, nothing would ever archive them.
 */
export function unsettledPending(pending: readonly Finding[] | undefined, index: RecheckIndex): Finding[] {
  return dedupe([...(pending ?? [])]).filter((finding) => {
    const { kind } = index.fateOf(keyOf(finding));
    return kind === 'outside-run' || kind === 'other-rule' || kind === 'not-rechecked';
  });
}

/** A report as saved: its findings plus the run's view of what changed. */
export interface StoredRunReport extends RunReport {
  /** Findings believed open though not re-checked this run (Delta.unknown and Delta.quiet), with why. */
  carriedOver?: CarriedFinding[];
  /** What was RESOLVED since the baseline, with why. */
  resolved?: ResolvedFinding[];
  /** Ids of the findings NEW since the baseline. */
  newIds?: string[];
  baseline?: Baseline;
  /** Account × regions (`account/region`) Security Hub could not be brought up to date in (a sync failed, did not run, or kept a finding ACTIVE it could not re-check): read again next run. */
  securityHubPending?: string[];
  /**
   * Findings that left the audit where the audit role works but could not be archived in Security
   * Hub (the role refused, Security Hub failed): the next run tries again (departuresToRetry).
   */
  archivePending?: Finding[];
  /** The run could not tell its known scopes and did not read everywhere (AuditedBatch.knownScopesUntold): the next run reads Security Hub everywhere. */
  knownScopesUntold?: true;
}

/** What the delta reads of the baseline report (HistoryStore.baseline's members). */
export const BASELINE_MEMBERS = ['findings', 'carriedOver', 'errors', 'archivePending'] as const satisfies readonly (keyof StoredRunReport)[];

/** Everything a previous run believed open: observed, or carried over because it was not re-checked. */
export function knownFindings(report: Pick<StoredRunReport, 'findings' | 'carriedOver'> | undefined): Finding[] | undefined {
  if (report === undefined) return undefined;
  return [...report.findings, ...(report.carriedOver ?? [])];
}

/** The carried findings of a delta, as a report keeps them. */
export function carriedOf(delta: Delta): CarriedFinding[] {
  return [...delta.unknown, ...delta.quiet].map((f) => ({ ...withoutLifecycle(f), carriedBecause: delta.why[f.id] ?? 'not re-checked' }));
}

/** The resolved findings of a delta, as a report keeps them. */
export function resolvedOf(delta: Delta): ResolvedFinding[] {
  return delta.resolved.map((f) => ({ ...withoutLifecycle(f), resolvedBecause: delta.why[f.id] ?? 'fixed' }));
}

/** A finding carried more than one night loses the reason of the night before. */
function withoutLifecycle(finding: Finding): Finding {
  const { carriedBecause: _c, resolvedBecause: _r, ...plain } = finding as Finding & { carriedBecause?: string; resolvedBecause?: string };
  return plain;
}

function keyOf(finding: Finding): FindingKey {
  return { ruleId: finding.ruleId, accountId: finding.accountId, region: finding.region, clusterName: finding.clusterName };
}

function dedupe(findings: Finding[]): Finding[] {
  return [...new Map(findings.map((f) => [f.id, f])).values()];
}
