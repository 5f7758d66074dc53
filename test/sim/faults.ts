/**
 * Fault injection: latency, random throttling and server errors from a seeded PRNG (so a run is
 * reproducible), per-account token buckets, and targeted rules.
 */
import { performance } from 'node:perf_hooks';
import type { SimFaultRule, SimFaults, SimService } from './schema.js';
import { SimError } from './wire.js';

/** Each service's real throttling error, as its SDK models it. */
export const THROTTLE_ERRORS: Record<SimService, { code: string; status: number; message: string }> = {
  eks: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded' },
  securityhub: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded' },
  account: { code: 'TooManyRequestsException', status: 429, message: 'Rate exceeded' },
  organizations: { code: 'TooManyRequestsException', status: 400, message: 'AWS Organizations can not complete your request because the rate of requests is too high.' },
  sts: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  sns: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  s3: { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' },
};

const SERVER_ERRORS = [
  { code: 'InternalFailure', status: 500, message: 'The request processing has failed because of an unknown error, exception or failure.' },
  { code: 'ServiceUnavailable', status: 503, message: 'The request has failed due to a temporary failure of the server.' },
];

export interface FaultTarget {
  service: SimService;
  operation: string;
  accountId: string;
  region: string;
  cluster: string | undefined;
  /** The S3 object key of an object operation. */
  key?: string | undefined;
}

/** Findings a BatchImportFindings call lists in FailedFindings instead of storing them. */
export interface FailFindings {
  ids: ReadonlySet<string>;
  code: string;
  message: string;
}

export interface FaultDecision {
  delayMs: number;
  error?: SimError;
  malformed?: boolean;
  truncate?: boolean;
  failFindings?: FailFindings;
}

/** mulberry32: tiny, fast and good enough to make fault patterns reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function statusForError(code: string, service: SimService): number {
  const throttle = THROTTLE_ERRORS[service];
  if (code === throttle.code) return throttle.status;
  if (/^(Throttling|ThrottlingException|TooManyRequestsException|Throttled)$/.test(code)) return 429;
  if (/^(InternalFailure|InternalError|ServerException|InternalServerException|InternalException)$/.test(code)) return 500;
  if (/^ServiceUnavailable/.test(code) || code === 'SlowDown') return 503;
  if (/AccessDenied|UnrecognizedClient|ExpiredToken|Forbidden/.test(code)) return 403;
  if (code === 'InvalidAccessException') return 401;
  if (/NotFound|NoSuch/.test(code)) return 404;
  return 400;
}

export class FaultEngine {
  private faults: SimFaults;
  private random: () => number;
  private remaining = new Map<SimFaultRule, number>();
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(faults: SimFaults) {
    this.faults = faults;
    this.random = seededRandom(faults.seed);
  }

  get current(): SimFaults {
    return this.faults;
  }

  /** Replaces every fault setting and restarts the PRNG, rule counters and token buckets. */
  set(faults: SimFaults): void {
    this.faults = faults;
    this.random = seededRandom(faults.seed);
    this.remaining.clear();
    this.buckets.clear();
  }

  decide(target: FaultTarget): FaultDecision {
    const f = this.faults;
    let delayMs = f.latencyMs + (f.latencyJitterMs > 0 ? this.random() * f.latencyJitterMs : 0);
    for (const rule of f.rules) {
      if (!matches(rule, target) || !this.consume(rule)) continue;
      delayMs += rule.latencyMs ?? 0;
      if (rule.malformed) return { delayMs, malformed: true };
      if (rule.truncate) return { delayMs, truncate: true };
      if (rule.failFindingIds) {
        const code = rule.error ?? 'InternalException';
        return { delayMs, failFindings: { ids: new Set(rule.failFindingIds), code, message: rule.message ?? `Simulated ${code} for this finding` } };
      }
      if (rule.error) {
        const status = rule.status ?? statusForError(rule.error, target.service);
        const message = rule.message ?? `Simulated ${rule.error} for ${target.operation}`;
        return { delayMs, error: new SimError(rule.error, status, message) };
      }
    }
    if (f.exempt.includes(target.service)) return { delayMs };
    const throttle = THROTTLE_ERRORS[target.service];
    if (!this.takeToken(target)) return { delayMs, error: new SimError(throttle.code, throttle.status, throttle.message) };
    if (f.throttleRate > 0 && this.random() < f.throttleRate) {
      return { delayMs, error: new SimError(throttle.code, throttle.status, throttle.message) };
    }
    if (f.errorRate > 0 && this.random() < f.errorRate) {
      const e = SERVER_ERRORS[this.random() < 0.5 ? 0 : 1] ?? SERVER_ERRORS[0]!;
      return { delayMs, error: new SimError(s3Code(target.service, e.code), e.status, e.message) };
    }
    return { delayMs };
  }

  /** A rule with `times` applies that many times; a rule without applies always. */
  private consume(rule: SimFaultRule): boolean {
    if (rule.times === undefined) return true;
    const left = this.remaining.get(rule) ?? rule.times;
    if (left <= 0) return false;
    this.remaining.set(rule, left - 1);
    return true;
  }

  private takeToken(target: FaultTarget): boolean {
    const limit = this.faults.rateLimits[target.service];
    if (!limit) return true;
    // AWS meters a service's API per account and Region (EKS's quotas are regional): one bucket each.
    const key = `${target.service}|${target.accountId}|${target.region}`;
    const now = performance.now();
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perAccountPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

function matches(rule: SimFaultRule, t: FaultTarget): boolean {
  return (
    (rule.service === undefined || rule.service === t.service) &&
    (rule.operation === undefined || rule.operation === t.operation) &&
    (rule.accountId === undefined || rule.accountId === t.accountId) &&
    (rule.region === undefined || rule.region === t.region) &&
    (rule.cluster === undefined || rule.cluster === t.cluster) &&
    (rule.key === undefined || (t.key !== undefined && new RegExp(rule.key).test(t.key)))
  );
}

/** S3 names its server error InternalError, not InternalFailure. */
function s3Code(service: SimService, code: string): string {
  return service === 's3' && code === 'InternalFailure' ? 'InternalError' : code;
}
