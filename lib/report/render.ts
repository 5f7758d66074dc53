import { painter, formatSeverity } from '../cli/format.js';
import { countBySeverity } from '../severity.js';
import { describeUnused } from '../deliver/suppressions.js';
import type { RunOutcome } from '../run.js';
import { coverageLine, errorLine, expiredMark, fixCommands, groupByRule, versionMove, where } from './group.js';
import { inventoryMarkdown, inventoryText } from './inventory.js';

type Paint = ReturnType<typeof painter>;

function deliveryLines(outcome: RunOutcome): string[] {
  const { securityHub, notification, history } = outcome.delivery;
  return [
    `Security Hub: ${typeof securityHub === 'string' ? securityHub : `${securityHub.imported} imported, ${securityHub.archived} archived, ${securityHub.kept} kept open (not re-checked), ${securityHub.failed} failed in ${securityHub.scopes} account-regions${securityHub.otherRules ? `; ${securityHub.otherRules} of rules this run did not evaluate left alone` : ''}`}`,
    `Notification: ${typeof notification === 'string' ? notification : notification.sent ? `sent (${notification.reason})` : `not sent (${notification.reason})`}`,
    `Run history: ${typeof history === 'string' ? history : `${history.location}${history.pointersKept?.length ? ` (pointers left on the newer run ${history.pointersKept[0]?.runId})` : ''}`}`,
  ];
}

/** The run as a person reads it in a terminal: what to fix, where, with which command. */
export function renderText(outcome: RunOutcome, isTty = false): string {
  const paint: Paint = painter(isTty);
  const { report, delta } = outcome;
  const newIds = new Set(delta.new.map((f) => f.id));
  const lines: string[] = [
    paint('bold', `EKS fleet audit ${report.runId}`),
    coverageLine(report),
    `Findings: ${countBySeverity(report.findings)} — ${delta.new.length} new, ${delta.resolved.length} resolved, ${report.suppressed.length} suppressed`,
  ];
  for (const group of groupByRule(report.findings)) {
    lines.push('', `${formatSeverity(group.severity, paint)} ${paint('bold', group.title)}  ${paint('gray', `[${group.ruleId}] ${group.findings.length} cluster(s)`)}`);
    for (const f of group.findings) {
      lines.push(`  ${newIds.has(f.id) ? paint('green', 'NEW ') : '    '}${where(f)}: ${versionMove(f)}${expiredMark(f)}`);
      lines.push(`        ${paint('gray', f.why)}`);
      for (const command of fixCommands(f)) lines.push(`        $ ${command}`);
    }
  }
  if (delta.baseline.kind === 'fallback' || delta.baseline.kind === 'unavailable') lines.push('', paint('yellow', delta.baseline.message ?? ''));
  if (delta.resolved.length) {
    lines.push('', paint('bold', `Resolved since the last notified run (${delta.resolved.length})`));
    for (const f of delta.resolved) lines.push(`  ${where(f)}: ${f.title} [${f.ruleId}] (${delta.why[f.id] ?? 'fixed'})`);
  }
  if (delta.unknown.length) {
    lines.push('', paint('bold', `Not re-checked this run, still believed open (${delta.unknown.length})`));
    for (const f of delta.unknown) lines.push(`  ${where(f)}: ${f.title} [${f.ruleId}] (not re-checked: ${delta.why[f.id] ?? 'scan incomplete'})`);
  }
  if (report.suppressed.length) {
    lines.push('', paint('bold', `Suppressed (${report.suppressed.length})`));
    for (const s of report.suppressed) lines.push(`  ${where(s.finding)}: ${s.finding.ruleId} — ${s.reason} (until ${s.expires})`);
  }
  if (report.unusedSuppressions?.length) lines.push('', `Unused suppressions (matched nothing this run): ${report.unusedSuppressions.map(describeUnused).join('; ')}`);
  if (report.coverage.notes.length) {
    lines.push('', paint('bold', `Coverage notes (${report.coverage.notes.length})`));
    for (const n of report.coverage.notes) lines.push(`  ${[n.accountId, n.region, n.cluster].filter(Boolean).join(' ')}: ${n.kind} — ${n.message}`);
  }
  if (report.errors.length) {
    lines.push('', paint('red', `Errors (${report.errors.length}) — the rest of the run went on`));
    for (const e of report.errors) lines.push(`  ${errorLine(e)}`);
  }
  lines.push(...inventoryText(report), '', ...deliveryLines(outcome));
  return lines.join('\n');
}

/** The same report as Markdown (for a wiki page or a pull request comment). */
export function renderMarkdown(outcome: RunOutcome): string {
  const { report, delta } = outcome;
  const newIds = new Set(delta.new.map((f) => f.id));
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines: string[] = [
    `# EKS fleet audit ${report.runId}`,
    '',
    `${coverageLine(report)}.`,
    '',
    `**Findings:** ${countBySeverity(report.findings)} — ${delta.new.length} new, ${delta.resolved.length} resolved, ${report.suppressed.length} suppressed.`,
  ];
  for (const group of groupByRule(report.findings)) {
    lines.push('', `## ${group.severity.toUpperCase()}: ${group.title}`, '', `Rule \`${group.ruleId}\`, ${group.findings.length} cluster(s).`, '');
    lines.push('| | Account | Region | Cluster | Version | Fix |', '|---|---|---|---|---|---|');
    for (const f of group.findings) {
      const fix = fixCommands(f).map((c) => `\`${cell(c)}\``).join('<br>');
      lines.push(`| ${newIds.has(f.id) ? 'NEW' : ''} | ${cell(f.accountName)} (${f.accountId}) | ${f.region} | ${cell(f.clusterName)} | ${cell(versionMove(f) + expiredMark(f))} | ${fix} |`);
    }
  }
  if (delta.resolved.length) {
    lines.push('', '## Resolved', '', ...delta.resolved.map((f) => `- ${where(f)}: ${f.title} (\`${f.ruleId}\`): ${delta.why[f.id] ?? 'fixed'}`));
  }
  if (delta.unknown.length) {
    lines.push('', '## Not re-checked', '', ...delta.unknown.map((f) => `- ${where(f)}: ${f.title} (\`${f.ruleId}\`): ${delta.why[f.id] ?? 'scan incomplete'}`));
  }
  if (report.suppressed.length) {
    lines.push('', '## Suppressed', '', ...report.suppressed.map((s) => `- ${where(s.finding)}: \`${s.finding.ruleId}\` — ${s.reason} (until ${s.expires})`));
  }
  if (report.unusedSuppressions?.length) lines.push('', `**Unused suppressions** (matched nothing this run): ${cell(report.unusedSuppressions.map(describeUnused).join('; '))}`);
  if (report.errors.length) lines.push('', '## Errors', '', ...report.errors.map((e) => `- ${errorLine(e)}`));
  if (report.coverage.notes.length) {
    lines.push('', '## Coverage notes', '', ...report.coverage.notes.map((n) => `- ${[n.accountId, n.region, n.cluster].filter(Boolean).join(' ')}: ${n.kind} — ${n.message}`));
  }
  lines.push(...inventoryMarkdown(report), '', '## Delivery', '', ...deliveryLines(outcome).map((l) => `- ${l}`));
  return lines.join('\n');
}
