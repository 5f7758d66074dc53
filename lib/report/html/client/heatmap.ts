import type { FleetPageData, HeatCell } from '../model.js';
import { count, el, plural, replace, section } from './dom.js';
import { referenceList } from './links.js';

export interface HeatmapActions {
  /** Narrows the cluster table to one account and one rule. */
  showInTable(account: number, rule: number): void;
}

/**
 * Risk × account: rows are the accounts with findings, grouped by OU; columns the rules with
 * findings, worst first; each cell the number of the account's clusters the rule affects, in the
 * rule's severity colour. A cell is a button: it lists those clusters under the table.
 *
 * An HTML table rather than a chart: its rows and headers are read by screen readers, its cells
 * are reached with the keyboard, and it prints as it shows.
 */
export function renderHeatmap(data: FleetPageData, actions: HeatmapActions): HTMLElement {
  if (data.heatmap.length === 0) return section('heatmap', 'Risk by account', el('p', {}, 'No open finding: no account carries a known risk.'));
  const cells = new Map(data.heatmap.map((c) => [`${c.account}/${c.rule}`, c]));
  const panel = el('div', { class: 'heat-panel', 'aria-live': 'polite' }, el('span', { class: 'hint' }, 'Choose a cell to list its clusters.'));

  const show = (cell: HeatCell) => {
    const account = data.accounts[cell.account]!;
    const rule = data.rules[cell.rule]!;
    replace(
      panel,
      el('h3', {}, `${rule.title}: ${plural(cell.clusters.length, 'cluster')} of ${account.name} (${account.id})`),
      el(
        'ul',
        { class: 'heat-clusters' },
        ...cell.clusters.map((i) => {
          const c = data.clusters[i]!;
          return el('li', {}, el('code', {}, c.name), ` ${c.region}, Kubernetes ${c.kubernetes}, vpc-cni ${c.cni ?? 'unknown'} (${c.install})`);
        }),
      ),
      referenceList(rule.references ?? []),
      el('button', { type: 'button', class: 'interactive', onclick: () => actions.showInTable(cell.account, cell.rule) }, 'Show these clusters in the table'),
    );
  };

  const byOu = new Map<string, number[]>();
  for (const a of data.heatmapAccounts) {
    const ou = data.accounts[a]!.ou;
    byOu.set(ou, [...(byOu.get(ou) ?? []), a]);
  }
  const columns = data.heatmapRules.map((r) => data.rules[r]!);
  const table = el(
    'table',
    { class: 'heatmap', 'data-heatmap': '' },
    el('caption', {}, `Clusters affected, per account and rule (${plural(data.heatmapAccounts.length, 'account')} with findings, ${plural(columns.length, 'rule')})`),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Account'),
        ...columns.map((rule) => el('th', { scope: 'col', class: 'rule-head', title: `${rule.id}: ${rule.title}` }, el('span', {}, rule.id))),
      ),
    ),
    ...[...byOu].map(([ou, rows]) =>
      el(
        'tbody',
        {},
        el('tr', { class: 'ou-row' }, el('th', { scope: 'rowgroup', colspan: columns.length + 1, class: 'name' }, `OU ${ou}`)),
        ...rows.map((a) => {
          const account = data.accounts[a]!;
          return el(
            'tr',
            { 'data-account': account.id },
            el('th', { scope: 'row', class: 'account name', title: `${account.name} (${account.id})` }, account.name, el('span', { class: 'muted' }, ` ${account.id}`)),
            ...data.heatmapRules.map((r) => {
              const cell = cells.get(`${a}/${r}`);
              if (!cell) return el('td', {});
              const rule = data.rules[r]!;
              return el(
                'td',
                {},
                el(
                  'button',
                  {
                    type: 'button',
                    class: `heat sev-${rule.severity}`,
                    'aria-label': `${plural(cell.clusters.length, 'cluster')} of ${account.name} affected by ${rule.id} (${rule.severity})`,
                    title: `${rule.title} (${rule.severity})`,
                    onclick: () => show(cell),
                  },
                  count(cell.clusters.length),
                ),
              );
            }),
          );
        }),
      ),
    ),
  );
  return section('heatmap', 'Risk by account', el('div', { class: 'scroll-x' }, table), panel);
}
