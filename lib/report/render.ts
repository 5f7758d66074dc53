import { painter, formatSeverity } from '../cli/format.js';
import { forCommand, forMarkdown, forTerminal, markdownCode, markdownFence } from '../escape.js';
import { planView, plansFor } from '../plan-text.js';
import { countBySeverity } from '../severity.js';
import { describeUnused } from '../deliver/unused-suppression.js';
import type { RunOutcome } from '../run.js';
import type { ClusterPlan, Finding } from '../types.js';
import { coverageLine, errorLine, expiredMark, fixCommands, groupByRule, versionMove, where } from './group.js';
import { inventoryMarkdown, inventoryText } from './inventory.js';

type Paint = ReturnType<typeof painter>;

function deliveryLines(outcome: RunOutcome): string[] {
  const { securityHub, notification, history, page } = outcome.delivery;
  const lines = [
    `Security Hub: ${typeof securityHub === 'string' ? securityHub : `${securityHub.imported} imported, ${securityHub.archived} archived, ${securityHub.kept} kept open (not re-checked), ${securityHub.failed} failed in ${securityHub.scopes} account-regions${securityHub.otherRules ? `; ${securityHub.otherRules} of rules this run did not evaluate left alone` : ''}`}`,
    `Notification: ${typeof notification === 'string' ? notification : notification.sent ? `sent (${notification.reason})` : `not sent (${notification.reason})`}`,
    `Run history: ${typeof history === 'string' ? history : `${history.location}${history.pointersKept?.length ? ` (pointers left on the newer run ${history.pointersKept[0]?.runId})` : ''}`}`,
  ];
  if (page !== undefined) lines.push(`Fleet page: ${typeof page === 'string' ? page : page.location}`);
  return lines;
}

/** The plans of the report's findings, once per cluster, in the order their worst finding comes. */
function reportPlans(outcome: RunOutcome): ClusterPlan[] {
  return plansFor(groupByRule(outcome.report.findings).flatMap((g) => g.findings), outcome.report.plans);
}

/** A cluster's plan for a terminal: heading, notes, numbered steps and `$ command` lines. */
export function planTextLines(plan: ClusterPlan, paint: Paint, indent = '  '): string[] {
  const view = planView(plan);
  const t = forTerminal;
  const lines = [`${indent}${paint('bold', t(view.heading))}`];
  for (const note of view.notes) lines.push(`${indent}  ${paint('gray', t(note))}`);
  for (const step of view.steps) {
    lines.push(`${indent}  ${step.label} ${t(step.title)}`);
    for (const command of step.commands) lines.push(`${indent}     $ ${forCommand(command)}`);
  }
  return lines;
}

/** The run as a person reads it in a terminal: what is wrong, where, then one plan per cluster. */
export function renderText(outcome: RunOutcome, isTty = false): string {
  const paint: Paint = painter(isTty);
  const t = forTerminal;
  const { report, delta } = outcome;
  const newIds = new Set(delta.new.map((f) => f.id));
  const plans = reportPlans(outcome);
  const planned = new Set(plans.map((p) => p.id));
  const lines: string[] = [
    paint('bold', `EKS fleet audit ${t(report.runId)}`),
    coverageLine(report),
    `Findings: ${countBySeverity(report.findings)} — ${delta.new.length} new, ${delta.resolved.length} resolved, ${report.suppressed.length} suppressed`,
  ];
  for (const group of groupByRule(report.findings)) {
    lines.push('', `${formatSeverity(group.severity, paint)} ${paint('bold', t(group.title))}  ${paint('gray', `[${t(group.ruleId)}] ${group.findings.length} cluster(s)`)}`);
    for (const f of group.findings) {
      lines.push(`  ${newIds.has(f.id) ? paint('green', 'NEW ') : '    '}${t(where(f))}: ${t(versionMove(f) + expiredMark(f))}`);
      lines.push(`        ${paint('gray', t(f.why))}`);
      lines.push(`        fix: ${t(f.remediation.text)}${f.remediation.planId && planned.has(f.remediation.planId) ? paint('gray', ' (commands in the plan below)') : ''}`);
      if (!f.remediation.planId || !planned.has(f.remediation.planId)) for (const command of fixCommands(f)) lines.push(`        $ ${t(command)}`);
    }
  }
  if (plans.length) {
    lines.push('', paint('bold', `Plans, one per cluster (${plans.length}): run the steps in order; every kubectl and helm line names the cluster's context`));
    for (const plan of plans) lines.push('', ...planTextLines(plan, paint));
  }
  if (delta.baseline.kind === 'fallback' || delta.baseline.kind === 'unavailable') lines.push('', paint('yellow', t(delta.baseline.message ?? '')));
  if (delta.resolved.length) {
    lines.push('', paint('bold', `Resolved since the last notified run (${delta.resolved.length})`));
    for (const f of delta.resolved) lines.push(`  ${t(where(f))}: ${t(f.title)} [${t(f.ruleId)}] (${t(delta.why[f.id] ?? 'fixed')})`);
  }
  if (delta.unknown.length) {
    lines.push('', paint('bold', `Not re-checked this run, still believed open (${delta.unknown.length})`));
    for (const f of delta.unknown) lines.push(`  ${t(where(f))}: ${t(f.title)} [${t(f.ruleId)}] (not re-checked: ${t(delta.why[f.id] ?? 'scan incomplete')})`);
  }
  if (report.suppressed.length) {
    lines.push('', paint('bold', `Suppressed (${report.suppressed.length})`));
    for (const s of report.suppressed) lines.push(`  ${t(where(s.finding))}: ${t(s.finding.ruleId)} — ${t(s.reason)} (until ${t(s.expires)})`);
  }
  if (report.unusedSuppressions?.length) lines.push('', `Unused suppressions (matched nothing this run): ${t(report.unusedSuppressions.map(describeUnused).join('; '))}`);
  if (report.coverage.notes.length) {
    lines.push('', paint('bold', `Coverage notes (${report.coverage.notes.length})`));
    for (const n of report.coverage.notes) lines.push(`  ${t([n.accountId, n.region, n.cluster].filter(Boolean).join(' '))}: ${n.kind} — ${t(n.message)}`);
  }
  if (report.errors.length) {
    lines.push('', paint('red', `Errors (${report.errors.length}) — the rest of the run went on`));
    for (const e of report.errors) lines.push(`  ${t(errorLine(e))}`);
  }
  lines.push(...inventoryText(report).map(t), '', ...deliveryLines(outcome).map(t));
  return lines.join('\n');
}

/** A cluster's plan in Markdown: a heading, the notes, then each step with its commands in a shell block. */
export function planMarkdownLines(plan: ClusterPlan): string[] {
  const view = planView(plan);
  const lines = [`### ${forMarkdown(view.heading)}`, ''];
  for (const note of view.notes) lines.push(`- ${forMarkdown(note)}`);
  for (const step of view.steps) {
    lines.push('', `${step.label} ${forMarkdown(step.title)}`, '');
    const fence = markdownFence(step.commands);
    lines.push(`${fence}sh`, ...step.commands.map(forCommand), fence);
  }
  return lines;
}

function fixCell(f: Finding, planned: Set<string>): string {
  const text = forMarkdown(f.remediation.text);
  if (f.remediation.planId && planned.has(f.remediation.planId)) return `${text} (see the plan of ${forMarkdown(f.clusterName)})`;
  return [text, ...fixCommands(f).map(markdownCode)].join('<br>');
}

/** The same report as Markdown (for a wiki page or a pull request comment). */
export function renderMarkdown(outcome: RunOutcome): string {
  const { report, delta } = outcome;
  const newIds = new Set(delta.new.map((f) => f.id));
  const plans = reportPlans(outcome);
  const planned = new Set(plans.map((p) => p.id));
  const m = forMarkdown;
  const lines: string[] = [
    `# EKS fleet audit ${m(report.runId)}`,
    '',
    `${m(coverageLine(report))}.`,
    '',
    `**Findings:** ${countBySeverity(report.findings)} — ${delta.new.length} new, ${delta.resolved.length} resolved, ${report.suppressed.length} suppressed.`,
  ];
  for (const group of groupByRule(report.findings)) {
    lines.push('', `## ${group.severity.toUpperCase()}: ${m(group.title)}`, '', `Rule ${markdownCode(group.ruleId)}, ${group.findings.length} cluster(s).`, '');
    lines.push('| | Account | Region | Cluster | Version | Fix |', '|---|---|---|---|---|---|');
    for (const f of group.findings) {
      lines.push(`| ${newIds.has(f.id) ? 'NEW' : ''} | ${m(f.accountName)} (${m(f.accountId)}) | ${m(f.region)} | ${m(f.clusterName)} | ${m(versionMove(f) + expiredMark(f))} | ${fixCell(f, planned)} |`);
    }
  }
  if (plans.length) {
    lines.push('', '## Plans, one per cluster', '', "Run the steps in order. Every kubectl and helm line names the cluster's context.");
    for (const plan of plans) lines.push('', ...planMarkdownLines(plan));
  }
  if (delta.resolved.length) {
    lines.push('', '## Resolved', '', ...delta.resolved.map((f) => `- ${m(where(f))}: ${m(f.title)} (${markdownCode(f.ruleId)}): ${m(delta.why[f.id] ?? 'fixed')}`));
  }
  if (delta.unknown.length) {
    lines.push('', '## Not re-checked', '', ...delta.unknown.map((f) => `- ${m(where(f))}: ${m(f.title)} (${markdownCode(f.ruleId)}): ${m(delta.why[f.id] ?? 'scan incomplete')}`));
  }
  if (report.suppressed.length) {
    lines.push('', '## Suppressed', '', ...report.suppressed.map((s) => `- ${m(where(s.finding))}: ${markdownCode(s.finding.ruleId)} — ${m(s.reason)} (until ${m(s.expires)})`));
  }
  if (report.unusedSuppressions?.length) lines.push('', `**Unused suppressions** (matched nothing this run): ${m(report.unusedSuppressions.map(describeUnused).join('; '))}`);
  if (report.errors.length) lines.push('', '## Errors', '', ...report.errors.map((e) => `- ${m(errorLine(e))}`));
  if (report.coverage.notes.length) {
    lines.push('', '## Coverage notes', '', ...report.coverage.notes.map((n) => `- ${m([n.accountId, n.region, n.cluster].filter(Boolean).join(' '))}: ${n.kind} — ${m(n.message)}`));
  }
  lines.push(...inventoryMarkdown(report), '', '## Delivery', '', ...deliveryLines(outcome).map((l) => `- ${m(l)}`));
  return lines.join('\n');
}
