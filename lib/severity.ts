import { SEVERITIES } from './types.js';
import type { Finding, Severity } from './types.js';

/** 0 for critical, 4 for informational: lower is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isAtOrAbove(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) <= severityRank(minimum);
}

export function highestSeverity(findings: readonly Finding[]): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) if (best === undefined || severityRank(f.severity) < severityRank(best)) best = f.severity;
  return best;
}

/** Worst first, then by rule, account, region and cluster, so every listing reads the same way each run. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.accountId.localeCompare(b.accountId) ||
    a.region.localeCompare(b.region) ||
    a.clusterName.localeCompare(b.clusterName)
  );
}

/** `1 critical, 3 high` (worst first, zero counts left out), or `none`. */
export function countBySeverity(findings: readonly Finding[]): string {
  const counts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  return counts.length === 0 ? 'none' : counts.map(([s, n]) => `${n} ${s}`).join(', ');
}
