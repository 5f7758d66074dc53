import { parse } from '@aws-lambda-powertools/parser';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { regionName } from '../config.js';

/**
 * The events the functions accept, one strict schema per kind (Powertools Parser over zod):
 * an unknown key, a missing one, an empty or null payload is refused with the path of each
 * problem, never read as "run the whole night with the defaults".
 */
export class EventError extends Error {
  override readonly name = 'EventError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What one invocation of the audit is asked to do. */
export interface AuditRequest {
  trigger: 'schedule' | 'manual';
  /** Overrides AUDIT_ACCOUNTS for this run. */
  accounts?: string[];
  /** Overrides AUDIT_REGIONS for this run. */
  regions?: string[] | 'all';
  /** Evaluate and report; deliver nothing. */
  dryRun: boolean;
}

/**
 * The EventBridge schedule's event, exactly: Powertools' EventBridge envelope with the scheduler's
 * source and detail-type, an empty `detail`, and no other key (`"dryRun"` or `"accounts"` added
 * to a scheduled event are refused: the schedule runs the full, delivering night only).
 */
export const scheduledEventSchema = z.strictObject({
  ...EventBridgeSchema.shape,
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  detail: z.strictObject(
    {},
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' ? `a scheduled event's detail is empty (found ${issue.keys.map((k) => `"${k}"`).join(', ')})` : "a scheduled event's detail is an empty object",
    },
  ),
});

/** A manual invoke: at least one of accounts, regions, dryRun (`{"dryRun": false}` for a full run). */
export const manualEventSchema = z
  .strictObject({
    accounts: z.array(z.string().regex(/^\d{12}$/, 'an account id has 12 digits')).min(1).optional(),
    regions: z.union([z.literal('all'), z.array(regionName).min(1)]).optional(),
    dryRun: z.boolean().optional(),
  })
  .refine((e) => Object.keys(e).length > 0, 'an empty manual invoke is refused: send {"dryRun": false} for a full run');

type Issue = { path?: readonly (PropertyKey | { key: PropertyKey })[]; message: string };

const pathOf = (issue: Issue) => (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(event)';

/** Parses `event` with Powertools Parser; an EventError lists up to five problems with their paths. */
export function parseEvent<T extends z.ZodType>(schema: T, event: unknown, what: string): z.output<T> {
  const result = parse(event, undefined, schema, true);
  if (result.success) return result.data as z.output<T>;
  const issues = (result.error.cause ?? []) as Issue[];
  const problems = issues.slice(0, 5).map((i) => `${pathOf(i)}: ${i.message}`).join('; ');
  throw new EventError(`not ${what} event: ${problems || result.error.message}`, { cause: result.error });
}

const MANUAL_HINT = 'Send the EventBridge schedule, or {"accounts": ["123456789012"], "regions": ["us-east-1"] | "all", "dryRun": true}';

/** The EventBridge schedule, or a manual invoke `{accounts?, regions?, dryRun?}`; anything else is refused. */
export function parseAuditEvent(event: unknown): AuditRequest {
  if (event === null || event === undefined || (typeof event !== 'object' && typeof event !== 'string')) {
    throw new EventError(`not an audit event: the payload is ${JSON.stringify(event) ?? 'empty'}. ${MANUAL_HINT}`);
  }
  // Anything that names EventBridge's keys is judged as a scheduled event, so its problems are the ones reported.
  if (typeof event === 'object' && ('source' in event || 'detail-type' in event)) {
    parseEvent(scheduledEventSchema, event, 'a scheduled');
    return { trigger: 'schedule', dryRun: false };
  }
  try {
    const { accounts, regions, dryRun } = parseEvent(manualEventSchema, event, 'an audit');
    return { trigger: 'manual', dryRun: dryRun ?? false, ...(accounts ? { accounts } : {}), ...(regions ? { regions } : {}) };
  } catch (error) {
    if (error instanceof EventError) throw new EventError(`${error.message}. ${MANUAL_HINT}`, { cause: error.cause });
    throw error;
  }
}
