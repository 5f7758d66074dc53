import * as Plot from '@observablehq/plot';
import type { FleetPageData, VersionBar } from '../model.js';
import { count, el, plural, section } from './dom.js';
import { rotatedLabelRoom, shorten } from './labels.js';
import { INSTALL_COLOR, SEVERITY_COLOR } from './theme.js';

/** The width of the page's column (main's padding left out), within what a chart reads well at. */
export function chartWidth(): number {
  const column = (document.getElementById('app')?.clientWidth ?? document.documentElement.clientWidth) - 64;
  return Math.max(560, Math.min(1156, column));
}

/** Left margin that fits the risk lanes' labels, shared by both charts so their versions line up. */
function labelMargin(labels: readonly string[]): number {
  const longest = labels.reduce((n, l) => Math.max(n, l.length), 0);
  return Math.min(300, Math.max(60, Math.round(longest * 6.2) + 12));
}

/** The rotation of the version labels under the charts, in degrees. */
const TICK_ROTATE = -35;
/** Longest version label drawn whole; longer ones are cut (their bars' tooltips hold them whole). */
const TICK_CHARS = 24;

const barName = (bar: VersionBar) => (bar.unknown ? 'vpc-cni version unknown' : bar.version);

/**
 * Clusters per vpc-cni version (managed and self-managed stacked), each known risk's affected
 * range as a lane under the same versions, and the newest version EKS offers per Kubernetes
 * version. Every chart has its numbers as a table too, for screen readers and print.
 */
export function renderVersions(data: FleetPageData): HTMLElement {
  if (data.versions.length === 0) return section('versions', 'Version distribution', el('p', {}, 'No cluster running vpc-cni was read in this run.'));
  const domain = data.versions.map((v) => v.version);
  const risks = data.risks.map((r) => ({ ...r, rule: data.rules[r.rule]! }));
  const width = chartWidth();
  // Rotated version labels hang below and left of their ticks: the margins make room for the longest.
  const tickFormat = (version: string) => shorten(version, TICK_CHARS);
  const room = rotatedLabelRoom(domain.map(tickFormat), TICK_ROTATE);
  const laneMargin = labelMargin(risks.map((r) => shorten(r.rule.id, 46)));
  const band = (width - laneMargin - 20) / domain.length;
  const marginLeft = Math.max(laneMargin, Math.ceil(room.left - band / 2));
  const bars = data.versions.flatMap((v) => [
    { version: v.version, name: barName(v), install: 'managed', clusters: v.managed },
    { version: v.version, name: barName(v), install: 'self-managed', clusters: v.selfManaged },
  ]).filter((d) => d.clusters > 0);

  const distribution = Plot.plot({
    width,
    height: 260,
    marginLeft,
    marginRight: 20,
    marginBottom: risks.length ? 24 : room.bottom,
    ariaLabel: 'Clusters per vpc-cni version',
    ariaDescription: `${plural(data.versions.length, 'version')} in use; bars stack managed add-on and self-managed clusters`,
    x: { domain, label: null, tickRotate: risks.length ? 0 : TICK_ROTATE, tickFormat, axis: risks.length ? null : 'bottom' },
    y: { label: 'clusters', grid: true },
    color: { domain: ['managed', 'self-managed'], range: [INSTALL_COLOR.managed, INSTALL_COLOR['self-managed']], legend: true },
    marks: [
      Plot.barY(bars, {
        x: 'version',
        y: 'clusters',
        fill: 'install',
        title: (d: (typeof bars)[number]) => `${d.name}: ${plural(d.clusters, 'cluster')} ${d.install}`,
        ariaLabel: (d: (typeof bars)[number]) => `${d.version}: ${plural(d.clusters, 'cluster')} ${d.install}`,
      }),
      Plot.ruleY([0]),
    ],
  });
  distribution.setAttribute('data-chart', 'versions');

  const lanes = risks.length
    ? Plot.plot({
        width,
        height: 16 + room.bottom + risks.length * 22,
        marginLeft,
        marginRight: 20,
        marginBottom: room.bottom,
        ariaLabel: 'Known risks by vpc-cni version',
        ariaDescription: 'each lane marks the versions on which a cluster has the risk\'s finding in this run',
        // The axis names itself in the lead sentence: a label here would sit on the rotated versions.
        x: { domain, label: null, tickRotate: TICK_ROTATE, tickFormat },
        y: { domain: risks.map((r) => shorten(r.rule.id, 46)), label: null },
        color: { domain: Object.keys(SEVERITY_COLOR), range: Object.values(SEVERITY_COLOR) },
        marks: risks.map((r) =>
          Plot.cell(
            r.versions.map((version) => ({ version, rule: shorten(r.rule.id, 46), severity: r.rule.severity, title: r.rule.title, affected: r.rule.affected })),
            {
              x: 'version',
              y: 'rule',
              fill: 'severity',
              inset: 1,
              title: (d: { version: string; title: string; affected?: string; severity: string }) => `${d.title}\n${d.severity}; affected ${d.affected ?? ''}; a cluster on ${d.version} has this finding`,
              ariaLabel: (d: { version: string; rule: string }) => `${d.rule} affects ${d.version}`,
            },
          ),
        ),
      })
    : null;
  lanes?.setAttribute('data-chart', 'risks');

  return section(
    'versions',
    'Version distribution',
    el(
      'p',
      { class: 'lead' },
      `Clusters per vpc-cni version, oldest first${data.versions.some((v) => v.unknown) ? ', then the clusters whose version could not be read ("unknown")' : ''}. ` +
        (risks.length
          ? 'Under the bars, one lane per known risk marks the versions on which a cluster has its finding in this run (the rule\'s version, Kubernetes and configuration conditions all matched).'
          : 'No cluster has a finding of a known version risk in this run.'),
    ),
    el('figure', { class: 'chart' }, distribution, lanes),
    el(
      'details',
      { class: 'as-table' },
      el('summary', {}, 'Versions as a table'),
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'vpc-cni version'), el('th', { scope: 'col' }, 'Managed add-on'), el('th', { scope: 'col' }, 'Self-managed'), el('th', { scope: 'col' }, 'Known risks'))),
        el(
          'tbody',
          {},
          ...data.versions.map((v) =>
            el(
              'tr',
              {},
              el('th', { scope: 'row' }, v.unknown ? el('em', {}, 'unknown') : v.version),
              el('td', {}, count(v.managed)),
              el('td', {}, count(v.selfManaged)),
              el('td', {}, risks.filter((r) => r.versions.includes(v.version)).map((r) => r.rule.id).join(', ') || 'none'),
            ),
          ),
        ),
      ),
    ),
    renderOffered(data),
  );
}

function renderOffered(data: FleetPageData): HTMLElement | null {
  if (data.offered.length === 0) return el('p', {}, 'The add-on catalog (DescribeAddonVersions) was not read: the newest version EKS offers is unknown.');
  return el(
    'table',
    { class: 'offered' },
    el(
      'caption',
      {},
      'The newest vpc-cni version EKS offers, per Kubernetes version' +
        (data.offered.some((o) => o.newest === null) ? '; "EKS offers none": no vpc-cni build for that Kubernetes version, its clusters\' plans upgrade Kubernetes first' : ''),
    ),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Kubernetes'), el('th', { scope: 'col' }, 'Newest offered'), el('th', { scope: 'col' }, 'Clusters'), el('th', { scope: 'col' }, 'On the newest'))),
    el(
      'tbody',
      {},
      ...data.offered.map((o) =>
        el(
          'tr',
          { 'data-kubernetes': o.kubernetes },
          el('th', { scope: 'row' }, o.kubernetes),
          el('td', {}, o.newest === null ? el('strong', {}, 'EKS offers none') : el('code', {}, o.newest)),
          el('td', {}, count(o.clusters)),
          el('td', {}, o.newest === null ? '-' : count(o.onNewest)),
        ),
      ),
    ),
  );
}
