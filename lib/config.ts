import { z } from 'zod';
import { DAEMONSET_READ_MODES, type DaemonSetReadMode } from './collect/kubernetes/mode.js';
import { knownRegion } from './partitions.js';
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
  /** The SSM parameter (SecureString) the Lambda reads the ExternalId from at cold start. */
  externalIdParameter?: string;
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
  /** Whether the notification links the fleet page with a presigned URL (else the S3 console's link). */
  reportPresign: boolean;
}

/** The environment variables, what each holds: the README's configuration table is made from this. */
export const CONFIG_VARIABLES = {
  AWS_REGION: 'home region (Organizations, STS); set by Lambda',
  AUDIT_ROLE_NAME: 'name of the audit role in every member account (required)',
  AUDIT_EXTERNAL_ID: 'ExternalId the audit role requires (optional, never logged; the CLI\'s --external-id)',
  AUDIT_EXTERNAL_ID_PARAMETER: 'name of the SSM SecureString parameter holding the ExternalId, read once per Lambda container (set by serverless.yml from externalIdParameter; optional)',
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
  HISTORY_PREFIX: 'key prefix in the history bucket: path segments of letters, digits, . _ -, ending in / (default fleet-audit/)',
  NOTIFY_MODE: 'always | on-change | never (default on-change)',
  MIN_SEVERITY: 'lowest severity that is notified (default low)',
  SUPPRESSIONS_URI: 's3://bucket/key of the suppressions file (JSON or YAML; optional)',
  SECURITY_HUB: 'true to import findings into Security Hub (default true)',
  DEADLINE_MARGIN_MS: 'stop starting new accounts this long before the Lambda timeout (default 60000); refused at invocation when it leaves less than 1 s to scan',
  STATE_MACHINE_ARN: 'the distributed run (Step Functions) for large organizations (set by serverless.yml; unset: always one Lambda)',
  DISTRIBUTED_THRESHOLD: 'above this many selected accounts the run is distributed (default 1500; 0: always)',
  REPORT_PRESIGN: 'true: the email and Slack message link each run\'s fleet page (report.html beside its JSON) with a presigned URL, valid 7 days at most; false: with the S3 console\'s link (default true)',
  AUDIT_READ_DAEMONSET: 'when the aws-node DaemonSet is read through the Kubernetes API: self-managed (clusters without the managed add-on), all (also managed add-ons, to record drift) or never (default self-managed)',
} as const;

type Env = Record<string, string | undefined>;

const list = (value: string | undefined) => {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
};

/** Variables whose value is never echoed in an error. */
const SECRET_VARIABLES: ReadonlySet<keyof typeof CONFIG_VARIABLES> = new Set(['AUDIT_EXTERNAL_ID']);

function variable<T>(env: Env, name: keyof typeof CONFIG_VARIABLES, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(env[name]?.trim() || undefined);
  if (!parsed.success) {
    const value = SECRET_VARIABLES.has(name) ? '' : ` (got "${env[name]}")`;
    throw new ConfigError(`${name}: ${parsed.error.issues[0]!.message}${value}; expected ${CONFIG_VARIABLES[name]}`);
  }
  return parsed.data;
}

/** Whole decimal numbers only: `0x20`, `1e2`, `12.0` and ` 1_000` are refused, not read as 32, 100 or 12. */
const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole decimal number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);
const bool = (fallback: boolean) =>
  z.enum(['true', 'false'], 'must be true or false').default(fallback ? 'true' : 'false').transform((v) => v === 'true');
const accountIds = z.string().optional().transform(list).pipe(z.array(z.string().regex(/^\d{12}$/, 'every account id has 12 digits')).optional());
const ouIds = z.string().optional().transform(list).pipe(z.array(z.string().regex(/^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/, 'every OU id looks like ou-abcd-12345678')).optional());

/** An AWS Region the SDK lists (lib/partitions.ts): `eu-west-9` is refused, not scanned as nothing. */
export const regionName = z.string().refine((name) => knownRegion(name) !== undefined, { error: (issue) => `${String(issue.input)} is not an AWS Region` });

/** STS AssumeRole's ExternalId: 2 to 1224 characters of `[\w+=,.@:/-]` (the API reference's pattern). */
export const externalIdSchema = z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2 to 1224 characters of letters, digits and _+=,.@:/-');

/**
 * An S3 key prefix the IAM statements can be scoped to: path segments of letters, digits, `.`,
 * `_` and `-` (S3's "safe characters" without `*`, which IAM would read as a wildcard, and
 * without `!'()`), no `.` or `..` segment, ending in `/`.
 */
const historyPrefix = z
  .string()
  .max(256, 'must be at most 256 characters')
  .regex(/^([A-Za-z0-9._-]+\/)+$/, 'must be path segments of letters, digits, . _ - each ending in /')
  .refine((p) => !p.split('/').some((segment) => segment === '.' || segment === '..'), 'must not have a . or .. segment')
  .default('fleet-audit/');

/** SNS topic ARNs, standard or FIFO (`name.fifo`): 1 to 256 letters, digits, `-` and `_` (SNS CreateTopic). */
const topicArn = z
  .string()
  .regex(/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$/, 'is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>[.fifo])');

/** SSM parameter names: letters, digits and `_.-/`, 1 to 2048 characters, `/` first when hierarchical (PutParameter). */
const parameterName = z.string().regex(/^(\/[\w.-]+)+$/, 'is not an SSM parameter path (/eks-fleet-auditor/external-id)').max(2048).optional();

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a bucket name');

/** HISTORY_BUCKET and HISTORY_PREFIX alone (the CLI's `report` reads a history and needs nothing else); throws ConfigError. */
export function readHistoryLocation(env: Env): Pick<AuditConfig, 'historyBucket' | 'historyPrefix'> {
  return {
    ...optional('historyBucket', variable(env, 'HISTORY_BUCKET', bucketName.optional())),
    historyPrefix: variable(env, 'HISTORY_PREFIX', historyPrefix),
  };
}

/** The partition of a Region the SDK lists; `aws` for anything else (validated apart). */
export function partitionOf(region: string): string {
  return knownRegion(region)?.partition ?? 'aws';
}

/** Reads and validates the whole configuration; throws ConfigError naming the variable. */
export function readConfig(env: Env = process.env): AuditConfig {
  const homeRegion = variable(env, 'AWS_REGION', z.string('is required').pipe(regionName));
  const partition = partitionOf(homeRegion);
  const regions = variable(
    env,
    'AUDIT_REGIONS',
    z
      .string()
      .default('all')
      .transform((v) => (v === 'all' ? ('all' as const) : list(v) ?? []))
      .refine((v) => v === 'all' || v.length > 0, 'is "all" or a comma list of Region names')
      .pipe(z.union([z.literal('all'), z.array(regionName)]))
      .refine((v) => v === 'all' || v.every((r) => partitionOf(r) === partition), `every Region must be in the ${partition} partition of AWS_REGION`),
  );
  const externalId = variable(env, 'AUDIT_EXTERNAL_ID', externalIdSchema.optional());
  const externalIdParameter = variable(env, 'AUDIT_EXTERNAL_ID_PARAMETER', parameterName);
  if (externalId !== undefined && externalIdParameter !== undefined) {
    throw new ConfigError('AUDIT_EXTERNAL_ID_PARAMETER: set either it or AUDIT_EXTERNAL_ID, not both');
  }
  return {
    partition,
    homeRegion,
    roleName: variable(env, 'AUDIT_ROLE_NAME', z.string('is required').regex(/^[\w+=,.@/-]{1,64}$/, 'is not an IAM role name')),
    ...optional('externalId', externalId),
    ...optional('externalIdParameter', externalIdParameter),
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
    ...optional('topicArn', variable(env, 'TOPIC_ARN', topicArn.optional())),
    ...readHistoryLocation(env),
    notifyMode: variable(env, 'NOTIFY_MODE', z.enum(['always', 'on-change', 'never'], 'must be always, on-change or never').default('on-change')),
    minSeverity: variable(env, 'MIN_SEVERITY', z.enum(SEVERITIES as [Severity, ...Severity[]], `must be one of ${SEVERITIES.join(', ')}`).default('low')),
    ...optional('suppressionsUri', variable(env, 'SUPPRESSIONS_URI', z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'must look like s3://bucket/key').optional())),
    securityHub: variable(env, 'SECURITY_HUB', bool(true)),
    deadlineMarginMs: variable(env, 'DEADLINE_MARGIN_MS', integer(0, 900_000, 60_000)),
    ...optional('stateMachineArn', variable(env, 'STATE_MACHINE_ARN', z.string().regex(/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/, 'is not a state machine ARN').optional())),
    distributedThreshold: variable(env, 'DISTRIBUTED_THRESHOLD', integer(0, 1_000_000, 1500)),
    reportPresign: variable(env, 'REPORT_PRESIGN', bool(true)),
    readDaemonSet: variable(env, 'AUDIT_READ_DAEMONSET', z.enum(DAEMONSET_READ_MODES, `must be ${DAEMONSET_READ_MODES.join(', ')}`).default('self-managed')),
  };
}

/** The least time a run may have to scan, after DEADLINE_MARGIN_MS is set aside. */
export const MIN_SCAN_WINDOW_MS = 1_000;

/**
 * When the run stops starting new accounts: the Lambda's remaining time less DEADLINE_MARGIN_MS.
 * A margin that leaves less than MIN_SCAN_WINDOW_MS (a margin at or above the function timeout,
 * say) would scan nothing and succeed: it is a ConfigError naming the variable instead.
 */
export function deadlineOf(config: Pick<AuditConfig, 'deadlineMarginMs'>, now: number, remainingMs: number): number {
  const windowMs = remainingMs - config.deadlineMarginMs;
  if (windowMs < MIN_SCAN_WINDOW_MS) {
    throw new ConfigError(
      `DEADLINE_MARGIN_MS: ${config.deadlineMarginMs} ms leaves ${Math.max(0, windowMs)} ms of the Lambda's remaining ${remainingMs} ms to scan (at least ${MIN_SCAN_WINDOW_MS} ms needed); set it well below the function timeout`,
    );
  }
  return now + windowMs;
}

/** What the end of a run needs after Security Hub: the notification, the run history, the lease (at most). */
export const FINAL_DELIVERY_RESERVE_MS = 10_000;

/**
 * When Security Hub delivery must stop so the notification and the history still fit before the
 * Lambda ends: the reserve, or half the margin when the margin is smaller; never before the scan
 * deadline.
 */
export function deliverByOf(config: Pick<AuditConfig, 'deadlineMarginMs'>, now: number, remainingMs: number): number {
  const end = now + remainingMs;
  return Math.max(end - config.deadlineMarginMs, end - Math.min(FINAL_DELIVERY_RESERVE_MS, config.deadlineMarginMs / 2));
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The configuration as it may be logged: no ExternalId. */
export function redactedConfig(config: AuditConfig): Omit<AuditConfig, 'externalId'> & { externalId?: '(set)' } {
  const { externalId, ...rest } = config;
  return externalId ? { ...rest, externalId: '(set)' } : rest;
}
