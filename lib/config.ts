import { z } from 'zod';
import { DAEMONSET_READ_MODES, type DaemonSetReadMode } from './collect/kubernetes/mode.js';
import { SEVERITIES, type Severity } from './types.js';

/**
 * The auditor's configuration, read once from the environment (the Lambda's, set by
 * serverless.yml parameters) and validated: a bad or missing setting fails the run at start with
 * the variable's name, never half-way through an organization.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type NotifyMode = 'always' | 'on-change' | 'never';

export interface AuditConfig {
  partition: string;
  homeRegion: string;
  roleName: string;
  /** Never logged. */
  externalId?: string;
  sessionName: string;
  regions: string[] | 'all';
  accounts?: string[];
  excludeAccounts?: string[];
  ous?: string[];
  excludeOus?: string[];
  assumeRoleInManagementAccount: boolean;
  concurrency: number;
  perAccountConcurrency: number;
  retryMode: 'standard' | 'adaptive';
  maxAttempts: number;
  topicArn?: string;
  historyBucket?: string;
  historyPrefix: string;
  notifyMode: NotifyMode;
  minSeverity: Severity;
  suppressionsUri?: string;
  securityHub: boolean;
  /** Stop starting new accounts this long before the Lambda's deadline. */
  deadlineMarginMs: number;
  /** The Step Functions state machine of the distributed run (set by serverless.yml). */
  stateMachineArn?: string;
  /** Above this many selected accounts, the run goes to the state machine (0: always). */
  distributedThreshold: number;
  /** When the aws-node DaemonSet is read through the Kubernetes API. */
  readDaemonSet: DaemonSetReadMode;
}

/** The environment variables, what each holds: the README's configuration table is made from this. */
export const CONFIG_VARIABLES = {
  AWS_REGION: 'home region (Organizations, STS); set by Lambda',
  AUDIT_ROLE_NAME: 'name of the audit role in every member account (required)',
  AUDIT_EXTERNAL_ID: 'ExternalId the audit role requires (optional, never logged)',
  AUDIT_SESSION_NAME: 'RoleSessionName of the AssumeRole calls (default eks-fleet-auditor)',
  AUDIT_REGIONS: '"all" (regions enabled in each account) or a comma list (default all)',
  AUDIT_ACCOUNTS: 'comma list of account ids to scan (default: every ACTIVE account)',
  AUDIT_EXCLUDE_ACCOUNTS: 'comma list of account ids to skip',
  AUDIT_OUS: 'comma list of OU ids whose subtrees are scanned',
  AUDIT_EXCLUDE_OUS: 'comma list of OU ids whose subtrees are skipped',
  AUDIT_ASSUME_ROLE_IN_MANAGEMENT: 'true to assume the audit role in the management account too (default false)',
  AUDIT_CONCURRENCY: 'accounts scanned at once (default 32)',
  AUDIT_ACCOUNT_CONCURRENCY: 'EKS calls in flight per account (default 8)',
  AUDIT_RETRY_MODE: 'the SDK retry strategy: standard or adaptive (default standard)',
  AUDIT_MAX_ATTEMPTS: 'SDK attempts per call, retries included (default 8)',
  TOPIC_ARN: 'SNS topic for the email digest and the Slack message (unset: no notification)',
  HISTORY_BUCKET: 'S3 bucket for run reports (unset: no history, every finding is NEW)',
  HISTORY_PREFIX: 'key prefix in the history bucket (default fleet-audit/)',
  NOTIFY_MODE: 'always | on-change | never (default on-change)',
  MIN_SEVERITY: 'lowest severity that is notified (default low)',
  SUPPRESSIONS_URI: 's3://bucket/key of the suppressions file (JSON or YAML; optional)',
  SECURITY_HUB: 'true to import findings into Security Hub (default true)',
  DEADLINE_MARGIN_MS: 'stop starting new accounts this long before the Lambda timeout (default 60000)',
  STATE_MACHINE_ARN: 'the distributed run (Step Functions) for large organizations (set by serverless.yml; unset: always one Lambda)',
  DISTRIBUTED_THRESHOLD: 'above this many selected accounts the run is distributed (default 1500; 0: always)',
  AUDIT_READ_DAEMONSET: 'when the aws-node DaemonSet is read through the Kubernetes API: self-managed (clusters without the managed add-on), all (also managed add-ons, to record drift) or never (default self-managed)',
} as const;

type Env = Record<string, string | undefined>;

const list = (value: string | undefined) => {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
};

function variable<T>(env: Env, name: keyof typeof CONFIG_VARIABLES, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(env[name]?.trim() || undefined);
  if (!parsed.success) {
    const value = name === 'AUDIT_EXTERNAL_ID' ? '' : ` (got "${env[name]}")`;
    throw new ConfigError(`${name}: ${parsed.error.issues[0]!.message}${value}; expected ${CONFIG_VARIABLES[name]}`);
  }
  return parsed.data;
}

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int(`must be a whole number`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`).default(fallback);
const bool = (fallback: boolean) =>
  z.enum(['true', 'false'], 'must be true or false').default(fallback ? 'true' : 'false').transform((v) => v === 'true');
const accountIds = z.string().optional().transform(list).pipe(z.array(z.string().regex(/^\d{12}$/, 'every account id has 12 digits')).optional());
const ouIds = z.string().optional().transform(list).pipe(z.array(z.string().regex(/^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/, 'every OU id looks like ou-abcd-12345678')).optional());

export function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** Reads and validates the whole configuration; throws ConfigError naming the variable. */
export function readConfig(env: Env = process.env): AuditConfig {
  const homeRegion = variable(env, 'AWS_REGION', z.string('is required').regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'is not a region name'));
  const regions = variable(
    env,
    'AUDIT_REGIONS',
    z
      .string()
      .default('all')
      .transform((v) => (v === 'all' ? ('all' as const) : list(v) ?? []))
      .refine((v) => v === 'all' || (v.length > 0 && v.every((r) => /^[a-z]{2}(-[a-z]+)+-\d$/.test(r))), 'is "all" or a comma list of region names'),
  );
  const topicArn = variable(env, 'TOPIC_ARN', z.string().regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, 'is not an SNS topic ARN').optional());
  return {
    partition: partitionOf(homeRegion),
    homeRegion,
    roleName: variable(env, 'AUDIT_ROLE_NAME', z.string('is required').regex(/^[\w+=,.@/-]{1,64}$/, 'is not an IAM role name')),
    ...optional('externalId', variable(env, 'AUDIT_EXTERNAL_ID', z.string().min(2).max(1224).optional())),
    sessionName: variable(env, 'AUDIT_SESSION_NAME', z.string().regex(/^[\w+=,.@-]{2,64}$/, 'is not a valid session name').default('eks-fleet-auditor')),
    regions,
    ...optional('accounts', variable(env, 'AUDIT_ACCOUNTS', accountIds)),
    ...optional('excludeAccounts', variable(env, 'AUDIT_EXCLUDE_ACCOUNTS', accountIds)),
    ...optional('ous', variable(env, 'AUDIT_OUS', ouIds)),
    ...optional('excludeOus', variable(env, 'AUDIT_EXCLUDE_OUS', ouIds)),
    assumeRoleInManagementAccount: variable(env, 'AUDIT_ASSUME_ROLE_IN_MANAGEMENT', bool(false)),
    concurrency: variable(env, 'AUDIT_CONCURRENCY', integer(1, 256, 32)),
    perAccountConcurrency: variable(env, 'AUDIT_ACCOUNT_CONCURRENCY', integer(1, 64, 8)),
    retryMode: variable(env, 'AUDIT_RETRY_MODE', z.enum(['standard', 'adaptive'], 'must be standard or adaptive').default('standard')),
    maxAttempts: variable(env, 'AUDIT_MAX_ATTEMPTS', integer(1, 20, 8)),
    ...optional('topicArn', topicArn),
    ...optional('historyBucket', variable(env, 'HISTORY_BUCKET', z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a bucket name').optional())),
    historyPrefix: variable(env, 'HISTORY_PREFIX', z.string().default('fleet-audit/')),
    notifyMode: variable(env, 'NOTIFY_MODE', z.enum(['always', 'on-change', 'never'], 'must be always, on-change or never').default('on-change')),
    minSeverity: variable(env, 'MIN_SEVERITY', z.enum(SEVERITIES as [Severity, ...Severity[]], `must be one of ${SEVERITIES.join(', ')}`).default('low')),
    ...optional('suppressionsUri', variable(env, 'SUPPRESSIONS_URI', z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'must look like s3://bucket/key').optional())),
    securityHub: variable(env, 'SECURITY_HUB', bool(true)),
    deadlineMarginMs: variable(env, 'DEADLINE_MARGIN_MS', integer(0, 600_000, 60_000)),
    ...optional('stateMachineArn', variable(env, 'STATE_MACHINE_ARN', z.string().regex(/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/, 'is not a state machine ARN').optional())),
    distributedThreshold: variable(env, 'DISTRIBUTED_THRESHOLD', integer(0, 1_000_000, 1500)),
    readDaemonSet: variable(env, 'AUDIT_READ_DAEMONSET', z.enum(DAEMONSET_READ_MODES, `must be ${DAEMONSET_READ_MODES.join(', ')}`).default('self-managed')),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The configuration as it may be logged: no ExternalId. */
export function redactedConfig(config: AuditConfig): Omit<AuditConfig, 'externalId'> & { externalId?: '(set)' } {
  const { externalId, ...rest } = config;
  return externalId ? { ...rest, externalId: '(set)' } : rest;
}
