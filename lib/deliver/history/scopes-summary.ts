import { z } from 'zod';
import type { StoredRunReport } from './delta.js';

/** What a report's known scopes are made from (knownScopesOfReport). */
export const KNOWN_SCOPE_MEMBERS = ['findings', 'carriedOver', 'suppressed', 'securityHubPending', 'archivePending', 'knownScopesUntold'] as const satisfies readonly (keyof StoredRunReport)[];

/**
 * The account-regions (`account/region`) where a report had a finding of ours: observed, carried
 * over or suppressed (a suppressed finding is archived, so Security Hub holds it too), one it could
 * not archive (archivePending), or one whose sync did not finish (securityHubPending). Sorted.
 */
export function knownScopesOfReport(report: Pick<StoredRunReport, (typeof KNOWN_SCOPE_MEMBERS)[number]>): string[] {
  const findings = [...report.findings, ...(report.carriedOver ?? []), ...report.suppressed.map((s) => s.finding), ...(report.archivePending ?? [])];
  return [...new Set([...findings.map((f) => `${f.accountId}/${f.region}`), ...(report.securityHubPending ?? [])])].sort();
}

/**
 * A run's known scopes, saved beside its report (`<runId>.scopes.json`): what the next run needs to
 * know where to read Security Hub, without reading a report of hundreds of MB at 10,000 accounts.
 */
export const scopesSummarySchema = z.strictObject({
  runId: z.string().min(1),
  startedAt: z.string().min(1),
  scopes: z.array(z.string()),
  /** The run could not tell where findings of ours are and read only part of the organization: its scopes are not all of them (read everywhere). */
  untold: z.literal(true).optional(),
});
