import { writeFile } from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, readHistoryLocation } from '../config.js';
import type { StoredRunReport } from '../deliver/history/delta.js';
import { directoryHistoryBackend } from '../deliver/history/local-store.js';
import { s3HistoryBackend } from '../deliver/history/s3-store.js';
import { HistoryError, PointerHistoryStore, type HistoryBackend } from '../deliver/history/store.js';
import type { Rule } from '../evaluate/rule.js';
import { renderCsv } from '../report/csv.js';
import { DEFAULT_TREND_RUNS, fleetPage } from '../report/html/index.js';
import { loadRules, RuleValidationError } from '../rules/load.js';
import { asUsageError, EXIT, UsageError } from './errors.js';
import { checkOutputPath } from './output.js';
import { checkCompanions, checkEndpoint, checkHistoryBucket } from './preflight.js';

export const REPORT_FORMATS = ['html', 'csv', 'json'] as const;
export type StoredFormat = (typeof REPORT_FORMATS)[number];

export interface ReportFlags {
  historyDir?: string;
  historyBucket?: string;
  historyPrefix?: string;
  format: StoredFormat;
  out?: string;
  runs?: string;
  rules?: string[];
  region?: string;
  endpoint?: string;
}

export interface ReportIo {
  out: (s: string) => unknown;
  err: (s: string) => unknown;
}

/** `--runs`: how many runs the trend shows, 1 to 366. */
export function trendRunsOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TREND_RUNS;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 366) throw new UsageError(`--runs ${value}: give a whole number of runs from 1 to 366`);
  return Number(value);
}

/**
 * A saved run in a format read from the report alone: the fleet page (with the trend of the
 * `runs` last runs of `store`, when given), CSV, or the report's JSON.
 */
export async function renderStored(
  report: StoredRunReport,
  format: StoredFormat,
  context: { rules?: readonly Rule[]; store?: PointerHistoryStore; runs?: number } = {},
): Promise<string> {
  if (format === 'csv') return renderCsv(report);
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const runs = context.runs ?? DEFAULT_TREND_RUNS;
  return fleetPage(report, { ...(context.rules ? { rules: context.rules } : {}), ...(context.store ? { history: context.store.recentTrends(runs) } : {}), trendRuns: runs });
}

function backendOf(flags: ReportFlags, env: NodeJS.ProcessEnv): { backend: HistoryBackend; region?: string; destroy(): void } {
  if (Boolean(flags.historyDir) === Boolean(flags.historyBucket)) throw new UsageError('give the run history to read: --history-dir DIR or --history-bucket NAME (one of them)');
  if (flags.historyDir) return { backend: directoryHistoryBackend(flags.historyDir), destroy: () => undefined };
  let location: ReturnType<typeof readHistoryLocation>;
  try {
    location = readHistoryLocation({ HISTORY_BUCKET: flags.historyBucket, HISTORY_PREFIX: flags.historyPrefix });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(error.message.replace('HISTORY_BUCKET', '--history-bucket').replace('HISTORY_PREFIX', '--history-prefix').replace(/; expected .*$/, ''), { cause: error });
  }
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--history-bucket: give the bucket\'s Region with --region (or AWS_REGION)');
  const client = new S3Client({ region, ...(flags.endpoint ? { endpoint: flags.endpoint, forcePathStyle: true } : {}) });
  return { backend: s3HistoryBackend({ client, bucket: location.historyBucket!, prefix: location.historyPrefix }), region, destroy: () => client.destroy() };
}

/**
 * `fleet-audit report`: the latest saved run of a history (a directory, or the stack's bucket),
 * rendered again without scanning: the fleet page with its trend, CSV or JSON. Exit 0; 2 on bad
 * input (no history named, nothing saved there yet); 4 (EXIT.failed) when the latest report cannot be read.
 */
export async function runReport(flags: ReportFlags, io: ReportIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const runs = trendRunsOf(flags.runs);
  checkEndpoint(flags.endpoint);
  checkCompanions({ '--history-prefix': flags.historyPrefix }, { '--history-prefix': ['--history-bucket (the bucket the prefix is in)', flags.historyBucket] });
  if (flags.out) await checkOutputPath(flags.out);
  const rules = await asUsageError(() => loadRules(flags.rules ?? []), [RuleValidationError]);
  const { backend, region, destroy } = backendOf(flags, env);
  const problems: HistoryError[] = [];
  try {
    if (flags.historyBucket && region) await checkHistoryBucket(backend, flags.historyBucket, region, flags.endpoint);
    const store = new PointerHistoryStore(backend, { onError: (error) => problems.push(error) });
    const latest = await store.latest();
    if (latest === undefined) {
      if (problems.length === 0) throw new UsageError(`no run saved in ${backend.locate('')} yet (no latest.json): run fleet-audit scan with this history first`);
      io.err(`fleet-audit: the latest run cannot be read: ${problems.map((p) => p.message).join('; ')}\n`);
      return EXIT.failed;
    }
    const text = await renderStored(latest, flags.format, { rules, store, runs });
    for (const problem of problems) io.err(`warning: left out of the trend: ${problem.message}\n`);
    if (flags.out) await writeFile(flags.out, text);
    else io.out(text);
    return EXIT.ok;
  } finally {
    destroy();
  }
}
