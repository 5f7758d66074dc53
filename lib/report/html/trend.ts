import type { StoredRunReport } from '../../deliver/history/delta.js';
import { trendSummaryOf, type RunTrendSummary, type SUMMARY_MEMBERS } from '../../deliver/history/trend-summary.js';
import { SEVERITIES, type Finding, type Severity } from '../../types.js';
import type { Trend, TrendPoint } from './model.js';

const DAY_MS = 86_400_000;

/** Resolutions that end a finding's stay: the cluster was fixed or deleted (lib/deliver/lifecycle.ts). Leaving the audit does not. */
const ENDS_A_STAY = new Set(['fixed', 'cluster deleted']);

export function countsBySeverity(findings: readonly Pick<Finding, 'severity'>[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** What the trend keeps of one run: its trend summary (saved beside its report, or made from it). */
export type TrendRun = RunTrendSummary;

/** What the trend reads of a saved report (SUMMARY_MEMBERS), for one saved without a summary: whole reports do too. */
export type TrendSource = Pick<StoredRunReport, 'runId' | 'startedAt' | (typeof SUMMARY_MEMBERS)[number]>;

/** A run as the trend keeps it, from its summary or its report. */
export function trendRunOf(run: TrendRun | TrendSource): TrendRun {
  return 'open' in run ? run : trendSummaryOf(run);
}

/**
 * The trend of a run history, told report by report, oldest first, keeping only counts and the
 * open findings' first NEW (a 30-night history of a large fleet is never held whole).
 */
export class TrendBuilder {
  private readonly points: TrendPoint[] = [];
  private readonly openSince = new Map<string, number>();
  private readonly stays: number[] = [];
  private unreadable = 0;

  /** Adds the next run, later than every run added before. */
  add(run: TrendRun | TrendSource): void {
    const report = trendRunOf(run);
    const at = Date.parse(report.startedAt);
    this.points.push({
      runId: report.runId,
      startedAt: report.startedAt,
      open: { ...report.open },
      new: report.newIds.length,
      resolved: report.resolved.length,
    });
    for (const id of report.newIds) if (!this.openSince.has(id)) this.openSince.set(id, at);
    for (const finding of report.resolved) {
      const since = this.openSince.get(finding.id);
      this.openSince.delete(finding.id);
      if (since !== undefined && ENDS_A_STAY.has(finding.resolvedBecause)) this.stays.push((at - since) / DAY_MS);
    }
  }

  /** A saved report that could not be read: counted, left out. */
  skip(): void {
    this.unreadable += 1;
  }

  result(window: number): Trend {
    const stays = this.stays.length;
    return {
      points: [...this.points],
      window,
      meanDaysOpen: stays === 0 ? null : this.stays.reduce((a, b) => a + b, 0) / stays,
      stays,
      unreadable: this.unreadable,
    };
  }
}
