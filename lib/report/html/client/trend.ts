import * as Plot from '@observablehq/plot';
import type { FleetPageData } from '../model.js';
import { count, el, plural, section, type Child } from './dom.js';
import { rotatedLabelRoom, runLabels } from './labels.js';
import { SEVERITY_COLOR } from './theme.js';
import { chartWidth } from './versions.js';

/** Open findings by severity over the runs the history kept, and how long findings stay open. */
export function renderTrend(data: FleetPageData): HTMLElement {
  const { trend } = data;
  const points = trend.points;
  // Each run its own point and its own label, though two runs start in the same minute or second.
  const labels = runLabels(points.map((p) => p.startedAt));
  const series = points.flatMap((p, i) => data.severities.map((severity) => ({ at: new Date(p.startedAt), run: labels[i]!, runId: p.runId, severity, open: p.open[severity] })));
  const shown = data.severities.filter((s) => points.some((p) => p.open[s] > 0));
  const mean =
    trend.meanDaysOpen === null
      ? `No finding was both found and resolved within ${plural(points.length, 'run')}: the mean time open is not known yet.`
      : `A finding stays open ${duration(trend.meanDaysOpen)} on average, from its first NEW to RESOLVED (fixed or cluster deleted), over ${plural(trend.stays, 'finding')} found and resolved within these runs.`;
  // Nightly runs read on a time axis; runs close together (a demo, runs by hand) one by one.
  const spanDays = points.length > 1 ? (Date.parse(points.at(-1)!.startedAt) - Date.parse(points[0]!.startedAt)) / 86_400_000 : 0;
  const byTime = spanDays >= 2;
  const rotate = points.length > 8 ? -30 : 0;
  const room = rotatedLabelRoom(labels, rotate);

  const chart =
    points.length > 0
      ? Plot.plot({
          width: chartWidth(),
          height: 240 + (byTime ? 0 : room.bottom - 30),
          marginBottom: byTime ? 30 : Math.max(30, room.bottom),
          marginLeft: byTime || rotate === 0 ? 40 : Math.max(40, room.left - 20),
          ariaLabel: 'Open findings by severity, per run',
          ariaDescription: `${plural(points.length, 'run')}, oldest first`,
          x: byTime ? { type: 'utc', label: 'run started (UTC)' } : { type: 'point', domain: labels, label: 'run started (UTC)', tickRotate: rotate },
          y: { label: 'open findings', grid: true, zero: true },
          color: { domain: shown.length ? shown : data.severities, range: (shown.length ? shown : data.severities).map((s) => SEVERITY_COLOR[s]), legend: true },
          marks: [
            Plot.lineY(
              series.filter((d) => shown.includes(d.severity)),
              { x: byTime ? 'at' : 'run', y: 'open', stroke: 'severity', z: 'severity', strokeWidth: 2, marker: 'circle', title: (d: (typeof series)[number]) => `${d.runId}: ${d.open} ${d.severity}` },
            ),
            Plot.ruleY([0]),
          ],
        })
      : null;
  chart?.setAttribute('data-chart', 'trend');

  return section(
    'trend',
    'Trend',
    el(
      'p',
      { class: 'lead' },
      `The last ${plural(points.length, 'run')} of the history (up to ${count(trend.window)} asked for)` +
        (trend.unreadable ? `; ${plural(trend.unreadable, 'saved report')} could not be read and ${trend.unreadable === 1 ? 'is' : 'are'} left out.` : '.'),
    ),
    trend.problem ? el('p', { class: 'warning' }, trend.problem) : null,
    el('p', { class: 'stat', 'data-metric': 'mean-days-open' }, mean),
    el('figure', { class: 'chart' }, chart),
    el(
      'details',
      { class: 'as-table' },
      el('summary', {}, 'Trend as a table'),
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Run'), ...data.severities.map((s) => el('th', { scope: 'col' }, s)), el('th', { scope: 'col' }, 'New'), el('th', { scope: 'col' }, 'Resolved'))),
        el(
          'tbody',
          {},
          ...points.map((p) =>
            el('tr', {}, el('th', { scope: 'row' }, el('time', { datetime: p.startedAt }, p.startedAt)), ...data.severities.map((s) => el('td', {}, count(p.open[s]))), el('td', {}, count(p.new)), el('td', {}, count(p.resolved))),
          ),
        ),
      ),
    ),
  );
}

/** `2.4 days`, `5.0 hours`, `12 minutes`: a mean stay in the unit a person reads it in. */
function duration(days: number): string {
  if (days >= 1) return `${days.toFixed(1)} days`;
  if (days * 24 >= 1) return `${(days * 24).toFixed(1)} hours`;
  const minutes = Math.round(days * 1440);
  return minutes < 1 ? 'less than a minute' : plural(minutes, 'minute');
}

type Place = { accountId: string; region?: string; cluster?: string };

/** One table of places and what happened there; a sentence when there is none. */
function placeTable<T extends Place>(name: string, items: readonly T[], none: string, caption: string, columns: string[], cells: (item: T) => Child[]): HTMLElement {
  if (items.length === 0) return el('p', {}, none);
  return el(
    'table',
    { class: 'problems', 'data-table': name },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...['Account', 'Region', 'Cluster', ...columns].map((n) => el('th', { scope: 'col' }, n)))),
    el('tbody', {}, ...items.map((p) => el('tr', {}, el('td', {}, p.accountId), el('td', {}, p.region ?? '-'), el('td', {}, p.cluster ?? '-'), ...cells(p).map((c) => el('td', {}, c))))),
  );
}

/** Coverage notes and errors, each naming its account and Region. */
export function renderProblems(data: FleetPageData): HTMLElement {
  return section(
    'problems',
    'Coverage notes and errors',
    placeTable('errors', data.errors, 'No error: every account, Region and cluster the run reached was read.', `${plural(data.errors.length, 'error')}: the rest of the run went on`, ['Stage', 'Code', 'What happened'], (e) => [
      e.stage,
      el('code', {}, e.code),
      e.message,
    ]),
    placeTable('notes', data.notes, 'No coverage note.', `${plural(data.notes.length, 'coverage note')}: what the run could not look at`, ['Kind', 'Note'], (n) => [n.kind, n.message]),
  );
}
