import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StoredRunReport } from '../../deliver/history/delta.js';
import { withSlash } from '../../deliver/history/s3-store.js';
import { PointerHistoryStore, runKey, type HistoryBackend, type HistoryError } from '../../deliver/history/store.js';
import type { ReportLink } from '../../deliver/notify/input.js';
import type { RunReport } from '../../types.js';
import { DEFAULT_TREND_RUNS, fleetPageBody, type FleetPageOptions } from './index.js';

/** SigV4's longest presigned URL: 7 days. */
export const PRESIGN_SECONDS = 7 * 24 * 3600;


/** The fleet page of each run, next to its report in the run history. */
export interface FleetPagePublisher {
  /** The link to this run's page (which `publish` writes): computed, nothing is read or written. */
  link(run: Pick<RunReport, 'runId' | 'startedAt'>): Promise<ReportLink>;
  /** Renders the page (the report and the trend of the history before it) and writes it; returns where. */
  publish(report: StoredRunReport): Promise<{ location: string }>;
}

/** `runs/YYYY/MM/DD/<runId>.html`: beside the run's `<runId>.json`, named as it is (a day's runs do not overwrite each other's page). */
export function pageKey(run: Pick<RunReport, 'runId' | 'startedAt'>): string {
  return runKey(run).replace(/\.json$/, '.html');
}

const CONSOLE_HOST: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The S3 console's page of an object; the `s3://` URI in partitions without a console we know. */
export function consoleUrl(location: { bucket: string; key: string; region: string; partition: string }): string {
  const host = CONSOLE_HOST[location.partition];
  if (host === undefined) return `s3://${location.bucket}/${location.key}`;
  const query = new URLSearchParams({ region: location.region, bucketType: 'general', prefix: location.key });
  return `https://${host}/s3/object/${encodeURIComponent(location.bucket)}?${query.toString()}`;
}

export interface S3FleetPageOptions extends Pick<FleetPageOptions, 'rules' | 'trendRuns'> {
  client: S3Client;
  bucket: string;
  prefix: string;
  region: string;
  partition: string;
  /** Where the history's reports are read from and the page is written (the same bucket and prefix). */
  backend: HistoryBackend;
  /** Presigned links (default); false: the S3 console link only. */
  presign: boolean;
  /** Told about each saved report the trend could not read. */
  onError?: (error: HistoryError) => void;
  now?: () => Date;
}

/**
 * The nightly run's page in the history bucket. The link is presigned with the function's own
 * credentials: it works as long as they do and as the function may read the object
 * (s3:GetObject on the prefix, kms:Decrypt on the bucket key). A Lambda's role credentials are
 * temporary, and a presigned URL stops working when the credentials that signed it expire, even
 * before its 7 days: the console link goes with it.
 */
export function s3FleetPage(options: S3FleetPageOptions): FleetPagePublisher {
  const clock = options.now ?? (() => new Date());
  const fullKey = (run: Pick<RunReport, 'runId' | 'startedAt'>) => `${withSlash(options.prefix)}${pageKey(run)}`;
  return {
    async link(run) {
      const key = fullKey(run);
      const console = consoleUrl({ bucket: options.bucket, key, region: options.region, partition: options.partition });
      if (!options.presign) return { url: console, kind: 'console', console };
      const url = await getSignedUrl(options.client, new GetObjectCommand({ Bucket: options.bucket, Key: key }), { expiresIn: PRESIGN_SECONDS });
      return { url, kind: 'presigned', expiresAt: new Date(clock().getTime() + PRESIGN_SECONDS * 1000).toISOString(), console };
    },
    async publish(report) {
      const store = new PointerHistoryStore(options.backend, options.onError ? { onError: options.onError } : {});
      const runs = options.trendRuns ?? DEFAULT_TREND_RUNS;
      // Only the runs before this one, and of each its trend summary (a few KB, where its report
      // is MBs): this run's own report, just saved, is not read back.
      const history = store.recentTrends(Math.max(1, runs) - 1, { before: report });
      const page = await fleetPageBody(report, { ...(options.rules ? { rules: options.rules } : {}), history, trendRuns: runs });
      const key = pageKey(report);
      await options.backend.write(key, page);
      return { location: options.backend.locate(key) };
    },
  };
}
