import type { FleetPageData } from '../model.js';
import { count, el, plural } from './dom.js';
import { SEVERITIES, type Severity } from '../../../types.js';

/** A number a person reads first; `data-metric` names it for the page's tests. */
function metric(name: string, label: string, value: number, note?: string): HTMLElement {
  return el(
    'div',
    { class: 'metric' },
    el('dt', {}, label),
    el('dd', {}, el('span', { class: 'metric-value', 'data-metric': name }, count(value)), note ? el('span', { class: 'metric-note' }, note) : null),
  );
}

/** A severity in words on its colour (the page's CSS has a class per severity). */
export function severityChip(severity: Severity, text: string = severity): HTMLElement {
  return el('span', { class: `chip sev-${SEVERITIES.includes(severity) ? severity : 'informational'}` }, text);
}

/** Headline: clusters audited, coverage, open findings by severity, NEW and RESOLVED. */
export function renderHeadline(data: FleetPageData): HTMLElement {
  const h = data.headline;
  const open = data.severities.reduce((sum, s) => sum + h.open[s], 0);
  const started = new Date(data.run.startedAt);
  const accounts = [
    `${count(h.accounts.scanned)} of ${count(h.accounts.listed)} accounts scanned`,
    h.accounts.failed ? `${count(h.accounts.failed)} failed` : '',
    h.accounts.excluded ? `${count(h.accounts.excluded)} excluded` : '',
    h.accounts.notReached ? `${count(h.accounts.notReached)} not reached` : '',
  ].filter(Boolean);
  return el(
    'header',
    { id: 'headline' },
    el('h1', {}, 'EKS fleet report: vpc-cni'),
    el(
      'p',
      { class: 'run' },
      `Run `,
      el('span', { class: 'name' }, data.run.runId),
      `, started `,
      el('time', { datetime: data.run.startedAt }, started.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC'),
      ` by ${data.run.tool}.`,
    ),
    data.run.baselineNote ? el('p', { class: 'warning' }, data.run.baselineNote) : null,
    el(
      'dl',
      { class: 'metrics' },
      metric('clusters', 'Clusters audited', h.clusters, `${count(h.managedAddon)} managed add-on, ${count(h.selfManaged)} self-managed`),
      metric('open', 'Open findings', open),
      metric('new', 'New since the last run', h.new),
      metric('resolved', 'Resolved since the last run', h.resolved),
      metric('not-rechecked', 'Not re-checked', h.notRechecked, 'believed open, carried over'),
      h.suppressionsExpired ? metric('suppressions-expired', 'Suppression expired', h.suppressionsExpired, 'open again: its suppression ran out') : null,
      metric('errors', 'Errors', h.errors),
    ),
    el(
      'ul',
      { class: 'severities', 'aria-label': 'Open findings by severity' },
      ...data.severities.map((s) => el('li', {}, severityChip(s, `${s} `), el('span', { 'data-metric': `open-${s}` }, count(h.open[s])))),
    ),
    el(
      'p',
      { class: 'coverage', 'data-metric-group': 'coverage' },
      `Coverage: ${accounts.join(', ')}; `,
      `${plural(h.regions.scanned, 'account-region')} scanned` + (h.regions.notEnabled ? ` (${count(h.regions.notEnabled)} not enabled)` : '') + (h.regions.failed ? ` (${count(h.regions.failed)} failed)` : '') + '; ',
      `${plural(h.clusters, 'cluster')} scanned` + (h.clustersFailed ? `, ${count(h.clustersFailed)} failed` : '') + '; ',
      `${plural(h.suppressed, 'finding')} suppressed.`,
    ),
  );
}
