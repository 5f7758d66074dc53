/** Time as the pacing sees it: real by default, a fake one in tests (no timed assertions). */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface Rate {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once from a full bucket. */
  burst: number;
}

/** BatchImportFindings' quota: 10 requests per second with a burst of 30, per account and Region. */
export const BATCH_IMPORT_RATE: Rate = { perSecond: 10, burst: 30 };

/**
 * A token bucket: starts full (the burst), refills at the sustained rate. One per account×Region,
 * because that is what the service quota counts; concurrency across scopes is the caller's.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: Rate,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = rate.burst;
    this.last = clock.now();
  }

  /** Waits until a request may be sent, then spends one token. */
  async take(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000));
      this.refill();
    }
    this.tokens = Math.max(0, this.tokens - 1);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.last) / 1000) * this.rate.perSecond);
    this.last = now;
  }
}
