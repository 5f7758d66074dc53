import type { FleetPageData } from '../model.js';
import { PAGE_DATA_VERSION } from '../model.js';
import { el, replace } from './dom.js';
import { renderClusters } from './clusters.js';
import { renderHeadline } from './headline.js';
import { renderHeatmap } from './heatmap.js';
import { renderProblems, renderTrend } from './trend.js';
import { renderVersions } from './versions.js';

/** The page's data, embedded as JSON (page.ts): read as text, never as markup. */
function readData(): FleetPageData {
  const holder = document.getElementById('fleet-data');
  const data = JSON.parse(holder?.textContent ?? 'null') as FleetPageData | null;
  if (data?.version !== PAGE_DATA_VERSION) throw new Error(`this page holds data of version ${String(data?.version)}; it reads version ${PAGE_DATA_VERSION}`);
  return data;
}

function render(): void {
  const app = document.getElementById('app')!;
  try {
    const data = readData();
    document.title = `EKS fleet report ${data.run.startedAt.slice(0, 10)}`;
    const clusters = renderClusters(data);
    const nav = el(
      'nav',
      { class: 'toc', 'aria-label': 'Sections' },
      ...[
        ['versions', 'Versions'],
        ['heatmap', 'Risk by account'],
        ['trend', 'Trend'],
        ['clusters', 'Every cluster'],
        ['problems', 'Coverage and errors'],
      ].map(([id, label]) => el('a', { href: `#${id}` }, label)),
    );
    replace(
      app,
      renderHeadline(data),
      nav,
      renderVersions(data),
      renderHeatmap(data, { showInTable: (account, rule) => clusters.narrow({ account: String(account), rule: String(rule) }) }),
      renderTrend(data),
      clusters.element,
      renderProblems(data),
    );
  } catch (error) {
    replace(app, el('p', { class: 'warning', role: 'alert' }, `This report could not be drawn: ${(error as Error).message}`));
    throw error;
  }
}

render();
