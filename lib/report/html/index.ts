import type { StoredRunReport } from '../../deliver/history/delta.js';
import type { StreamedBody } from '../../deliver/history/store.js';
import { shapeFleetPage, type ShapeOptions } from './data.js';
import { DEFAULT_TREND_RUNS, type FleetPageData } from './model.js';
import { fleetPageBody as pageBody, renderFleetPage } from './page.js';
import { TrendBuilder, trendRunOf, type TrendRun, type TrendSource } from './trend.js';

export { DEFAULT_TREND_RUNS } from './model.js';

export interface FleetPageOptions {
  /** The rules the run evaluated (their affected ranges go over the version chart). */
  rules?: ShapeOptions['rules'];
  /**
   * Saved runs, oldest first (PointerHistoryStore.recent): undefined stands for one that could
   * not be read. The report itself, and runs that started after it, are left out.
   */
  history?: AsyncIterable<TrendRun | TrendSource | undefined> | Iterable<TrendRun | TrendSource | undefined>;
  /** Runs in the trend, this one included (default 30). */
  trendRuns?: number;
}

export type { TrendSource } from './trend.js';

/** The page's data: the report, and the trend of the runs before it. */
export async function fleetPageData(report: StoredRunReport, options: FleetPageOptions = {}): Promise<FleetPageData> {
  const window = Math.max(1, options.trendRuns ?? DEFAULT_TREND_RUNS);
  const started = Date.parse(report.startedAt);
  // Only what the trend needs is kept of each run: a large fleet's 30 reports are never held at once.
  const earlier: (TrendRun | undefined)[] = [];
  let problem: string | undefined;
  try {
    for await (const run of options.history ?? []) {
      if (run !== undefined && (run.runId === report.runId || Date.parse(run.startedAt) > started)) continue;
      earlier.push(run && trendRunOf(run));
      if (earlier.length > window - 1) earlier.shift();
    }
  } catch (error) {
    // A page without its trend still shows the run: the page says why the trend is short.
    problem = `The run history could not be read (${error instanceof Error ? error.message : String(error)}): the trend shows ${earlier.length ? 'only the runs read before that' : 'this run only'}.`;
  }
  const trend = new TrendBuilder();
  for (const run of earlier) {
    if (run === undefined) trend.skip();
    else trend.add(run);
  }
  trend.add(report);
  const result = { ...trend.result(window), ...(problem ? { problem } : {}) };
  return shapeFleetPage(report, { ...(options.rules ? { rules: options.rules } : {}), trend: result });
}

/** The fleet page of one run, as one self-contained HTML file. */
export async function fleetPage(report: StoredRunReport, options: FleetPageOptions = {}): Promise<string> {
  return renderFleetPage(await fleetPageData(report, options));
}

/** The fleet page of one run as a StreamedBody (what the run writes: never the page as one string). */
export async function fleetPageBody(report: StoredRunReport, options: FleetPageOptions = {}): Promise<StreamedBody> {
  return pageBody(await fleetPageData(report, options));
}
