import type { RunReport } from '../../types.js';
import type { StoredRunReport } from './delta.js';
import { pointerSchema, runReportSchema } from './schema.js';

/** Run history: the previous report is what the delta is computed against. */
export interface HistoryStore {
  /** The last saved run, or undefined (first run, or a corrupt report: reported, not thrown). */
  latest(): Promise<StoredRunReport | undefined>;
  /** The last run whose notification was delivered. */
  lastNotified(): Promise<StoredRunReport | undefined>;
  save(report: RunReport | StoredRunReport, options: { notified: boolean }): Promise<{ location: string }>;
  /** Where `save` puts (or put) this report: the pointer a notification gives to the full report. */
  locate(report: Pick<RunReport, 'runId' | 'startedAt'>): string;
}

export type HistoryErrorCode = 'ReadFailed' | 'CorruptPointer' | 'MissingReport' | 'CorruptReport' | 'UnsupportedSchemaVersion' | 'InvalidRunId' | 'WriteFailed';

export class HistoryError extends Error {
  override name = 'HistoryError';
  constructor(
    readonly code: HistoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where reports are kept: keys are relative (`runs/2026/01/31/<runId>.json`, `latest.json`). */
export interface HistoryBackend {
  /** The text at `key`, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  write(key: string, text: string): Promise<void>;
  /** The full location of a key, for messages and reports (`s3://bucket/prefix/key`, a path). */
  locate(key: string): string;
}

export interface HistoryStoreOptions {
  /** Told about every unreadable or corrupt report; the store then carries on as if there were none. */
  onError?: (error: HistoryError) => void;
}

export const LATEST_POINTER = 'latest.json';
export const LAST_NOTIFIED_POINTER = 'last-notified.json';
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const RUN_KEY = /^runs\/\d{4}\/\d{2}\/\d{2}\/[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;

/** `runs/YYYY/MM/DD/<runId>.json`, dated by the run's start (UTC). */
export function runKey(report: Pick<RunReport, 'runId' | 'startedAt'>): string {
  if (!RUN_ID.test(report.runId)) throw new HistoryError('InvalidRunId', `run id "${report.runId}" cannot name a file: letters, digits, '.', '_', '-' only`);
  const started = new Date(report.startedAt);
  if (Number.isNaN(started.getTime())) throw new HistoryError('InvalidRunId', `run ${report.runId}: startedAt "${report.startedAt}" is not a date`);
  const day = started.toISOString().slice(0, 10).replace(/-/g, '/');
  return `runs/${day}/${report.runId}.json`;
}

/**
 * Reports plus two small pointer objects holding a report's key, so reading the previous run is
 * two reads and no listing. The report is written before the pointers: a pointer never names a
 * report that is not there.
 */
export class PointerHistoryStore implements HistoryStore {
  constructor(
    private readonly backend: HistoryBackend,
    private readonly options: HistoryStoreOptions = {},
  ) {}

  latest(): Promise<StoredRunReport | undefined> {
    return this.follow(LATEST_POINTER);
  }

  lastNotified(): Promise<StoredRunReport | undefined> {
    return this.follow(LAST_NOTIFIED_POINTER);
  }

  locate(report: Pick<RunReport, 'runId' | 'startedAt'>): string {
    return this.backend.locate(runKey(report));
  }

  async save(report: RunReport | StoredRunReport, options: { notified: boolean }): Promise<{ location: string }> {
    const key = runKey(report);
    const pointer = `${JSON.stringify({ key, runId: report.runId })}\n`;
    try {
      // Compact: at 5,000 accounts the pretty-printed report was 47 MB, built as one string.
      await this.backend.write(key, `${JSON.stringify(report)}\n`);
      await this.backend.write(LATEST_POINTER, pointer);
      if (options.notified) await this.backend.write(LAST_NOTIFIED_POINTER, pointer);
    } catch (error) {
      throw new HistoryError('WriteFailed', `saving run ${report.runId} to ${this.backend.locate(key)} failed: ${describe(error)}`, { cause: error });
    }
    return { location: this.backend.locate(key) };
  }

  private async follow(pointerKey: string): Promise<StoredRunReport | undefined> {
    try {
      const pointerText = await this.read(pointerKey);
      if (pointerText === undefined) return undefined; // no run saved yet
      const pointer = pointerSchema.safeParse(parseJson(pointerText));
      if (!pointer.success || !RUN_KEY.test(pointer.data.key)) {
        throw new HistoryError('CorruptPointer', `${this.backend.locate(pointerKey)} does not hold a run report key`);
      }
      const reportText = await this.read(pointer.data.key);
      if (reportText === undefined) {
        throw new HistoryError('MissingReport', `${this.backend.locate(pointerKey)} names ${this.backend.locate(pointer.data.key)}, which does not exist`);
      }
      return this.validate(parseJson(reportText), this.backend.locate(pointer.data.key));
    } catch (error) {
      const reported = error instanceof HistoryError ? error : new HistoryError('CorruptReport', `${this.backend.locate(pointerKey)}: ${describe(error)}`, { cause: error });
      this.options.onError?.(reported);
      return undefined;
    }
  }

  private async read(key: string): Promise<string | undefined> {
    try {
      return await this.backend.read(key);
    } catch (error) {
      // S3 answers AccessDenied, not NoSuchKey, for a missing key when s3:ListBucket is not granted.
      throw new HistoryError('ReadFailed', `reading ${this.backend.locate(key)} failed: ${describe(error)}`, { cause: error });
    }
  }

  private validate(data: unknown, location: string): StoredRunReport {
    const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (data !== null && typeof data === 'object' && version !== 1) {
      throw new HistoryError('UnsupportedSchemaVersion', `${location}: schemaVersion ${JSON.stringify(version)} is not 1`);
    }
    const parsed = runReportSchema.safeParse(data);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`);
      throw new HistoryError('CorruptReport', `${location} is not a valid run report: ${issues.join('; ')}`);
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HistoryError('CorruptReport', `not JSON: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
