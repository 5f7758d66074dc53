import * as Plot from '@observablehq/plot';
import type { FleetPageData } from '../model.js';
import { count, el, plural, section } from './dom.js';
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

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Clusters per vpc-cni version (managed and self-managed stacked), each known risk's affected
 * range as a lane under the same versions, and the newest version EKS offers per Kubernetes
 * version. Every chart has its numbers as a table too, for screen readers and print.
 */
export function renderVersions(data: FleetPageData): HTMLElement {
  if (data.versions.length === 0) return section('versions', 'Version distribution', el('p', {}, 'No cluster with a known vpc-cni version was read in this run.'));
  const domain = data.versions.map((v) => v.version);
  const risks = data.risks.map((r) => ({ ...r, rule: data.rules[r.rule]! }));
  const marginLeft = labelMargin(risks.map((r) => shorten(r.rule.id, 46)));
  const width = chartWidth();
  const bars = data.versions.flatMap((v) => [
    { version: v.version, install: 'managed', clusters: v.managed },
    { version: v.version, install: 'self-managed', clusters: v.selfManaged },
  ]).filter((d) => d.clusters > 0);

  const distribution = Plot.plot({
    width,
    height: 260,
    marginLeft,
    marginBottom: risks.length ? 24 : 64,
    ariaLabel: 'Clusters per vpc-cni version',
    ariaDescription: `${plural(data.versions.length, 'version')} in use; bars stack managed add-on and self-managed clusters`,
    x: { domain, label: null, tickRotate: risks.length ? 0 : -35, axis: risks.length ? null : 'bottom' },
    y: { label: 'clusters', grid: true },
    color: { domain: ['managed', 'self-managed'], range: [INSTALL_COLOR.managed, INSTALL_COLOR['self-managed']], legend: true },
    marks: [
      Plot.barY(bars, {
        x: 'version',
        y: 'clusters',
        fill: 'install',
        title: (d: (typeof bars)[number]) => `${d.version}: ${plural(d.clusters, 'cluster')} ${d.install}`,
        ariaLabel: (d: (typeof bars)[number]) => `${d.version}: ${plural(d.clusters, 'cluster')} ${d.install}`,
      }),
      Plot.ruleY([0]),
    ],
  });
  distribution.setAttribute('data-chart', 'versions');

  const lanes = risks.length
    ? Plot.plot({
        width,
        height: 40 + risks.length * 22,
        marginLeft,
        marginBottom: 64,
        ariaLabel: 'Known risks by vpc-cni version',
        ariaDescription: 'each lane marks the versions in use that a known risk affects',
        // The axis names itself in the lead sentence: a label here would sit on the rotated versions.
        x: { domain, label: null, tickRotate: -35 },
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
              title: (d: { version: string; title: string; affected?: string; severity: string }) => `${d.title}\n${d.severity}; affected ${d.affected ?? ''}; ${d.version} is in range`,
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
    el('p', { class: 'lead' }, `Clusters per vpc-cni version, oldest first. ${risks.length ? 'Under the bars, one lane per known risk marks the versions it affects.' : 'No version in use is in a known risk\'s affected range.'}`),
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
              el('th', { scope: 'row' }, v.version),
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
    el('caption', {}, 'The newest vpc-cni version EKS offers, per Kubernetes version'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Kubernetes'), el('th', { scope: 'col' }, 'Newest offered'), el('th', { scope: 'col' }, 'Clusters'), el('th', { scope: 'col' }, 'On the newest'))),
    el(
      'tbody',
      {},
      ...data.offered.map((o) => el('tr', {}, el('th', { scope: 'row' }, o.kubernetes), el('td', {}, el('code', {}, o.newest)), el('td', {}, count(o.clusters)), el('td', {}, count(o.onNewest)))),
    ),
  );
}
