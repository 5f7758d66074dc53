import { z } from 'zod';
import { HistoryConflictError, type HistoryBackend, type TaggedText } from './history/store.js';

/**
 * One run at a time per organization. Two runs that overlap (a Step Functions run still going when
 * the next night starts, an operator's `fleet-audit scan --security-hub`) would each import and
 * archive from what they saw, and the one that finished last would roll the other back. The lease
 * is one small object in the history bucket, taken with an S3 conditional write (If-None-Match on
 * create, If-Match on its ETag to renew, take over or release): no lock table to deploy. It
 * expires on its own, so a crashed run blocks the next one for one TTL at most.
 */

export const LEASE_KEY = 'lease.json';
/** Default time to live; renewed every third of it while the run goes on. */
export const LEASE_TTL_MS = 5 * 60_000;

const recordSchema = z.object({
  runId: z.string(),
  holder: z.string(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
  released: z.boolean().optional(),
});
export type LeaseRecord = z.infer<typeof recordSchema>;

/** Another run holds the lease: this one must not run (it exits cleanly, with this message). */
export class LeaseHeldError extends Error {
  override name = 'LeaseHeldError';
  constructor(readonly held: LeaseRecord) {
    super(`run ${held.runId} (${held.holder}) holds the lease until ${held.expiresAt}: this run does not start`);
  }
}

export interface LeaseOptions {
  runId: string;
  /** Who runs it, for the message another run shows (`lambda:eks-fleet-auditor-prod-audit`, `cli:alice@host`). */
  holder: string;
  ttlMs?: number;
  /** Renew every ttl/3 while held (default true; a plan that hands off to Step Functions does not). */
  renew?: boolean;
  now?: () => number;
  /** Told when a renewal fails or finds the lease taken: the run must stop delivering. */
  onLost?: (reason: string) => void;
}

/** A held lease. `lost` turns true when a renewal finds it taken (it had expired): stop delivering. */
export class RunLease {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lostReason: string | undefined;

  private constructor(
    private readonly backend: HistoryBackend,
    private record: LeaseRecord,
    private tag: string,
    private readonly options: LeaseOptions,
  ) {}

  get runId(): string {
    return this.record.runId;
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  get expiresAt(): string {
    return this.record.expiresAt;
  }

  /**
   * Takes the lease for a run; rejects with LeaseHeldError when another run holds it and it has
   * not expired. A released or expired lease is taken over (If-Match on its ETag).
   */
  static async acquire(backend: HistoryBackend, options: LeaseOptions): Promise<RunLease> {
    const now = options.now ?? Date.now;
    const ttl = options.ttlMs ?? LEASE_TTL_MS;
    for (let attempt = 1; ; attempt++) {
      const { current, held } = await readLease(backend);
      if (held && !held.released && Date.parse(held.expiresAt) > now() && held.runId !== options.runId) {
        throw new LeaseHeldError(held);
      }
      const record: LeaseRecord = {
        runId: options.runId,
        holder: options.holder,
        acquiredAt: new Date(now()).toISOString(),
        expiresAt: new Date(now() + ttl).toISOString(),
      };
      try {
        const tag = await backend.write(LEASE_KEY, JSON.stringify(record), current ? { ifMatch: current.tag } : { ifNoneMatch: true });
        const lease = new RunLease(backend, record, tag, options);
        if (options.renew !== false) lease.startRenewing(ttl);
        return lease;
      } catch (error) {
        // Another run wrote it between our read and our write: read again, it may hold it now.
        if (!(error instanceof HistoryConflictError) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * Reads the lease again: still this run's? A renewal is only every TTL/3, so a run checks right
   * before it delivers; false (and lost from then on) when another run holds it now.
   */
  async confirm(): Promise<boolean> {
    if (this.lost) return false;
    try {
      const { current, held } = await readLease(this.backend);
      if (current?.tag === this.tag && held?.runId === this.record.runId) return true;
      this.markLost(`run ${held?.runId ?? '(unknown)'} holds the lease now`);
      return false;
    } catch {
      // The bucket did not answer: the lease is ours until it expires.
      return Date.parse(this.record.expiresAt) > (this.options.now ?? Date.now)();
    }
  }

  /** Moves the expiry a TTL ahead. */
  async renew(): Promise<void> {
    if (this.lost) return;
    const now = (this.options.now ?? Date.now)();
    const record = { ...this.record, expiresAt: new Date(now + (this.options.ttlMs ?? LEASE_TTL_MS)).toISOString() };
    try {
      this.tag = await this.backend.write(LEASE_KEY, JSON.stringify(record), { ifMatch: this.tag });
      this.record = record;
    } catch (error) {
      if (error instanceof HistoryConflictError) this.markLost('another run took the lease after it expired');
      // A failed renewal (S3 unreachable) is retried at the next tick; the lease holds until it expires.
      else if (Date.parse(this.record.expiresAt) <= now) this.markLost(`the lease expired and could not be renewed (${(error as Error).message})`);
    }
  }

  /**
   * Hands the lease to the rest of the run (the distributed run's state machine): it is held
   * `ttlMs` more without renewal, and the step that ends the run releases it (releaseLeaseOf).
   */
  async handOff(ttlMs: number): Promise<void> {
    this.stopRenewing();
    const record = { ...this.record, expiresAt: new Date((this.options.now ?? Date.now)() + ttlMs).toISOString() };
    this.tag = await this.backend.write(LEASE_KEY, JSON.stringify(record), { ifMatch: this.tag });
    this.record = record;
  }

  /** Gives the lease up (a write with `released`, If-Match: it stays ours to release). */
  async release(): Promise<void> {
    this.stopRenewing();
    if (this.lost) return;
    const record = { ...this.record, released: true, expiresAt: new Date((this.options.now ?? Date.now)()).toISOString() };
    await this.backend.write(LEASE_KEY, JSON.stringify(record), { ifMatch: this.tag }).catch(() => undefined);
  }

  private startRenewing(ttl: number): void {
    this.timer = setInterval(() => void this.renew(), Math.max(1_000, Math.floor(ttl / 3)));
    // A renewal timer never keeps a finished process alive.
    this.timer.unref();
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private markLost(reason: string): void {
    this.lostReason = reason;
    this.stopRenewing();
    this.options.onLost?.(reason);
  }
}

const READS = 3;

/**
 * The lease object as S3 holds it. A read that fails or does not parse is read again (S3 may cut
 * a body short or answer with something else, and the SDK does not retry a body): a lease is
 * never taken over on one bad answer. Still unparseable after that, it is corrupt, not a run's.
 */
async function readLease(backend: HistoryBackend): Promise<{ current: TaggedText | undefined; held: LeaseRecord | undefined }> {
  let last: unknown;
  for (let attempt = 1; attempt <= READS; attempt++) {
    try {
      const current = await backend.read(LEASE_KEY);
      if (!current) return { current, held: undefined };
      const held = recordSchema.safeParse(safeJson(current.text));
      if (held.success) return { current, held: held.data };
      if (attempt === READS) return { current, held: undefined };
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** Releases a lease another step took for this run (the distributed run's aggregate step). */
export async function releaseLeaseOf(backend: HistoryBackend, runId: string, now: () => number = Date.now): Promise<boolean> {
  const { current, held } = await readLease(backend);
  if (!current || !held || held.runId !== runId || held.released) return false;
  const record = { ...held, released: true, expiresAt: new Date(now()).toISOString() };
  await backend.write(LEASE_KEY, JSON.stringify(record), { ifMatch: current.tag }).catch(() => undefined);
  return true;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
