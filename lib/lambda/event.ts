import { z } from 'zod';

/** What one invocation is asked to do. */
export interface AuditRequest {
  trigger: 'schedule' | 'manual';
  /** Overrides AUDIT_ACCOUNTS for this run. */
  accounts?: string[];
  /** Overrides AUDIT_REGIONS for this run. */
  regions?: string[] | 'all';
  /** Evaluate and report; deliver nothing. */
  dryRun: boolean;
}

export class AuditEventError extends Error {
  override readonly name = 'AuditEventError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const scheduled = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not a region name');
const manual = z.strictObject({
  accounts: z.array(z.string().regex(/^\d{12}$/, 'an account id has 12 digits')).min(1).optional(),
  regions: z.union([z.literal('all'), z.array(region).min(1)]).optional(),
  dryRun: z.boolean().optional(),
});

/** The EventBridge schedule, or a manual invoke `{accounts?, regions?, dryRun?}`; anything else is rejected. */
export function parseAuditEvent(event: unknown): AuditRequest {
  if (scheduled.safeParse(event).success) return { trigger: 'schedule', dryRun: false };
  const parsed = manual.safeParse(event ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
    throw new AuditEventError(
      `not an audit event: ${problems}. Send the EventBridge schedule, or {"accounts": ["123456789012"], "regions": ["us-east-1"] | "all", "dryRun": true}`,
    );
  }
  const { accounts, regions, dryRun } = parsed.data;
  return { trigger: 'manual', dryRun: dryRun ?? false, ...(accounts ? { accounts } : {}), ...(regions ? { regions } : {}) };
}
