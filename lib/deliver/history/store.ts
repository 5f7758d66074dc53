import pLimit from 'p-limit';
import type { z } from 'zod';
import type { RunReport } from '../../types.js';
import type { Baseline, StoredRunReport } from './delta.js';
import { HistoryError } from './errors.js';
import { IntentLog, intentsKey, reportKeyOfIntents, scopeIntentsSchema, type IntentWriter, type ScopeIntents } from './intents.js';
import { parseReport, scanReport, type ReadOptions, type ReportMember, type ReportPart, type ScannedReport } from './read-report.js';
import { jsonBody } from './report-json.js';
import { pointerSchema, type Pointer } from './schema.js';
import { KNOWN_SCOPE_MEMBERS, knownScopesOfReport, scopesSummarySchema } from './scopes-summary.js';
import { runTrendSummarySchema, SUMMARY_MEMBERS, trendSummaryOf, type RunTrendSummary } from './trend-summary.js';

export { HistoryError, type HistoryErrorCode } from './errors.js';
export type { ReportMember, ReportPart } from './read-report.js';

/**
 * Run history: the baseline a run's NEW and RESOLVED are counted against, and its report.
 * Reads give the whole report, or only the `members` asked for (with the run's id and dates): a
 * large fleet's report is ~20 MB, and a run needs a few of its members.
 */
export interface HistoryStore {
  /**
   * Where the latest run had findings of ours (knownScopesOfReport): from its scopes summary, else
   * its report, with the scopes later runs saved or recorded before importing (intents);
   * undefined when none of it can be told (then Security Hub is read everywhere).
   */
  latestKnownScopes(): Promise<Set<string> | undefined>;
  /** Whether no run was saved yet (no latest pointer); false when the pointer cannot be read. */
  firstRun(): Promise<boolean>;
  /** Where `writer` (the audit function, one scan worker) of this run records the scopes it is about to import into (intents.ts); nothing on a first run. */
  intents(run: Pick<RunReport, 'runId' | 'startedAt'>, writer: string): ScopeIntents;
  /** The last saved run, or undefined (first run, or an unreadable report: reported, not thrown). */
  latest<M extends ReportMember = ReportMember>(members?: readonly M[]): Promise<ReportPart<M> | undefined>;
  /** The last run whose notification was delivered (undefined as for latest). */
  lastNotified<M extends ReportMember = ReportMember>(members?: readonly M[]): Promise<ReportPart<M> | undefined>;
  /**
   * What to count NEW and RESOLVED against: the last notified run; if its report cannot be read,
   * the newest readable one; if none can be read, `unavailable` (never a false first run).
   */
  baseline<M extends ReportMember = ReportMember>(members?: readonly M[], options?: ReadOptions): Promise<{ report: ReportPart<M> | undefined; baseline: Baseline }>;
  /**
   * Saves the report, then moves the pointers to it — never over a newer run's: a run that
   * finishes after a later one started leaves that one's pointers in place.
   */
  save(report: RunReport | StoredRunReport, options: { notified: boolean }): Promise<SavedReport>;
  /** Where `save` puts (or put) this report: the pointer a notification gives to the full report. */
  locate(report: Pick<RunReport, 'runId' | 'startedAt'>): string;
}

export interface SavedReport {
  location: string;
  /** Pointers left on a newer run, with the run that holds them. */
  pointersKept?: { pointer: string; runId: string }[];
}

/** A conditional write that found the object changed (S3 412 PreconditionFailed, or created meanwhile). */
export class HistoryConflictError extends Error {
  override name = 'HistoryConflictError';
}

/** An object's text and a tag that changes whenever the object does (S3: its ETag). */
export interface TaggedText {
  text: string;
  tag: string;
}

/**
 * A body made on demand, as often as a write is tried: its size in bytes, then its bytes in chunks
 * (a report of hundreds of MB at 10,000 accounts is never held as one buffer).
 */
export interface StreamedBody {
  readonly length: number;
  chunks(): Iterable<Uint8Array>;
}

export function isStreamedBody(body: string | Uint8Array | StreamedBody): body is StreamedBody {
  return typeof body === 'object' && !(body instanceof Uint8Array);
}

/** Where reports are kept: keys are relative (`runs/2026/01/31/<runId>.json`, `latest.json`). */
export interface HistoryBackend {
  /** The text at `key`, or undefined when there is none. */
  read(key: string): Promise<TaggedText | undefined>;
  /** The bytes at `key` as stored (a report's UTF-8, never made one string), or undefined when there is none. */
  readBytes(key: string): Promise<Uint8Array | undefined>;
  /**
   * Writes `text` (or these UTF-8 bytes, or a body made as it is sent) at `key`. `ifMatch`: only
   * over the object with that tag; `ifNoneMatch`: only if there is none. Rejects with
   * HistoryConflictError when the condition does not hold. Resolves with the new tag.
   */
  write(key: string, text: string | Uint8Array | StreamedBody, condition?: { ifMatch?: string; ifNoneMatch?: boolean }): Promise<string>;
  /** Every key under a prefix (`runs/`), in any order. */
  list(prefix: string): Promise<string[]>;
  /** The full location of a key, for messages and reports (`s3://bucket/prefix/key`, a path). */
  locate(key: string): string;
}

export interface HistoryStoreOptions {
  /** Told about every unreadable or corrupt report; the store then carries on without it. */
  onError?: (error: HistoryError) => void;
  /** Reads of one object (a truncated body, a non-JSON answer count as failed reads); default 3. */
  readAttempts?: number;
  /** Reports tried, newest first, when the last-notified one cannot be read; default 5. */
  fallbackReports?: number;
}

export const LATEST_POINTER = 'latest.json';
export const LAST_NOTIFIED_POINTER = 'last-notified.json';
/** Runs start in order on one clock; a pointer dated more than this ahead of now is not trusted. */
const MAX_CLOCK_SKEW_MS = 60 * 60_000;
/** Intent records read at once (a distributed run leaves one per scan worker that imported somewhere new). */
const INTENT_READS_AT_ONCE = 8;
/** Trend summaries read at once by recentTrends. */
const TREND_READS_AHEAD = 8;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const RUN_KEY = /^runs\/\d{4}\/\d{2}\/\d{2}\/[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;
/**
 * The small summaries saved beside each report (`runs/YYYY/MM/DD/<runId><suffix>`), read instead of
 * the report where they suffice: what the fleet page's trend counts, and where the run had findings
 * of ours. A failed write loses only the summary (saveSidecar); one is believed only when it names
 * its own run (readSidecar); otherwise the report is read.
 */
const SIDECARS = {
  trend: { suffix: '.trend.json', what: 'trend summary', schema: runTrendSummarySchema, instead: "the fleet page's trend reads its report instead" },
  scopes: { suffix: '.scopes.json', what: 'scopes summary', schema: scopesSummarySchema, instead: 'the next run reads its report instead' },
} as const;
type Sidecar = keyof typeof SIDECARS;
type SidecarOf<K extends Sidecar> = z.infer<(typeof SIDECARS)[K]['schema']>;

/** A report's key, not a summary's beside it (all end in .json). */
const isRunKey = (key: string) => RUN_KEY.test(key) && !Object.values(SIDECARS).some((s) => key.endsWith(s.suffix));

/** `runs/YYYY/MM/DD/<runId>.<kind>.json`: one of the run's summaries, beside its report. */
function sidecarKey(reportKey: string, kind: Sidecar): string {
  return `${reportKey.slice(0, -'.json'.length)}${SIDECARS[kind].suffix}`;
}

/** `runs/YYYY/MM/DD/<runId>.json`, dated by the run's start (UTC). */
export function runKey(report: Pick<RunReport, 'runId' | 'startedAt'>): string {
  if (!RUN_ID.test(report.runId)) throw new HistoryError('InvalidRunId', `run id "${report.runId}" cannot name a file: letters, digits, '.', '_', '-' only`);
  // Its report would be named as a summary is (`<id>.trend.json`): never listed, and over run <id>'s summary.
  for (const { suffix, what } of Object.values(SIDECARS)) {
    if (`${report.runId}.json`.endsWith(suffix)) {
      throw new HistoryError('InvalidRunId', `run id "${report.runId}" cannot name a report: it ends in "${suffix.slice(0, -'.json'.length)}", the name of a run's ${what}`);
    }
  }
  const started = new Date(report.startedAt);
  if (Number.isNaN(started.getTime())) throw new HistoryError('InvalidRunId', `run ${report.runId}: startedAt "${report.startedAt}" is not a date`);
  const day = started.toISOString().slice(0, 10).replace(/-/g, '/');
  return `runs/${day}/${report.runId}.json`;
}

/**
 * Where `writer` of this run records the scopes it is about to import into, in this history
 * (intents.ts). A run whose id or start cannot name a report records nothing: each record rejects
 * with why (its report could not be saved either).
 */
export function intentLogOf(backend: IntentWriter, run: Pick<RunReport, 'runId' | 'startedAt'>, writer: string): ScopeIntents {
  try {
    return new IntentLog(backend, intentsKey(runKey(run), writer), run);
  } catch (error) {
    return { record: () => Promise.reject(error instanceof Error ? error : new Error(String(error))) };
  }
}

/**
 * Reports plus two small pointer objects holding a report's key, so reading the previous run is
 * two reads and no listing. The report is written before the pointers: a pointer never names a
 * report that is not there.
 */
export class PointerHistoryStore implements HistoryStore {
  private readonly readAttempts: number;
  private readonly fallbackReports: number;

  constructor(
    private readonly backend: HistoryBackend,
    private readonly options: HistoryStoreOptions = {},
  ) {
    this.readAttempts = Math.max(1, options.readAttempts ?? 3);
    this.fallbackReports = Math.max(0, options.fallbackReports ?? 5);
  }

  async latest<M extends ReportMember = ReportMember>(members?: readonly M[]): Promise<ReportPart<M> | undefined> {
    return (await this.follow(LATEST_POINTER, members)).report;
  }

  async lastNotified<M extends ReportMember = ReportMember>(members?: readonly M[]): Promise<ReportPart<M> | undefined> {
    return (await this.follow(LAST_NOTIFIED_POINTER, members)).report;
  }

  async baseline<M extends ReportMember = ReportMember>(members?: readonly M[], options: ReadOptions = {}): Promise<{ report: ReportPart<M> | undefined; baseline: Baseline }> {
    const notified = await this.follow(LAST_NOTIFIED_POINTER, members, options);
    if (notified.report) return { report: notified.report, baseline: { kind: 'last-notified', runId: notified.report.runId } };
    if (!notified.failed) return { report: undefined, baseline: { kind: 'first-run' } };
    const fallback = await this.newestReadable(notified.key, members, options);
    if (fallback) {
      return {
        report: fallback,
        baseline: { kind: 'fallback', runId: fallback.runId, message: `the last notified run's report could not be read; counted against run ${fallback.runId}` },
      };
    }
    return { report: undefined, baseline: { kind: 'unavailable', message: 'no run report could be read: nothing is called NEW, RESOLVED comes from Security Hub' } };
  }

  locate(report: Pick<RunReport, 'runId' | 'startedAt'>): string {
    return this.backend.locate(runKey(report));
  }

  async save(report: RunReport | StoredRunReport, options: { notified: boolean }): Promise<SavedReport> {
    const key = runKey(report);
    const pointer = `${JSON.stringify({ key, runId: report.runId, startedAt: report.startedAt })}\n`;
    const kept: { pointer: string; runId: string }[] = [];
    try {
      // The summaries first: a report is listed with its trend summary unless it could not be
      // written (then the trend reads the report); an orphan trend summary is never read, an orphan
      // scopes summary is (latestKnownScopes: the run had delivered to Security Hub).
      const stored = report as StoredRunReport;
      // Both at once: neither throws (a failure is reported), and each is a round trip.
      await Promise.all([
        this.saveSidecar(key, report, 'trend', trendSummaryOf(stored)),
        this.saveSidecar(key, report, 'scopes', { runId: report.runId, startedAt: report.startedAt, scopes: knownScopesOfReport(stored), ...(stored.knownScopesUntold ? { untold: true as const } : {}) }),
      ]);
      // Compact, and never one string nor one buffer: at 1,000 accounts the report is ~30 MB, at
      // 10,000 × 17 regions ~330 MB (report-json.ts).
      await this.backend.write(key, jsonBody(report as unknown as Record<string, unknown>));
      for (const name of options.notified ? [LATEST_POINTER, LAST_NOTIFIED_POINTER] : [LATEST_POINTER]) {
        const newer = await this.movePointer(name, pointer, report);
        if (newer) kept.push({ pointer: this.backend.locate(name), runId: newer });
      }
    } catch (error) {
      throw new HistoryError('WriteFailed', `saving run ${report.runId} to ${this.backend.locate(key)} failed: ${describe(error)}`, { cause: error });
    }
    return { location: this.backend.locate(key), ...(kept.length ? { pointersKept: kept } : {}) };
  }

  /**
   * Writes one of the run's summaries. One that cannot be written is reported (onError), not
   * thrown: its readers read the report instead, and the report, the next run's baseline, is still saved.
   */
  private async saveSidecar<K extends Sidecar>(reportKey: string, report: Pick<RunReport, 'runId'>, kind: K, body: SidecarOf<K>): Promise<void> {
    const key = sidecarKey(reportKey, kind);
    try {
      await this.backend.write(key, JSON.stringify(body));
    } catch (error) {
      const { what, instead } = SIDECARS[kind];
      this.options.onError?.(new HistoryError('WriteFailed', `the ${what} of run ${report.runId} was not written to ${this.backend.locate(key)} (${instead}): ${describe(error)}`, { cause: error }));
    }
  }

  /**
   * One of a run's summaries; undefined when there is none (a run saved before them). Throws
   * HistoryError CorruptReport when it is not JSON, not of its shape, or another run's.
   */
  private async readSidecar<K extends Sidecar>(reportKey: string, kind: K): Promise<SidecarOf<K> | undefined> {
    const { what, schema } = SIDECARS[kind];
    const key = sidecarKey(reportKey, kind);
    const bytes = await this.attempt(key, () => this.backend.readBytes(key));
    if (bytes === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      throw new HistoryError('CorruptReport', `${this.backend.locate(key)} is not JSON`, { cause: error });
    }
    const summary = schema.safeParse(parsed);
    if (!summary.success) throw new HistoryError('CorruptReport', `${this.backend.locate(key)} is not a run's ${what}: ${summary.error.issues[0]?.message ?? 'invalid'}`);
    // A summary copied or left over from another run would put that run in this one's place.
    if (runKey(summary.data) !== reportKey) throw new HistoryError('CorruptReport', `${this.backend.locate(key)} is the ${what} of run ${summary.data.runId} (${summary.data.startedAt}), not of ${this.backend.locate(reportKey)}`);
    return summary.data as SidecarOf<K>;
  }

  /**
   * Where the latest run had findings of ours (knownScopesOfReport): from its scopes summary, or
   * from its report when the summary is missing, unreadable or another run's. Undefined when no
   * latest report can be read, or a run's intents cannot be (then Security Hub is read everywhere).
   * With them, the scopes of the runs saved after it whose pointer move (or report) failed, and
   * the intents of it and every later run: they imported into Security Hub there, whether or not
   * they lived to save their summary.
   */
  async latestKnownScopes(): Promise<Set<string> | undefined> {
    let latestKey: string | undefined;
    let scopes: Set<string> | undefined;
    try {
      const pointer = pointerSchema.safeParse(await this.readJson(LATEST_POINTER));
      latestKey = pointer.success && RUN_KEY.test(pointer.data.key) ? pointer.data.key : undefined;
      const summary = latestKey ? await this.readSidecar(latestKey, 'scopes') : undefined;
      // The latest run could not tell its own (narrowed on a night the history could not say): read everywhere.
      if (summary?.untold) return undefined;
      if (summary) scopes = new Set(summary.scopes);
    } catch {
      // Read from the report below, which reports what it cannot read.
    }
    if (scopes === undefined) {
      const report = await this.latest(KNOWN_SCOPE_MEMBERS);
      if (report === undefined || report.knownScopesUntold) return undefined;
      scopes = new Set(knownScopesOfReport(report));
    }
    const later = await this.scopesSavedAfter(latestKey);
    if (later === undefined) return undefined;
    for (const scope of later) scopes.add(scope);
    return scopes;
  }

  /**
   * The run's intents (intentLogOf), but none on a history's first run (no latest pointer): if it
   * dies before saving, the next run finds no run saved and reads Security Hub everywhere anyway.
   */
  intents(run: Pick<RunReport, 'runId' | 'startedAt'>, writer: string): ScopeIntents {
    const log = intentLogOf(this.backend, run, writer);
    let firstRun: Promise<boolean> | undefined;
    return {
      record: async (scopes) => {
        firstRun ??= this.firstRun();
        if (!(await firstRun)) await log.record(scopes);
      },
    };
  }

  firstRun(): Promise<boolean> {
    // A pointer that cannot be read is not a first run: the records are written.
    return this.readJson(LATEST_POINTER).then((pointer) => pointer === undefined, () => false);
  }

  /**
   * The scopes summaries of runs newer than `latestKey` (by key: runs start in order), which no
   * pointer names: their save failed after the summary was written; one that cannot be read is
   * reported (onError) and left out. And the intents of that run, of newer ones and of older ones
   * that saved no report: a run records them before it imports, so a history that cannot be
   * listed, or an intent of the latest or a newer run that cannot be read, leaves the scopes
   * untold (undefined, reported): Security Hub must be read everywhere.
   */
  private async scopesSavedAfter(latestKey: string | undefined): Promise<string[] | undefined> {
    if (latestKey === undefined) return [];
    const { suffix } = SIDECARS.scopes;
    let keys: string[];
    try {
      keys = await this.backend.list('runs/');
    } catch (error) {
      this.report(error, 'runs/');
      return undefined;
    }
    const scopes: string[] = [];
    const summaries = keys.filter((k) => RUN_KEY.test(k) && k.endsWith(suffix)).map((k) => `${k.slice(0, -suffix.length)}.json`);
    for (const key of summaries.filter((k) => k > latestKey)) {
      try {
        scopes.push(...((await this.readSidecar(key, 'scopes'))?.scopes ?? []));
      } catch (error) {
        this.report(error, sidecarKey(key, 'scopes'));
      }
    }
    // The latest run's and later runs' intents; and those of older runs that saved no report (they
    // died, or lost their lease and may have imported after the latest run read its known scopes).
    // An unreadable one of the latter is reported and left out: it would otherwise send every run
    // to read everywhere for as long as the history keeps it.
    const reports = new Set(keys.filter(isRunKey));
    const intents = keys.flatMap((key) => {
      const run = reportKeyOfIntents(key);
      return run === undefined ? [] : run >= latestKey ? [{ key, required: true }] : reports.has(run) ? [] : [{ key, required: false }];
    });
    const limit = pLimit(INTENT_READS_AT_ONCE);
    const read = await Promise.all(
      intents.map(({ key, required }) =>
        limit(() => this.readIntents(key)).then(
          (record) => record?.scopes ?? [],
          (error: unknown) => {
            this.report(error, key);
            return required ? undefined : [];
          },
        ),
      ),
    );
    if (read.includes(undefined)) return undefined;
    for (const list of read) scopes.push(...list!);
    return scopes;
  }

  /** A run's intent record; throws HistoryError CorruptReport when it is not one, or another run's. */
  private async readIntents(key: string): Promise<{ scopes: string[] } | undefined> {
    const bytes = await this.attempt(key, () => this.backend.readBytes(key));
    if (bytes === undefined) return undefined;
    const record = scopeIntentsSchema.safeParse(safeJson(Buffer.from(bytes).toString('utf8')));
    if (!record.success) throw new HistoryError('CorruptReport', `${this.backend.locate(key)} is not a run's record of the scopes it imports into`);
    if (runKey(record.data) !== reportKeyOfIntents(key)) throw new HistoryError('CorruptReport', `${this.backend.locate(key)} is the record of run ${record.data.runId} (${record.data.startedAt}), not of ${this.backend.locate(reportKeyOfIntents(key)!)}`);
    return record.data;
  }

  /**
   * Points `name` at this run unless it already names a run that started later (then returns
   * that run's id). A conditional write, retried once on a race with another writer.
   */
  private async movePointer(name: string, text: string, report: Pick<RunReport, 'runId' | 'startedAt'>): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.readPointer(name);
      const held = current?.pointer;
      // A start time far in the future is a skewed clock's, not a newer run: it does not freeze the pointers.
      const started = held ? startedOf(held) : Number.NEGATIVE_INFINITY;
      if (held && started > Date.parse(report.startedAt) && started <= Date.now() + MAX_CLOCK_SKEW_MS) return held.runId;
      try {
        await this.backend.write(name, text, current ? { ifMatch: current.tag } : { ifNoneMatch: true });
        return undefined;
      } catch (error) {
        if (!(error instanceof HistoryConflictError) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * A pointer as it stands, read again when the read fails or does not parse (one bad answer must
   * not let an older run move it back); still unparseable after that, it is corrupt and replaced.
   */
  private async readPointer(name: string): Promise<{ tag: string; pointer: Pointer | undefined } | undefined> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.readAttempts; attempt++) {
      try {
        const read = await this.backend.read(name);
        if (!read) return undefined;
        const parsed = pointerSchema.safeParse(safeJson(read.text));
        if (parsed.success || attempt === this.readAttempts) return { tag: read.tag, pointer: parsed.success ? parsed.data : undefined };
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  /** The report a pointer names: `failed` when there was a pointer but no readable report. */
  private async follow<M extends ReportMember>(pointerKey: string, members: readonly M[] | undefined, options: ReadOptions = {}): Promise<{ report?: ReportPart<M>; failed: boolean; key?: string }> {
    let key: string | undefined;
    try {
      const pointerData = await this.readJson(pointerKey);
      if (pointerData === undefined) return { failed: false }; // no run saved yet
      const pointer = pointerSchema.safeParse(pointerData);
      if (!pointer.success || !RUN_KEY.test(pointer.data.key)) {
        throw new HistoryError('CorruptPointer', `${this.backend.locate(pointerKey)} does not hold a run report key`);
      }
      key = pointer.data.key;
      const report = await this.readReport(key, members, options);
      if (report === undefined) {
        throw new HistoryError('MissingReport', `${this.backend.locate(pointerKey)} names ${this.backend.locate(key)}, which does not exist`);
      }
      return { report, failed: false, key };
    } catch (error) {
      this.report(error, pointerKey);
      return { failed: true, ...(key ? { key } : {}) };
    }
  }

  /**
   * The last `limit` saved reports, oldest first (for the fleet page's trend), each read and
   * validated as `latest` reads one, one at a time: a report that cannot be read is reported
   * (onError) and yields undefined in its place. `before`: only runs saved before this one (by
   * key: runs start in order), which is not read. Throws HistoryError when the history cannot be listed.
   */
  recent<M extends ReportMember = ReportMember>(
    limit: number,
    options: { before?: Pick<RunReport, 'runId' | 'startedAt'>; members?: readonly M[] } = {},
  ): AsyncGenerator<ReportPart<M> | undefined> {
    return this.eachRecent(limit, options.before, (key) => this.readReport(key, options.members));
  }

  /**
   * The trend summaries of the last `limit` runs saved before `before`, oldest first: each run's
   * summary file, or for a run saved before they existed, its report's findings, NEW and RESOLVED.
   * A run that cannot be read is reported (onError) and yields undefined in its place. Throws
   * HistoryError when the history cannot be listed.
   */
  recentTrends(limit: number, options: { before?: Pick<RunReport, 'runId' | 'startedAt'> } = {}): AsyncGenerator<RunTrendSummary | undefined> {
    // A summary missing (a run saved before them) or unreadable: the report says the same, at a higher cost.
    // A few KB each: read TREND_READS_AHEAD at a time (the fleet page's 29 in turn were ~1 s of a night at S3's latency).
    // A report instead is MBs: read in turn, one at a time, as recent reads them.
    return this.eachRecent(
      limit,
      options.before,
      (key) => this.readSidecar(key, 'trend').catch(() => undefined),
      TREND_READS_AHEAD,
      async (key, summary) => summary ?? (await this.summaryFromReport(key)),
    );
  }

  /**
   * `read` of each of the last `limit` runs saved before `before`, oldest first; a failed read
   * reported and undefined. Up to `ahead` reads run at once, never further ahead than that of the
   * one yielded: with 1 (reports, MBs each) one at a time. `inTurn`, given, completes each read
   * when its turn comes, one at a time (a report read instead of a missing summary).
   */
  private async *eachRecent<T>(
    limit: number,
    beforeRun: Pick<RunReport, 'runId' | 'startedAt'> | undefined,
    read: (key: string) => Promise<T | undefined>,
    ahead = 1,
    inTurn?: (key: string, value: T | undefined) => Promise<T | undefined>,
  ): AsyncGenerator<T | undefined> {
    let keys: string[];
    try {
      keys = (await this.backend.list('runs/')).filter(isRunKey);
    } catch (error) {
      throw new HistoryError('ReadFailed', `listing ${this.backend.locate('runs/')} failed: ${describe(error)}`, { cause: error });
    }
    // Keys are dated and named by the run's ISO start: oldest first in text order.
    const before = beforeRun && runKey(beforeRun);
    if (before) keys = keys.filter((k) => k < before);
    const chosen = keys.sort().slice(Math.max(0, keys.length - limit));
    const reads: Promise<{ value: T | undefined } | { error: unknown }>[] = [];
    for (let i = 0; i < chosen.length; i++) {
      while (reads.length < Math.min(chosen.length, i + ahead)) {
        reads.push(read(chosen[reads.length]!).then((value) => ({ value }), (error: unknown) => ({ error })));
      }
      let outcome = await reads[i]!;
      // Yielded, it is the reader's: not held here too.
      delete reads[i];
      if (inTurn && 'value' in outcome) {
        const { value } = outcome;
        outcome = await inTurn(chosen[i]!, value).then((completed) => ({ value: completed }), (error: unknown) => ({ error }));
      }
      if ('error' in outcome) {
        this.report(outcome.error, chosen[i]!);
        yield undefined;
      } else {
        yield outcome.value;
      }
    }
  }

  private async summaryFromReport(key: string): Promise<RunTrendSummary | undefined> {
    const report = await this.readReport(key, SUMMARY_MEMBERS);
    return report && trendSummaryOf(report);
  }

  /** The newest report that reads, other than `skip`: the latest pointer's, then the newest keys. */
  private async newestReadable<M extends ReportMember>(skip: string | undefined, members: readonly M[] | undefined, options: ReadOptions): Promise<ReportPart<M> | undefined> {
    let keys: string[];
    try {
      keys = (await this.backend.list('runs/')).filter((k) => isRunKey(k) && k !== skip);
    } catch (error) {
      this.report(error, 'runs/');
      return undefined;
    }
    // Keys are dated and named by the run's ISO start: newest last in text order.
    keys.sort().reverse();
    for (const key of keys.slice(0, this.fallbackReports)) {
      try {
        const report = await this.readReport(key, members, options);
        if (report) return report;
      } catch (error) {
        this.report(error, key);
      }
    }
    return undefined;
  }

  private async readReport<M extends ReportMember>(key: string, members: readonly M[] | undefined, options: ReadOptions = {}): Promise<ReportPart<M> | undefined> {
    const location = this.backend.locate(key);
    const scanned = await this.attempt(key, async (): Promise<ScannedReport | undefined> => {
      const bytes = await this.backend.readBytes(key);
      return bytes === undefined ? undefined : scanReport(bytes, location);
    });
    return scanned === undefined ? undefined : parseReport(scanned, location, members, options);
  }

  /**
   * The parsed JSON at `key`. S3 may cut a body short or answer 200 with something else, and the
   * SDK does not retry a body that fails midway: the read itself is retried.
   */
  private async readJson(key: string): Promise<unknown> {
    return this.attempt(key, async () => {
      const read = await this.backend.read(key);
      return read === undefined ? undefined : parseJson(read.text, this.backend.locate(key));
    });
  }

  private async attempt<T>(key: string, read: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.readAttempts; attempt++) {
      try {
        return await read();
      } catch (error) {
        last = error;
      }
    }
    if (last instanceof HistoryError) throw last;
    // S3 answers AccessDenied, not NoSuchKey, for a missing key when s3:ListBucket is not granted.
    throw new HistoryError('ReadFailed', `reading ${this.backend.locate(key)} failed after ${this.readAttempts} attempts: ${describe(last)}`, { cause: last });
  }

  private report(error: unknown, where: string): void {
    const reported = error instanceof HistoryError ? error : new HistoryError('CorruptReport', `${this.backend.locate(where)}: ${describe(error)}`, { cause: error });
    this.options.onError?.(reported);
  }
}

/** When the run a pointer names started (old pointers carry no date: they count as oldest). */
function startedOf(pointer: { startedAt?: string | undefined }): number {
  const at = pointer.startedAt ? Date.parse(pointer.startedAt) : Number.NaN;
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at;
}

function parseJson(text: string, location: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HistoryError('CorruptReport', `${location} is not JSON: ${describe(error)}`, { cause: error });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
