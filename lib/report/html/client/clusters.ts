import { PAGE_SIZE, type FleetPageData, type PageCluster } from '../model.js';
import { copyText, count, el, plural, replace, section } from './dom.js';
import { severityChip } from './headline.js';
import { referenceList } from './links.js';
import { textOf } from '../texts.js';


type FilterKey = 'text' | 'account' | 'ou' | 'region' | 'kubernetes' | 'cni' | 'install' | 'findings' | 'rule';
export type Filter = Record<FilterKey, string>;
type SortKey = 'account' | 'ou' | 'region' | 'name' | 'kubernetes' | 'cni' | 'install' | 'findings';

const EMPTY: Filter = { text: '', account: '', ou: '', region: '', kubernetes: '', cni: '', install: '', findings: '', rule: '' };

/** The vpc-cni filter's value for clusters whose version is unknown: no add-on version or image tag holds a parenthesis. */
const UNKNOWN_CNI = '(unknown)';

/** Printed, the table shows every cluster that matches the filters up to this many; beyond, the page on screen and a note. */
export const PRINT_ROWS = 1000;

export interface ClusterTable {
  element: HTMLElement;
  /** Sets some filters (the others cleared), shows the first page and brings the table into view. */
  narrow(filter: Partial<Filter>): void;
}

function kubernetesRank(version: string): number {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major * 1000 + minor;
}

/**
 * Every cluster, filterable by account, OU, Region, Kubernetes and vpc-cni version, install
 * method and findings, sortable by each column, paged; each row opens its findings and its
 * upgrade plan with the commands to copy.
 */
export function renderClusters(data: FleetPageData): ClusterTable {
  const versionRank = new Map(data.versions.map((v, i) => [v.version, i]));
  const worst = (c: PageCluster) => c.findings.filter((f) => f.carried === undefined).reduce((w, f) => Math.min(w, data.severities.indexOf(data.rules[f.rule]!.severity)), data.severities.length);
  const open = (c: PageCluster) => c.findings.filter((f) => f.carried === undefined).length;
  const sortValue: Record<SortKey, (c: PageCluster) => string | number> = {
    account: (c) => data.accounts[c.account]!.name.toLowerCase(),
    ou: (c) => data.accounts[c.account]!.ou,
    region: (c) => c.region,
    name: (c) => c.name.toLowerCase(),
    kubernetes: (c) => kubernetesRank(c.kubernetes),
    cni: (c) => (c.cni === null ? -1 : (versionRank.get(c.cni) ?? -1)),
    install: (c) => c.install,
    // Worst first when ascending: fewer severity rank is worse, then more findings.
    findings: (c) => worst(c) * 10_000 - open(c),
  };

  const filter: Filter = { ...EMPTY };
  let sort: { key: SortKey; ascending: boolean } = { key: 'findings', ascending: true };
  let page = 0;
  const expanded = new Set<number>();

  const matches = (c: PageCluster): boolean => {
    const account = data.accounts[c.account]!;
    if (filter.text) {
      const needle = filter.text.toLowerCase();
      if (![c.name, account.name, account.id, c.region].some((v) => v.toLowerCase().includes(needle))) return false;
    }
    if (filter.account && String(c.account) !== filter.account) return false;
    if (filter.ou && account.ou !== filter.ou) return false;
    if (filter.region && c.region !== filter.region) return false;
    if (filter.kubernetes && c.kubernetes !== filter.kubernetes) return false;
    if (filter.cni && (filter.cni === UNKNOWN_CNI ? c.cni !== null || c.install === 'other CNI' : c.cni !== filter.cni)) return false;
    if (filter.install && c.install !== filter.install) return false;
    if (filter.rule && !c.findings.some((f) => f.carried === undefined && String(f.rule) === filter.rule)) return false;
    if (filter.findings === 'any' && open(c) === 0) return false;
    if (filter.findings === 'none' && open(c) > 0) return false;
    if (filter.findings === 'new' && !c.findings.some((f) => f.new)) return false;
    const atLeast = data.severities.indexOf(filter.findings as never);
    if (atLeast >= 0 && worst(c) > atLeast) return false;
    return true;
  };

  // Controls: one select per column, values from the data, option text set as text.
  const distinct = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const select = (key: FilterKey, label: string, options: [string, string][]) => {
    const control = el('select', { id: `filter-${key}`, 'data-filter': key, onchange: (e) => update(key, (e.target as HTMLSelectElement).value) }, el('option', { value: '' }, 'all'), ...options.map(([value, text]) => el('option', { value }, text)));
    return { control, wrap: el('label', { class: 'filter' }, el('span', {}, label), control) };
  };
  const accountOptions = data.accounts.map((a, i) => [String(i), `${a.name} (${a.id})`] as [string, string]).sort((a, b) => a[1].localeCompare(b[1]));
  const controls = {
    account: select('account', 'Account', accountOptions),
    ou: select('ou', 'OU', distinct(data.accounts.map((a) => a.ou)).map((v) => [v, v])),
    region: select('region', 'Region', distinct(data.clusters.map((c) => c.region)).map((v) => [v, v])),
    kubernetes: select('kubernetes', 'Kubernetes', distinct(data.clusters.map((c) => c.kubernetes)).map((v) => [v, v])),
    cni: select('cni', 'vpc-cni', data.versions.map((v) => (v.unknown ? [UNKNOWN_CNI, 'unknown'] : [v.version, v.version]))),
    install: select('install', 'Installed as', distinct(data.clusters.map((c) => c.install)).map((v) => [v, v])),
    findings: select('findings', 'Findings', [['any', 'with findings'], ['none', 'without findings'], ['new', 'with a NEW finding'], ...data.severities.map((s) => [s, `${s} or worse`] as [string, string])]),
    rule: select('rule', 'Rule', data.heatmapRules.map((r) => [String(r), data.rules[r]!.id])),
  };
  const search = el('input', { type: 'search', id: 'filter-text', 'data-filter': 'text', placeholder: 'cluster, account or Region', oninput: (e) => update('text', (e.target as HTMLInputElement).value) });
  const summary = el('p', { class: 'table-summary', 'aria-live': 'polite', 'data-metric': 'clusters-shown' });
  const body = el('tbody', {});
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages of clusters' });
  const printNote = el('p', { class: 'print-only', 'data-print-note': '' });
  let printing = false;

  const columns: [SortKey, string][] = [
    ['name', 'Cluster'],
    ['account', 'Account'],
    ['ou', 'OU'],
    ['region', 'Region'],
    ['kubernetes', 'Kubernetes'],
    ['cni', 'vpc-cni'],
    ['install', 'Installed as'],
    ['findings', 'Findings'],
  ];
  const headers = columns.map(([key, label]) =>
    el('th', { scope: 'col', 'data-sort': key }, el('button', { type: 'button', onclick: () => sortBy(key) }, label)),
  );
  const table = el('table', { class: 'clusters', 'data-table': 'clusters' }, el('thead', {}, el('tr', {}, ...headers, el('th', { scope: 'col', class: 'interactive' }, 'Plan'))), body);

  function update(key: FilterKey, value: string) {
    filter[key] = value;
    page = 0;
    draw();
  }

  function sortBy(key: SortKey) {
    sort = { key, ascending: sort.key === key ? !sort.ascending : true };
    draw();
  }

  function draw() {
    const rows = data.clusters.map((c, i) => i).filter((i) => matches(data.clusters[i]!));
    const value = sortValue[sort.key];
    rows.sort((a, b) => {
      const x = value(data.clusters[a]!);
      const y = value(data.clusters[b]!);
      const order = x < y ? -1 : x > y ? 1 : data.clusters[a]!.name.localeCompare(data.clusters[b]!.name);
      return sort.ascending ? order : -order;
    });
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const printAll = printing && rows.length <= PRINT_ROWS;
    const shown = printAll ? rows : rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    replace(
      printNote,
      printAll || pages === 1
        ? `Printed: every cluster that matches the filters (${plural(rows.length, 'cluster')}).`
        : `Printed: page ${count(page + 1)} of ${count(pages)} only (${plural(shown.length, 'cluster')} of ${count(rows.length)}): open the file to see every cluster, or use the CSV (--format csv) for every finding.`,
    );
    for (const th of headers) {
      const key = th.getAttribute('data-sort');
      th.setAttribute('aria-sort', key === sort.key ? (sort.ascending ? 'ascending' : 'descending') : 'none');
    }
    replace(summary, rows.length === data.clusters.length ? `${plural(rows.length, 'cluster')}` : `${count(rows.length)} of ${plural(data.clusters.length, 'cluster')} match the filters`);
    replace(body, ...shown.flatMap((i) => rowOf(i)));
    replace(
      pager,
      el('button', { type: 'button', disabled: page === 0, onclick: () => ((page -= 1), draw()) }, 'Previous'),
      el('span', {}, ` Page ${count(page + 1)} of ${count(pages)} `),
      el('button', { type: 'button', disabled: page >= pages - 1, onclick: () => ((page += 1), draw()) }, 'Next'),
    );
  }

  function rowOf(index: number): HTMLElement[] {
    const c = data.clusters[index]!;
    const account = data.accounts[c.account]!;
    const openFindings = c.findings.filter((f) => f.carried === undefined);
    const worstRank = worst(c);
    const isOpen = expanded.has(index);
    const detailId = `cluster-${index}`;
    const row = el(
      'tr',
      { 'data-cluster': index },
      el('th', { scope: 'row', class: 'name' }, el('code', { title: c.name }, c.name)),
      el('td', { class: 'name', title: `${account.name} (${account.id})` }, account.name, el('span', { class: 'muted' }, ` ${account.id}`)),
      el('td', { class: 'name', title: account.ou }, account.ou),
      el('td', {}, c.region),
      el('td', {}, c.kubernetes),
      el('td', {}, c.cni ?? 'unknown'),
      el('td', {}, c.install),
      el(
        'td',
        {},
        openFindings.length === 0 ? 'none' : severityChip(data.severities[worstRank]!, `${count(openFindings.length)} (${data.severities[worstRank]})`),
        c.findings.some((f) => f.new) ? el('span', { class: 'badge' }, 'NEW') : null,
        c.findings.some((f) => f.suppressionExpired !== undefined) ? el('span', { class: 'badge expired' }, 'suppression expired') : null,
        c.findings.length > openFindings.length ? el('span', { class: 'muted' }, ` +${count(c.findings.length - openFindings.length)} not re-checked`) : null,
      ),
      el(
        'td',
        { class: 'interactive' },
        c.findings.length || c.plan
          ? el(
              'button',
              {
                type: 'button',
                'aria-expanded': String(isOpen),
                'aria-controls': detailId,
                onclick: () => {
                  if (expanded.has(index)) expanded.delete(index);
                  else expanded.add(index);
                  draw();
                },
              },
              isOpen ? 'Hide' : 'Show',
            )
          : null,
      ),
    );
    return isOpen ? [row, el('tr', { class: 'detail', id: detailId }, el('td', { colspan: columns.length + 1 }, detailOf(c)))] : [row];
  }

  function detailOf(c: PageCluster): HTMLElement {
    const text = (ref: number) => textOf(ref, data, c);
    const findings = el(
      'ul',
      { class: 'findings' },
      ...c.findings.map((f) => {
        const rule = data.rules[f.rule]!;
        return el(
          'li',
          {},
          severityChip(rule.severity),
          ' ',
          el('strong', {}, rule.title),
          el('span', { class: 'muted' }, ` [${rule.id}]`),
          f.new ? el('span', { class: 'badge' }, 'NEW') : null,
          f.suppressionExpired !== undefined ? el('span', { class: 'badge expired' }, `suppression expired on ${f.suppressionExpired}`) : null,
          f.carried !== undefined ? el('span', { class: 'badge muted' }, `not re-checked: ${text(f.carried)}`) : null,
          el('div', {}, text(f.why)),
          f.fix !== undefined ? el('div', { class: 'fix' }, el('strong', {}, 'Fix: '), text(f.fix)) : null,
          referenceList(rule.references ?? []),
        );
      }),
    );
    const plan = c.plan;
    if (!plan) return el('div', {}, findings);
    // An alternative ("Or") is a choice, not one more step to paste.
    const all = plan.steps.filter((s) => s.label !== 'Or').flatMap((s) => s.commands.map(text)).join('\n');
    return el(
      'div',
      {},
      findings,
      el('h3', {}, `Plan: ${text(plan.move)}`),
      ...plan.notes.map((n) => el('p', {}, text(n))),
      el(
        'ul',
        { class: 'steps' },
        ...plan.steps.map((step) => {
          const commands = step.commands.map(text).join('\n');
          return el(
            'li',
            {},
            el('p', {}, el('strong', {}, step.label), ' ', text(step.title)),
            commands ? el('div', { class: 'command' }, el('pre', {}, el('code', {}, commands)), copyButton(commands, 'Copy')) : null,
          );
        }),
      ),
      plan.steps.length > 1 ? copyButton(all, 'Copy every command') : null,
    );
  }

  draw();
  const element = section(
    'clusters',
    'Every cluster',
    el('div', { class: 'filters', role: 'search' }, el('label', { class: 'filter' }, el('span', {}, 'Search'), search), ...Object.values(controls).map((c) => c.wrap)),
    summary,
    printNote,
    el('div', { class: 'scroll-x' }, table),
    pager,
  );
  // Printing draws every matching row (up to PRINT_ROWS), then the screen's page again. Both the
  // print events and the print media query are listened to: a PDF printed by a headless browser
  // may switch the media without the events.
  const setPrinting = (on: boolean) => {
    if (printing === on) return;
    printing = on;
    draw();
  };
  window.addEventListener('beforeprint', () => setPrinting(true));
  window.addEventListener('afterprint', () => setPrinting(false));
  window.matchMedia('print').addEventListener('change', (e) => setPrinting(e.matches));
  return {
    element,
    narrow(next) {
      Object.assign(filter, EMPTY, next);
      search.value = filter.text;
      for (const [key, c] of Object.entries(controls)) c.control.value = filter[key as FilterKey];
      page = 0;
      draw();
      element.scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  };
}

function copyButton(text: string, label: string): HTMLElement {
  const button = el('button', {
    type: 'button',
    class: 'copy',
    onclick: async () => {
      const done = await copyText(text);
      button.textContent = done ? 'Copied' : 'Select and copy by hand';
      setTimeout(() => (button.textContent = label), 2000);
    },
  }, label);
  return button;
}
