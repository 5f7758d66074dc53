import type { StoredRunReport } from '../../deliver/history/delta.js';
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

/** What the trend keeps of one run. */
export type TrendRun = Pick<StoredRunReport, 'runId' | 'startedAt' | 'newIds'> & {
  findings: Pick<Finding, 'severity'>[];
  resolved?: { id: string; resolvedBecause: string }[];
};

/** What the trend reads of each saved report (PointerHistoryStore.recent's members). */
export const TREND_MEMBERS = ['findings', 'newIds', 'resolved'] as const satisfies readonly (keyof StoredRunReport)[];

export function trendRunOf(report: Pick<StoredRunReport, 'runId' | 'startedAt' | (typeof TREND_MEMBERS)[number]>): TrendRun {
  return {
    runId: report.runId,
    startedAt: report.startedAt,
    findings: report.findings.map((f) => ({ severity: f.severity })),
    newIds: report.newIds ?? [],
    resolved: (report.resolved ?? []).map((f) => ({ id: f.id, resolvedBecause: f.resolvedBecause })),
  };
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
  add(report: TrendRun): void {
    const at = Date.parse(report.startedAt);
    this.points.push({
      runId: report.runId,
      startedAt: report.startedAt,
      open: countsBySeverity(report.findings),
      new: report.newIds?.length ?? 0,
      resolved: report.resolved?.length ?? 0,
    });
    for (const id of report.newIds ?? []) if (!this.openSince.has(id)) this.openSince.set(id, at);
    for (const finding of report.resolved ?? []) {
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
