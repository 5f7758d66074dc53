import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { compileGlob, globProblem } from '../evaluate/glob.js';
import type { Finding, SuppressedFinding, UnusedSuppression } from '../types.js';
import { getS3Text, parseS3Uri } from './s3-object.js';

/**
 * A suppression silences the findings it matches until it expires. Every matcher given must
 * match (they narrow each other); each is a glob (lib/evaluate/glob.ts) on one field of the finding.
 */
export interface Suppression {
  rule?: string;
  account?: string;
  /** The id of the account's parent OU (nested OUs are not followed). */
  ou?: string;
  region?: string;
  cluster?: string;
  reason: string;
  /** ISO date (lasts through that day, UTC) or date-time with a time zone. */
  expires: string;
}

export interface ExpiredSuppression {
  finding: Finding;
  suppression: Suppression;
}

export interface SuppressionOutcome {
  /** Findings that stay in notifications and Security Hub (expired suppressions included). */
  active: Finding[];
  /** Findings out of notifications and archived in Security Hub, listed in the report with the reason. */
  suppressed: SuppressedFinding[];
  /** Findings whose only matching suppressions have expired: back, and marked so. */
  expired: ExpiredSuppression[];
  /** The suppressions that matched no finding (live or expired), by entry in the file. */
  unused: UnusedSuppression[];
}

export class SuppressionsError extends Error {
  override name = 'SuppressionsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const MATCHERS = ['rule', 'account', 'ou', 'region', 'cluster'] as const;
const DAY_MS = 86_400_000;

export interface ParseOptions {
  /** When the run starts; `expires` may be at most one year after it (default: the clock). */
  now?: Date;
  /** The ids of the loaded rules: a `rule` glob must match one of them (unset: not checked). */
  ruleIds?: readonly string[];
}

/** The latest `expires` accepted: the same date one year on, lasting through that day (UTC). */
export function maxExpiry(now: Date): string {
  const limit = new Date(now.getTime());
  limit.setUTCFullYear(limit.getUTCFullYear() + 1);
  return limit.toISOString().slice(0, 10);
}

const text = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : `must be a string (${what})`) })
    .refine((value) => value.trim() !== '', { error: 'must not be empty or blank' });

/** A matcher: a glob lib/evaluate/glob.ts compiles (a bad one would silently match nothing). */
const globField = (what: string) =>
  text(what).superRefine((value, ctx) => {
    const problem = globProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a valid glob: ${problem}` });
  });

const isoDateOrDateTime = (value: string) => z.iso.date().safeParse(value).success || z.iso.datetime({ offset: true }).safeParse(value).success;

const unknownKey = (issue: { code?: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys' ? `unknown key ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}` : 'must be an object';

function fileSchema({ now = new Date(), ruleIds }: ParseOptions) {
  const latest = maxExpiry(now);
  const suppression = z
    .strictObject(
      {
        rule: globField('a rule id glob')
          .refine((value) => ruleIds === undefined || ruleIds.some(compileGlob(value)), {
            error: (issue) => `${JSON.stringify(issue.input)} matches no loaded rule id (rules/*.md and any extra rules directory)`,
          })
          .optional(),
        account: globField('quote account ids: 123456789012 as a number loses leading zeros').optional(),
        ou: globField('an OU id glob').optional(),
        region: globField('a Region glob').optional(),
        cluster: globField('a cluster name glob').optional(),
        reason: text('why the finding is accepted'),
        expires: text('an ISO date')
          .refine(isoDateOrDateTime, { error: 'must be an ISO date (2027-01-31) or date-time with a time zone (2027-01-31T12:00:00Z)' })
          .refine((value) => !isoDateOrDateTime(value) || expiryTime(value) <= expiryTime(latest), {
            error: (issue) => `${String(issue.input)} is more than one year ahead: at most ${latest}, then review and renew it`,
          }),
      },
      { error: unknownKey },
    )
    .refine((s) => MATCHERS.some((m) => s[m] !== undefined), { error: `needs at least one of ${MATCHERS.join(', ')}` });
  return z.strictObject({ suppressions: z.array(suppression, { error: 'required, a list' }) }, { error: unknownKey });
}

/**
 * Parses a suppressions file, JSON or YAML (by extension, else by content). A malformed file is
 * an error naming the source, entry and field (`suppressions[3].expires: required`): a blank
 * reason, an `expires` more than a year ahead, a glob that cannot compile, a `rule` that matches
 * no loaded rule.
 */
export function parseSuppressions(content: string, source: string, options: ParseOptions = {}): Suppression[] {
  let data: unknown;
  const json = /\.json$/i.test(source) || (!/\.ya?ml$/i.test(source) && content.trimStart().startsWith('{'));
  try {
    // YAML's failsafe schema reads every scalar as a string: an account id stays 012345678901,
    // a date stays the text written.
    data = json ? JSON.parse(content) : parseYaml(content, { schema: 'failsafe', uniqueKeys: true });
  } catch (error) {
    throw new SuppressionsError(`${source}: not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = fileSchema(options).safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new SuppressionsError(`${source}: ${problems.join('; ')}`);
  }
  return parsed.data.suppressions;
}

/** Reads the suppressions file at `s3://bucket/key` (Lambda) or a local path (CLI). */
export async function loadSuppressions(location: string, deps: { s3?: S3Client } = {}, options: ParseOptions = {}): Promise<Suppression[]> {
  const s3Location = parseS3Uri(location);
  let content: string | undefined;
  try {
    if (s3Location === undefined) content = await readFile(location, 'utf8');
    else if (deps.s3 === undefined) throw new SuppressionsError(`${location}: no S3 client to read it with`);
    else content = await getS3Text(deps.s3, s3Location);
  } catch (error) {
    if (error instanceof SuppressionsError) throw error;
    throw new SuppressionsError(`${location}: cannot be read: ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
  }
  if (content === undefined) throw new SuppressionsError(`${location}: no such object`);
  return parseSuppressions(content, location, options);
}

/** Splits findings into active, suppressed and back-from-expired, as of `now`. */
export function applySuppressions(findings: Finding[], suppressions: Suppression[], now: string): SuppressionOutcome {
  const nowMs = Date.parse(now);
  const compiled = suppressions.map((suppression) => ({ suppression, matches: compile(suppression), ends: expiryTime(suppression.expires) }));
  const outcome: SuppressionOutcome = { active: [], suppressed: [], expired: [], unused: [] };
  const used = new Set<(typeof compiled)[number]>();
  for (const finding of findings) {
    const matching = compiled.filter((c) => c.matches(finding));
    for (const c of matching) used.add(c);
    const live = matching.find((c) => c.ends > nowMs);
    if (live !== undefined) {
      outcome.suppressed.push({ finding, reason: live.suppression.reason, expires: live.suppression.expires });
      continue;
    }
    // The most recent expiry is the one people remember agreeing to.
    const last = matching.sort((a, b) => b.ends - a.ends)[0];
    const back = last === undefined ? finding : { ...finding, suppressionExpired: last.suppression.expires };
    outcome.active.push(back);
    if (last !== undefined) outcome.expired.push({ finding: back, suppression: last.suppression });
  }
  outcome.unused = compiled.flatMap((c, entry) => (used.has(c) ? [] : [unusedEntry(entry, c.suppression)]));
  return outcome;
}

function unusedEntry(entry: number, suppression: Suppression): UnusedSuppression {
  const matchers = Object.fromEntries(MATCHERS.flatMap((m) => (suppression[m] === undefined ? [] : [[m, suppression[m]]])));
  return { entry, matchers, reason: suppression.reason, expires: suppression.expires };
}

// In a module of its own: the text renderers (and so `fleet-audit check`) load it without the S3 client.
export { describeUnused } from './unused-suppression.js';

/** When a suppression stops applying: a date-only expiry lasts through that day (UTC). */
export function expiryTime(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T00:00:00Z`) + DAY_MS : Date.parse(expires);
}

function compile(suppression: Suppression): (finding: Finding) => boolean {
  // `ou` matches any OU above the account, as `--ou` takes a whole subtree.
  const valuesOf: Record<(typeof MATCHERS)[number], (f: Finding) => readonly string[]> = {
    rule: (f) => [f.ruleId],
    account: (f) => [f.accountId],
    ou: (f) => f.ouPath ?? (f.ou === undefined ? [] : [f.ou]),
    region: (f) => [f.region],
    cluster: (f) => [f.clusterName],
  };
  const tests = MATCHERS.flatMap((m) => {
    const glob = suppression[m];
    if (glob === undefined) return [];
    const isMatch = compileGlob(glob);
    return [(f: Finding) => valuesOf[m](f).some((value) => isMatch(value))];
  });
  return (finding) => tests.every((test) => test(finding));
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  return out === '' ? '(file)' : out;
}
