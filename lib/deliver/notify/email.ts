import { forCommand, forEmail } from '../../escape.js';
import { planView, plansFor } from '../../plan-text.js';
import type { ClusterPlan, Finding, ScanError, UnusedSuppression } from '../../types.js';
import { countBySeverity } from '../../severity.js';
import { ELLIPSIS, cutText } from '../text.js';
import { fitSections, joinSections } from './fit.js';
import type { Fitting, Section } from './fit.js';
import { fixCommands } from '../../finding-text.js';
import { describeUnused } from '../suppressions.js';
import { plural, versionMove, viewOf } from './input.js';
import type { NotificationInput, NotificationView } from './input.js';

export interface RenderedEmail {
  /** Under 100 characters, ASCII, one line: what SNS accepts as an email Subject. */
  subject: string;
  body: string;
}

export interface EmailBudget {
  /** The most the body may weigh, as `cost` counts it. */
  max: number;
  /** Defaults to UTF-8 bytes. */
  cost?: (text: string) => number;
}

const SUBJECT_MAX = 99;

/**
 * The digest a person reads in a minute: counts first, then what changed, then everything still
 * open with the command that fixes it. With a budget, the longest lists are cut (headline, NEW and
 * RESOLVED are served first) and each cut says how many entries it left out and where they are.
 */
export function renderEmail(input: NotificationInput, budget?: EmailBudget): RenderedEmail {
  const view = viewOf(input);
  const sections = emailSections(input, view);
  const cost = weighedOnce(budget?.cost ?? ((text: string) => Buffer.byteLength(text, 'utf8')));
  const fitting: Fitting = { cost, more: (n) => `  ${ELLIPSIS} and ${n} more, see the full report at ${input.reportLocation}` };
  if (budget === undefined) return { subject: emailSubject(input, view), body: render(sections, Number.POSITIVE_INFINITY, fitting) };
  // The fitting counts line by line; the joined text can differ by a few separators, so tighten until it fits.
  let allowance = budget.max;
  let body = render(sections, allowance, fitting);
  for (let over = cost(body) - budget.max; over > 0 && allowance > 0; over = cost(body) - budget.max) {
    allowance -= over;
    body = render(sections, allowance, fitting);
  }
  return { subject: emailSubject(input, view), body };
}

/**
 * `cost`, each text weighed once however often it is asked: the fitting weighs every entry (a
 * whole plan with its commands) on each pass, and the body may take several passes.
 */
function weighedOnce(cost: (text: string) => number): (text: string) => number {
  const weights = new Map<string, number>();
  return (text) => {
    let weight = weights.get(text);
    if (weight === undefined) weights.set(text, (weight = cost(text)));
    return weight;
  };
}

function render(sections: Section[], max: number, fitting: Fitting): string {
  return `${joinSections(Number.isFinite(max) ? fitSections(sections, max, fitting) : sections.map((s) => [...s.head, ...s.items]))}\n`;
}

/** e.g. `EKS fleet audit: 3 high, 5 medium open (2 new, 1 resolved) - 42 clusters`. */
export function emailSubject(input: NotificationInput, view: NotificationView = viewOf(input)): string {
  const open = view.open.length === 0 ? 'no open findings' : `${countBySeverity(view.open)} open`;
  const clusters = plural(input.coverage.clusters.scanned, 'cluster');
  const errors = input.errors.length === 0 ? '' : `, ${plural(input.errors.length, 'error')}`;
  const candidates = [
    `EKS fleet audit: ${open} (${view.new.length} new, ${view.resolved.length} resolved) - ${clusters}${errors}`,
    `EKS fleet audit: ${view.open.length} open (${view.new.length} new, ${view.resolved.length} resolved) - ${clusters}${errors}`,
    `EKS fleet audit: ${view.open.length} open, ${view.new.length} new, ${view.resolved.length} resolved`,
  ];
  // SNS refuses a subject that is not ASCII, has a line break, or reaches 100 characters.
  const subject = candidates.map(asciiLine).find((s) => s.length <= SUBJECT_MAX) ?? asciiLine(candidates[2] ?? '');
  return subject.slice(0, SUBJECT_MAX);
}

function asciiLine(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, ' ').trim();
}

function emailSections(input: NotificationInput, view: NotificationView): Section[] {
  const plans = plansFor([...view.new, ...view.stillOpen], input.plans);
  const planned = new Set(plans.map((p) => p.id));
  const marked = (f: Finding) => {
    const expired = view.expiredOn.get(f.id);
    return expired === undefined ? '' : ` (suppression expired on ${expired})`;
  };
  const sections: Section[] = [
    { tier: 0, head: headline(input, view), items: [] },
    {
      tier: 1,
      head: [`NEW since the last notification (${view.new.length})`],
      items: view.new.map((f) => `  - [${f.severity.toUpperCase()}] ${forEmail(f.title)}${marked(f)}\n${clusterLines(f, planned)}`),
    },
    {
      tier: 1,
      head: [`RESOLVED since the last notification (${view.resolved.length})`],
      items: view.resolved.map((f) => `  - [${f.severity.toUpperCase()}] ${forEmail(f.title)} (${forEmail(view.why[f.id] ?? 'fixed')})\n    ${where(f)}`),
    },
    ...stillOpenSections(view, marked, planned),
  ];
  if (plans.length > 0) {
    sections.push({
      tier: 2,
      head: [`FIX PLANS, one per cluster (${plans.length}): run the steps in order; every kubectl and helm line names the cluster's context`],
      items: plans.map(planLines),
    });
  }
  if (view.unknown.length > 0) {
    sections.push({
      tier: 2,
      head: [`NOT RE-CHECKED this run, still believed open (${view.unknown.length})`],
      items: view.unknown.map((f) => `  - [${f.severity.toUpperCase()}] ${forEmail(f.ruleId)}: ${where(f)} (not re-checked: ${forEmail(view.why[f.id] ?? 'scan incomplete')})`),
    });
  }
  sections.push(suppressedSection(input, view), ...coverageSections(input));
  return sections;
}

function headline(input: NotificationInput, view: NotificationView): string[] {
  const c = input.coverage;
  const lines = [
    `EKS fleet audit, run ${input.runId} started ${input.startedAt}`,
    '',
    `Open findings: ${view.open.length} (${countBySeverity(view.open)})`,
    `New: ${view.new.length}   Resolved: ${view.resolved.length}   Not re-checked: ${view.unknown.length}   Suppressed: ${input.suppressed.length}`,
    `Scanned: ${plural(c.accounts.scanned, 'account')} of ${c.accounts.listed} listed, ${plural(c.clusters.scanned, 'cluster')} in ${plural(c.regions.scanned, 'Region')}`,
    `Errors: ${input.errors.length}`,
  ];
  if (view.belowThreshold > 0) lines.push(`Below the ${input.minSeverity} threshold, not listed: ${plural(view.belowThreshold, 'finding')}`);
  if (view.quiet > 0) lines.push(`Carried as they were (outside this run, or rules it did not evaluate): ${plural(view.quiet, 'finding')}`);
  if (view.baselineNote) lines.push(view.baselineNote);
  lines.push(`Full report: ${input.reportLocation}`, ...pageLines(input.reportLink));
  return lines;
}

/** The fleet page's link: presigned (with its console fallback), or the console's. */
function pageLines(link: NotificationInput['reportLink']): string[] {
  if (link === undefined) return [];
  if (link.kind === 'console') return [`Fleet report, in the S3 console (sign in with read access to the history bucket): ${link.console}`];
  return [
    `Fleet report, to open in a browser (valid until ${link.expiresAt ?? 'its expiry'} at the latest, and only while the auditor's credentials that signed it last):`,
    `  ${link.url}`,
    `  If it no longer opens, in the S3 console: ${link.console}`,
  ];
}

/** Still open, grouped by severity then rule, one entry per affected cluster. */
function stillOpenSections(view: NotificationView, marked: (f: Finding) => string, planned: ReadonlySet<string>): Section[] {
  const groups = new Map<string, Finding[]>();
  for (const f of view.stillOpen) {
    const key = `${f.severity}\u0000${f.ruleId}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const sections: Section[] = [{ tier: 2, head: [`STILL OPEN (${view.stillOpen.length})`], items: [] }];
  for (const findings of groups.values()) {
    const first = findings[0];
    if (first === undefined) continue;
    sections.push({
      tier: 2,
      head: [`[${first.severity.toUpperCase()}] ${forEmail(first.ruleId)}: ${forEmail(first.title)} (${plural(findings.length, 'cluster')})`],
      items: findings.map((f) => `${clusterLines(f, planned)}${marked(f)}`),
    });
  }
  return sections;
}

function suppressedSection(input: NotificationInput, view: NotificationView): Section {
  return {
    tier: 2,
    head: [
      `SUPPRESSED: ${input.suppressed.length}, ${view.expiringSoon.length} expiring within ${input.expiringWithinDays ?? 14} days`,
      ...(input.unusedSuppressions?.length ? [unusedLine(input.unusedSuppressions, input.reportLocation)] : []),
    ],
    items: view.expiringSoon.map((s) => `  - ${forEmail(s.finding.id)} until ${forEmail(s.expires)}: ${cutText(forEmail(s.reason), 200)}`),
  };
}

/** Characters of suppressions the unused line names: it is a head, never cut by the fitting (a night that scanned nothing leaves every one unused). */
const UNUSED_LINE_MAX = 2_000;

/** The suppressions that matched nothing, in one line: as many as UNUSED_LINE_MAX holds, then how many more. */
function unusedLine(unused: readonly UnusedSuppression[], reportLocation: string): string {
  const named: string[] = [];
  let length = 0;
  for (const u of unused) {
    const text = cutText(forEmail(describeUnused(u)), UNUSED_LINE_MAX);
    if (named.length > 0 && length + text.length > UNUSED_LINE_MAX) break;
    named.push(text);
    length += text.length + 2;
  }
  const more = unused.length - named.length;
  return `  Unused (matched nothing this run): ${named.join('; ')}${more > 0 ? `; ${ELLIPSIS} and ${more} more, see the full report at ${reportLocation}` : ''}`;
}

function coverageSections(input: NotificationInput): Section[] {
  const c = input.coverage;
  return [
    {
      tier: 2,
      head: [
        'COVERAGE',
        `  Accounts: ${c.accounts.listed} listed, ${c.accounts.excluded} excluded, ${c.accounts.scanned} scanned, ${c.accounts.failed} failed, ${c.accounts.notReached} not reached`,
        `  Regions: ${c.regions.scanned} scanned, ${c.regions.notEnabled} not enabled, ${c.regions.failed} failed`,
        `  Clusters: ${c.clusters.scanned} scanned (${c.clusters.managedAddon} managed add-on, ${c.clusters.selfManaged} self-managed), ${c.clusters.failed} failed`,
      ],
      // Each note names its account and Region: a count alone does not say where to look.
      items: c.notes.map((n) => `  - ${[n.accountId, n.region, n.cluster].filter(Boolean).join(' ')} ${n.kind}: ${cutText(n.message, 300)}`),
    },
    { tier: 2, head: [`ERRORS (${input.errors.length})`], items: input.errors.map(errorLine) },
  ];
}

/** Every error: account, Region, cluster, stage, code (and what happened). */
function errorLine(e: ScanError): string {
  return `  - ${forEmail(`${e.accountId} ${e.region ?? '-'} ${e.cluster ?? '-'} ${e.stage} ${e.code}`)}: ${cutText(forEmail(e.message), 300)}`;
}

function where(f: Finding): string {
  return forEmail(`${f.accountName} (${f.accountId}), ${f.region}, ${f.clusterName}`);
}

/**
 * One affected cluster: where, the version move and the fix. The commands are the plan's, listed
 * once per cluster under FIX PLANS; a finding without a plan (an older report) keeps its own.
 */
function clusterLines(f: Finding, planned: ReadonlySet<string>): string {
  const inPlan = f.remediation.planId !== undefined && planned.has(f.remediation.planId);
  const commands = inPlan ? [] : fixCommands(f);
  const fix = commands.length === 0 ? [`fix: ${forEmail(f.remediation.text)}${inPlan ? ' (see FIX PLANS)' : ''}`] : commands.map((c) => `$ ${forCommand(c)}`);
  return [`    ${where(f)}: ${forEmail(versionMove(f))}`, ...fix.map((line) => `      ${line}`)].join('\n');
}

/** A cluster's plan: heading, notes, numbered steps and their commands. */
function planLines(plan: ClusterPlan): string {
  const view = planView(plan);
  const lines = [`  - ${forEmail(view.heading)}`, ...view.notes.map((n) => `      ${forEmail(n)}`)];
  for (const step of view.steps) {
    lines.push(`      ${step.label} ${forEmail(step.title)}`);
    for (const command of step.commands) lines.push(`         $ ${forCommand(command)}`);
  }
  return lines.join('\n');
}
