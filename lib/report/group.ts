export { expiredMark, fixCommands, versionMove, where } from '../finding-text.js';
import { compareFindings } from '../severity.js';
import type { Finding, RunReport, ScanError } from '../types.js';

/** Findings of one rule, worst rule first, clusters in a stable order. */
export interface RuleGroup {
  ruleId: string;
  title: string;
  severity: Finding['severity'];
  findings: Finding[];
}

export function groupByRule(findings: readonly Finding[]): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  for (const f of [...findings].sort(compareFindings)) {
    const group = groups.get(f.ruleId) ?? { ruleId: f.ruleId, title: f.title, severity: f.severity, findings: [] };
    group.findings.push(f);
    groups.set(f.ruleId, group);
  }
  return [...groups.values()];
}

export function errorLine(e: ScanError): string {
  const scope = [e.accountId, e.region, e.cluster].filter(Boolean).join(' ');
  return `${scope} [${e.stage}] ${e.code}: ${e.message}`;
}

export function coverageLine(report: Pick<RunReport, 'coverage'>): string {
  const { accounts, regions, clusters } = report.coverage;
  const accountParts = [
    `${accounts.scanned} of ${accounts.listed} accounts scanned`,
    accounts.failed ? `${accounts.failed} failed` : '',
    accounts.excluded ? `${accounts.excluded} excluded` : '',
    accounts.notReached ? `${accounts.notReached} not reached before the deadline` : '',
  ].filter(Boolean);
  return (
    `${accountParts.join(', ')}; ${regions.scanned} account-regions` +
    (regions.notEnabled ? ` (${regions.notEnabled} not enabled)` : '') +
    (regions.failed ? ` (${regions.failed} failed)` : '') +
    `; ${clusters.scanned} clusters (${clusters.managedAddon} managed add-on, ${clusters.selfManaged} self-managed` +
    (clusters.failed ? `, ${clusters.failed} failed` : '') +
    ')'
  );
}
