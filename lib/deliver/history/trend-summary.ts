import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../types.js';
import type { StoredRunReport } from './delta.js';

/**
 * What the fleet page's trend counts of one run, saved beside its report (`<runId>.trend.json`):
 * a few kilobytes where the report is tens of megabytes at a thousand accounts, so a night's page
 * reads 29 of these instead of 29 reports.
 */
export interface RunTrendSummary {
  runId: string;
  startedAt: string;
  /** Open findings by severity. */
  open: Record<Severity, number>;
  /** Ids of the findings NEW that run. */
  newIds: string[];
  /** What that run told RESOLVED, and why (a stay ends only when fixed or deleted). */
  resolved: { id: string; resolvedBecause: string }[];
}

/** The members of a report a summary is made from (a report saved before summaries existed). */
export const SUMMARY_MEMBERS = ['findings', 'newIds', 'resolved'] as const satisfies readonly (keyof StoredRunReport)[];

export const runTrendSummarySchema = z.strictObject({
  runId: z.string().min(1),
  startedAt: z.string().min(1),
  open: z.strictObject(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().nonnegative()])) as Record<Severity, z.ZodNumber>),
  newIds: z.array(z.string()),
  resolved: z.array(z.strictObject({ id: z.string(), resolvedBecause: z.string() })),
});

export function trendSummaryOf(report: Pick<StoredRunReport, 'runId' | 'startedAt' | (typeof SUMMARY_MEMBERS)[number]>): RunTrendSummary {
  const open = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of report.findings) open[f.severity] += 1;
  return {
    runId: report.runId,
    startedAt: report.startedAt,
    open,
    newIds: report.newIds ?? [],
    resolved: (report.resolved ?? []).map((f) => ({ id: f.id, resolvedBecause: f.resolvedBecause })),
  };
}
