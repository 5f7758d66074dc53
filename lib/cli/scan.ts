import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfigError, readConfig, type AuditConfig } from '../config.js';
import { SuppressionsError } from '../deliver/suppressions.js';
import { renderMarkdown, renderText } from '../report/render.js';
import { loadRules, RuleValidationError } from '../rules/load.js';
import { LeaseHeldError, RunLease } from '../deliver/lease.js';
import { runAudit, runIdOf, type RunOutcome } from '../run.js';
import { isAtOrAbove } from '../severity.js';
import type { Severity } from '../types.js';
import { scanOptionsOf, wireAwsPorts } from '../wiring.js';
import { asUsageError, CouldNotRunError, EXIT, infrastructureProblem, UsageError } from './errors.js';
import { scanProgress } from './progress.js';
import { PointerHistoryStore } from '../deliver/history/store.js';
import { renderStored, type StoredFormat } from './report.js';

export interface ScanFlags {
  regions?: string;
  roleName: string;
  externalId?: string;
  accounts?: string;
  excludeAccounts?: string;
  ou?: string;
  excludeOu?: string;
  concurrency?: string;
  maxAttempts?: string;
  rules?: string[];
  format: 'text' | 'json' | 'markdown' | StoredFormat;
  out?: string;
  region?: string;
  historyDir?: string;
  historyBucket?: string;
  historyPrefix?: string;
  suppressions?: string;
  securityHub?: boolean;
  topicArn?: string;
  notify?: string;
  minSeverity?: string;
  endpoint?: string;
  failOn?: Severity;
}

/** The flag behind each setting, so a bad value is reported the way the user typed it. */
const FLAG_OF: Record<string, string> = {
  AWS_REGION: '--region (or AWS_REGION)',
  AUDIT_ROLE_NAME: '--role-name',
  AUDIT_EXTERNAL_ID: '--external-id',
  AUDIT_REGIONS: '--regions',
  AUDIT_ACCOUNTS: '--accounts',
  AUDIT_EXCLUDE_ACCOUNTS: '--exclude-accounts',
  AUDIT_OUS: '--ou',
  AUDIT_EXCLUDE_OUS: '--exclude-ou',
  AUDIT_CONCURRENCY: '--concurrency',
  AUDIT_MAX_ATTEMPTS: '--max-attempts',
  TOPIC_ARN: '--topic-arn',
  HISTORY_BUCKET: '--history-bucket',
  HISTORY_PREFIX: '--history-prefix',
  NOTIFY_MODE: '--notify',
  MIN_SEVERITY: '--min-severity',
};

export function configFromFlags(flags: ScanFlags, env: NodeJS.ProcessEnv): AuditConfig {
  const settings: Record<string, string | undefined> = {
    AWS_REGION: flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    AUDIT_ROLE_NAME: flags.roleName,
    AUDIT_EXTERNAL_ID: flags.externalId,
    AUDIT_REGIONS: flags.regions,
    AUDIT_ACCOUNTS: flags.accounts,
    AUDIT_EXCLUDE_ACCOUNTS: flags.excludeAccounts,
    AUDIT_OUS: flags.ou,
    AUDIT_EXCLUDE_OUS: flags.excludeOu,
    AUDIT_CONCURRENCY: flags.concurrency,
    AUDIT_MAX_ATTEMPTS: flags.maxAttempts,
    TOPIC_ARN: flags.topicArn,
    NOTIFY_MODE: flags.notify ?? 'always',
    MIN_SEVERITY: flags.minSeverity,
    SECURITY_HUB: flags.securityHub ? 'true' : 'false',
    HISTORY_BUCKET: flags.historyBucket,
    HISTORY_PREFIX: flags.historyPrefix,
    DEADLINE_MARGIN_MS: '0',
  };
  try {
    return readConfig(settings);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const variable = /^(\w+):/.exec(error.message)?.[1] ?? '';
    throw new UsageError(error.message.replace(variable, FLAG_OF[variable] ?? variable).replace(/; expected .*$/, ''), { cause: error });
  }
}

/**
 * Checks --out before anything is scanned: a report that cannot be written is known now, not
 * after the organization was read and Security Hub was updated. Throws UsageError (exit 2).
 */
export async function checkOutputPath(out: string): Promise<void> {
  const file = resolve(out);
  const dir = dirname(file);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--out ${out}: is a directory; give a file name`);
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new UsageError(`--out ${out}: the directory ${dir} does not exist (create it first)`);
  if (!parent.isDirectory()) throw new UsageError(`--out ${out}: ${dir} is not a directory`);
  try {
    await access(existing ? file : dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--out ${out}: ${existing ? file : dir} is not writable`, { cause: error });
  }
}

/** What made a run incomplete (partial coverage, failed delivery), for exit 3; empty when complete. */
export function incompleteness(outcome: RunOutcome): string[] {
  const { coverage, errors } = outcome.report;
  const deliveryErrors = errors.filter((e) => e.stage.startsWith('deliver-')).length;
  const reasons = [
    coverage.accounts.failed ? `${coverage.accounts.failed} account(s) failed` : '',
    coverage.accounts.notReached ? `${coverage.accounts.notReached} account(s) not reached` : '',
    coverage.accounts.scanned === 0 ? 'no account was scanned' : '',
    coverage.regions.failed ? `${coverage.regions.failed} account-region(s) failed` : '',
    coverage.clusters.failed ? `${coverage.clusters.failed} cluster(s) failed` : '',
    deliveryErrors ? `${deliveryErrors} delivery error(s)` : '',
  ].filter(Boolean);
  const counted = coverage.accounts.failed + coverage.regions.failed + coverage.clusters.failed + deliveryErrors;
  if (errors.length > counted) reasons.push(`${errors.length - counted} other error(s)`);
  return reasons;
}

/** The exit code of a finished scan (EXIT): findings at --fail-on first, then an incomplete run. */
export function scanExitCode(outcome: RunOutcome, failOn: Severity | undefined): number {
  if (failOn !== undefined && outcome.report.findings.some((f) => isAtOrAbove(f.severity, failOn))) return EXIT.findings;
  return incompleteness(outcome).length > 0 ? EXIT.incomplete : EXIT.ok;
}

export interface ScanIo {
  out: (s: string) => unknown;
  /** Progress and warnings (default: standard error). */
  err?: (s: string) => unknown;
  /** Standard output is a terminal (colours in the text report). */
  isTty: boolean;
  /** Standard error is a terminal (the progress bar). */
  errTty: boolean;
}

/**
 * `fleet-audit scan`: the Lambda's engine with the caller's own credentials. Returns the exit
 * code (EXIT); throws UsageError (bad input) or CouldNotRunError (credentials, network, access).
 */
export async function runScan(flags: ScanFlags, io: ScanIo, env = process.env): Promise<number> {
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (await profileRegion());
  if (!region) throw new UsageError('no home region: give --region, set AWS_REGION, or set a region in your AWS profile (AWS_PROFILE)');
  const config = configFromFlags({ ...flags, region }, env);
  if (flags.historyDir && flags.historyBucket) throw new UsageError('--history-dir and --history-bucket: give one run history, not both');
  if (flags.out) await checkOutputPath(flags.out);
  const rules = await asUsageError(() => loadRules(flags.rules ?? []), [RuleValidationError]);
  const ports = await asUsageError(
    () =>
      wireAwsPorts(config, rules, {
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
        ...(flags.historyDir ? { historyDir: flags.historyDir } : {}),
        ...(flags.suppressions ? { suppressionsFile: flags.suppressions } : {}),
      }),
    [SuppressionsError],
  ).catch(couldNotRun(flags));
  // A run that delivers takes the same lease as the nightly run, where its history is.
  const delivers = Boolean(flags.securityHub || flags.topicArn);
  if (delivers && !flags.historyBucket) {
    err(`warning: no --history-bucket: this run does not take the nightly run's lease${flags.historyDir ? ' (--history-dir is a history of its own)' : ''} and may overlap it\n`);
  }
  const runId = runIdOf(new Date());
  let lease: RunLease | undefined;
  if (delivers && ports.historyBackend) {
    try {
      lease = await RunLease.acquire(ports.historyBackend, { runId, holder: `cli:${userInfo().username}@${hostname()}` });
    } catch (error) {
      ports.destroy();
      if (error instanceof LeaseHeldError) {
        err(`${error.message}\n`);
        return EXIT.failed;
      }
      return couldNotRun(flags)(error);
    }
  }
  const progress = scanProgress({ err, errTty: io.errTty });
  try {
    const narrowed = Boolean(flags.accounts || flags.excludeAccounts || flags.ou || flags.excludeOu || (flags.regions && flags.regions !== 'all'));
    const outcome = await runAudit(
      {
        runId,
        scan: { ...scanOptionsOf(config), narrowed, onProgress: (p) => progress.scan(p) },
        notify: { mode: config.notifyMode, minSeverity: config.minSeverity },
        ...(lease ? { lease } : {}),
        // The stack's history is the nightly run's: a run that delivers nothing only reads it, and
        // one that publishes no message does not count the news as told.
        ...(flags.historyBucket ? { historyMode: delivers ? 'publish-only' : 'read' } : {}),
        onPhase: (p) => progress.phase(p),
      },
      ports,
    ).catch(couldNotRun(flags));
    const text =
      flags.format === 'html' || flags.format === 'csv'
        ? await renderStored(outcome.report, flags.format, { rules, ...(ports.historyBackend ? { store: new PointerHistoryStore(ports.historyBackend) } : {}) })
        : `${flags.format === 'json' ? JSON.stringify(outcome.report, null, 2) : flags.format === 'markdown' ? renderMarkdown(outcome) : renderText(outcome, io.isTty && !flags.out)}\n`;
    if (flags.out) await writeFile(flags.out, text);
    else io.out(text);
    const reasons = incompleteness(outcome);
    progress.done([flags.out ? `wrote ${flags.out}` : '', reasons.length ? `incomplete: ${reasons.join(', ')} (the report names each)` : ''].filter(Boolean).join('\n'));
    return scanExitCode(outcome, flags.failOn);
  } finally {
    progress.stop();
    await lease?.release();
    ports.destroy();
  }
}

/** The region of the AWS profile in use (AWS_PROFILE, ~/.aws/config), resolved as the SDK resolves it; undefined when none is set. */
async function profileRegion(): Promise<string | undefined> {
  const client = new STSClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

/** Credentials, network and access problems become one line with a hint (exit 4); anything else is rethrown. */
function couldNotRun(flags: ScanFlags) {
  return (error: unknown): never => {
    const problem = infrastructureProblem(error, flags.endpoint);
    throw problem ? new CouldNotRunError(problem, { cause: error }) : error;
  };
}
