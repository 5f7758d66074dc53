import { z } from 'zod';
import type { RunReport } from '../../types.js';

/** Where intent records are written (a HistoryBackend, or a scan worker's write-only S3 access). */
export interface IntentWriter {
  write(key: string, text: string): Promise<unknown>;
}

/**
 * A run's write-ahead record of the Security Hub scopes (`account/region`) it is about to import
 * findings of ours into where the history knew none: saved before the import, so that a run that
 * dies before its scopes summary is saved (a crash, a lost lease, a distributed part or aggregate
 * lost) still tells the next run where Security Hub holds findings of ours. Without it the next
 * run, reading only the known scopes, would never read that scope again, and a finding there
 * would stay ACTIVE after its cluster was fixed.
 *
 * Stored at `runs/YYYY/MM/DD/<runId>.intents/<writer>.json` (one object per writer: the audit
 * function, or one scan worker), each holding every scope its writer recorded so far.
 */
export const scopeIntentsSchema = z.strictObject({
  runId: z.string().min(1),
  startedAt: z.string().min(1),
  scopes: z.array(z.string()),
});
export type ScopeIntentsRecord = z.infer<typeof scopeIntentsSchema>;

/** Where a run records the scopes it is about to import into (see scopeIntentsSchema). */
export interface ScopeIntents {
  /**
   * Resolves once a saved record holds every one of `scopes`; rejects with the write's error
   * (then nothing may be imported there: the scope is left for the next run).
   */
  record(scopes: readonly string[]): Promise<void>;
}

const WRITER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const INTENT_KEY = /^(runs\/\d{4}\/\d{2}\/\d{2}\/[A-Za-z0-9][A-Za-z0-9._-]*)\.intents\/[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;

/** `runs/YYYY/MM/DD/<runId>.intents/<writer>.json` for the report key `runs/YYYY/MM/DD/<runId>.json`. */
export function intentsKey(reportKey: string, writer: string): string {
  if (!WRITER.test(writer)) throw new Error(`intent writer "${writer}" cannot name a file: letters, digits, '.', '_', '-' only`);
  return `${reportKey.slice(0, -'.json'.length)}.intents/${writer}.json`;
}

/** The report key of the run an intent record belongs to; undefined for any other key. */
export function reportKeyOfIntents(key: string): string | undefined {
  const match = INTENT_KEY.exec(key);
  return match ? `${match[1]}.json` : undefined;
}

/** After a failed write, how long (ms) the records asked for fail at once with its error. */
const RETRY_AFTER_MS = 10_000;

/**
 * One writer's intent record, rewritten whole as scopes are added. Writes are made one at a time
 * (a later write never lands before an earlier one), and the scopes asked for while one is in
 * flight go together in the next: one write per burst, not one per account. After a failed write
 * (each one already retried by the SDK) the records asked for within `retryAfterMs` fail at once
 * with its error: a history that is down is not written again by every account in turn, each
 * holding its account's Security Hub sync meanwhile.
 */
export class IntentLog implements ScopeIntents {
  /** Every scope asked for. */
  private readonly wanted = new Set<string>();
  /** The scopes a completed write holds. */
  private readonly saved = new Set<string>();
  private turn: Promise<void> = Promise.resolve();
  private failure: { at: number; error: unknown } | undefined;
  private readonly retryAfterMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly backend: IntentWriter,
    private readonly key: string,
    private readonly run: Pick<RunReport, 'runId' | 'startedAt'>,
    options: { retryAfterMs?: number; clock?: () => number } = {},
  ) {
    this.retryAfterMs = options.retryAfterMs ?? RETRY_AFTER_MS;
    this.clock = options.clock ?? Date.now;
  }

  async record(scopes: readonly string[]): Promise<void> {
    if (scopes.every((s) => this.saved.has(s))) return;
    for (const scope of scopes) this.wanted.add(scope);
    const write = this.turn.then(() => this.flush());
    // One failed write does not fail the writes queued after it: each tries again with all.
    this.turn = write.catch(() => undefined);
    await write;
  }

  private async flush(): Promise<void> {
    // An earlier write in the queue took these scopes along.
    if ([...this.wanted].every((s) => this.saved.has(s))) return;
    if (this.failure && this.clock() - this.failure.at < this.retryAfterMs) throw this.failure.error;
    const scopes = [...this.wanted].sort();
    const record: ScopeIntentsRecord = { runId: this.run.runId, startedAt: this.run.startedAt, scopes };
    try {
      await this.backend.write(this.key, JSON.stringify(record));
    } catch (error) {
      this.failure = { at: this.clock(), error };
      throw error;
    }
    this.failure = undefined;
    for (const scope of scopes) this.saved.add(scope);
  }
}
