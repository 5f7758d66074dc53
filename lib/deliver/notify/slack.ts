import { forSlack, forSlackCode } from '../../escape.js';
import type { Finding, Severity } from '../../types.js';
import { countBySeverity, highestSeverity } from '../../severity.js';
import { ELLIPSIS, cutText } from '../text.js';
import { plural, versionMove, viewOf } from './input.js';
import type { NotificationInput, NotificationView } from './input.js';

/**
 * A custom notification of Amazon Q Developer in chat applications (formerly AWS Chatbot): the
 * JSON it renders when it reads it from the SNS topic it subscribes to.
 */
export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps?: string[];
    keywords?: string[];
  };
  metadata?: {
    threadId?: string;
    summary?: string;
    eventType?: string;
    relatedResources?: string[];
    additionalContext?: Record<string, string>;
  };
}

/** Chat messages are read on a phone: the description is kept well under what Slack shows. */
export const SLACK_LIMITS = { description: 4000, title: 250, nextStep: 300, nextSteps: 4, relatedResources: 10 } as const;

export const EVENT_TYPE = 'audit.summary';

const EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  informational: ':white_circle:',
};

/** The chat message: counts, then the affected clusters by name, new ones first, then the worst open. */
export function renderSlack(input: NotificationInput): ChatNotification {
  const view = viewOf(input);
  const worst = highestSeverity(view.open);
  const title = `${worst === undefined ? ':white_check_mark:' : EMOJI[worst]} EKS fleet audit: ${view.new.length} new, ${view.resolved.length} resolved, ${view.open.length} open`;
  return {
    version: '1.0',
    source: 'custom',
    id: input.runId,
    content: {
      textType: 'client-markdown',
      title: cutText(title, SLACK_LIMITS.title),
      description: description(input, view),
      nextSteps: nextSteps(input, view),
      keywords: keywords(input, view),
    },
    metadata: {
      summary: `${view.new.length} new, ${view.resolved.length} resolved, ${view.open.length} open (${countBySeverity(view.open)})`,
      eventType: EVENT_TYPE,
      relatedResources: [...view.new, ...view.stillOpen].slice(0, SLACK_LIMITS.relatedResources).map((f) => f.clusterArn),
      additionalContext: {
        runId: input.runId,
        newFindings: String(view.new.length),
        resolvedFindings: String(view.resolved.length),
        openFindings: String(view.open.length),
        errors: String(input.errors.length),
        report: input.reportLocation,
      },
    },
  };
}

function description(input: NotificationInput, view: NotificationView): string {
  const c = input.coverage;
  const head = [
    `*${view.new.length} new* · *${view.resolved.length} resolved* · ${view.open.length} open (${countBySeverity(view.open)}) · ${plural(c.clusters.scanned, 'cluster')} in ${plural(c.accounts.scanned, 'account')} · ${plural(input.errors.length, 'error')}`,
  ];
  if (view.belowThreshold > 0) head.push(`_${plural(view.belowThreshold, 'finding')} below the ${input.minSeverity} threshold not listed_`);
  const page = pageLink(input.reportLink);
  if (page) head.push(page);
  // What changed comes first, then what could not be told; the worst still open fills what is left.
  const groups: [string, string[]][] = [
    ['*New*', view.new.map((f) => clusterLine(f, view))],
    ['*Resolved*', view.resolved.map((f) => `• ~${forSlack(f.clusterName)}~ ${forSlack(f.accountName)} (${forSlack(f.accountId)}), ${forSlack(f.region)}: ${forSlack(f.title)} _(${forSlack(view.why[f.id] ?? 'fixed')})_`)],
    ['*Not re-checked this run (still believed open)*', view.unknown.map((f) => `${clusterLine(f, view)} _(${forSlack(view.why[f.id] ?? 'scan incomplete')})_`)],
    ['*Errors*', input.errors.map((e) => `• ${forSlack(e.accountId)} ${forSlack(e.region ?? '-')} ${forSlack(e.cluster ?? '-')} ${e.stage}: \`${forSlackCode(e.code)}\``)],
    ['*Worst open*', view.stillOpen.map((f) => clusterLine(f, view))],
  ];
  if (view.baselineNote) head.push(`_${forSlack(view.baselineNote)}_`);
  return fitLines(head, groups, `${ELLIPSIS} and %n more, see the full report at ${input.reportLocation}`, SLACK_LIMITS.description);
}

/** Lines in order until the limit, then one line saying how many entries were left out. */
function fitLines(head: string[], groups: [string, string[]][], more: string, max: number): string {
  const total = groups.reduce((n, [, lines]) => n + lines.length, 0);
  const out = [...head];
  let length = out.join('\n').length;
  let shown = 0;
  const reserve = more.replace('%n', String(total)).length + 1;
  outer: for (const [heading, lines] of groups) {
    if (lines.length === 0) continue;
    for (const [i, line] of lines.entries()) {
      const add = (i === 0 ? `\n${heading}\n${line}` : `\n${line}`).length;
      if (length + add + reserve > max) break outer;
      if (i === 0) out.push(heading);
      out.push(line);
      length += add;
      shown += 1;
    }
  }
  if (shown < total) out.push(more.replace('%n', String(total - shown)));
  return cutText(out.join('\n'), max);
}

function clusterLine(f: Finding, view: NotificationView): string {
  const expired = view.expiredOn.get(f.id);
  const note = expired === undefined ? '' : ` _(suppression expired on ${expired})_`;
  return `• ${EMOJI[f.severity]} \`${forSlackCode(f.clusterName)}\` ${forSlack(f.accountName)} (${forSlack(f.accountId)}), ${forSlack(f.region)}: ${forSlack(versionMove(f))} · ${forSlack(f.title)}${note}`;
}

/**
 * What to do next, each step whole: the first command of the first finding (the first of its
 * cluster's plan, and the first Security Hub's recommendation shows; it runs on its own: pointing
 * kubectl at the cluster, a backup, or a managed add-on update) when it fits whole, else where the
 * commands are. A command is never cut.
 */
function nextSteps(input: NotificationInput, view: NotificationView): string[] {
  const steps: string[] = [];
  const first = view.new[0] ?? view.stillOpen[0];
  const command = first ? first.remediation.commands[0] : undefined;
  if (first !== undefined && command !== undefined) {
    const where = `\`${forSlackCode(first.clusterName)}\` (${forSlack(first.region)}`;
    const step = `Fix ${where}), starting with: \`${forSlackCode(command)}\``;
    steps.push(step.length <= SLACK_LIMITS.nextStep ? step : `Fix ${where}): the commands are in the full report`);
  }
  if (input.errors.length > 0) steps.push(`Look at the ${plural(input.errors.length, 'scan error')}: some clusters were not checked`);
  steps.push(`Full report: ${input.reportLocation}`);
  return steps.slice(0, SLACK_LIMITS.nextSteps).map((s) => cutText(s, SLACK_LIMITS.nextStep));
}

function keywords(input: NotificationInput, view: NotificationView): string[] {
  const severities = [...new Set(view.open.map((f) => f.severity))];
  return ['eks', 'vpc-cni', ...severities, ...(input.errors.length > 0 ? ['errors'] : [])];
}

/** `<url|Open the fleet report>` (Slack's link markup), or nothing when the URL could break it. */
function pageLink(link: NotificationInput['reportLink']): string | undefined {
  if (link === undefined || /[\s<>|]/.test(link.url)) return undefined;
  return link.kind === 'presigned'
    ? `:bar_chart: <${link.url}|Open the fleet report> (link valid until ${link.expiresAt?.slice(0, 10) ?? 'it expires'} at the latest)`
    : `:bar_chart: <${link.url}|Open the fleet report in the S3 console>`;
}
