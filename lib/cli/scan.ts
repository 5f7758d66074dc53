import { hostname, userInfo } from 'node:os';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfigError, readConfig, type AuditConfig } from '../config.js';
import { SuppressionsError } from '../deliver/suppressions.js';
import { renderMarkdown, renderText } from '../report/render.js';
import { coverageLine } from '../report/group.js';
import { loadRules, RuleValidationError } from '../rules/load.js';
import { LeaseHeldError, RunLease } from '../deliver/lease.js';
import { runAudit, runIdOf, type RunOutcome } from '../run.js';
import { isAtOrAbove } from '../severity.js';
import type { Severity } from '../types.js';
import { scanOptionsOf, wireAwsPorts, type WiredPorts } from '../wiring.js';
import { asUsageError, CouldNotRunError, EXIT, infrastructureProblem, UsageError } from './errors.js';
import { scanProgress } from './progress.js';
import { forTerminal } from '../escape.js';
import { PointerHistoryStore } from '../deliver/history/store.js';
import { renderStored, type StoredFormat } from './report.js';
import { checkOutputPath, writeReport } from './output.js';
import { checkCompanions, checkEndpoint, checkHistoryBucket, checkNotEmpty, checkProfile } from './preflight.js';
import { onInterrupt } from './interrupt.js';
import { watchCredentialExpiry, type CredentialExpiryWatch } from './expiry.js';
import { checkSelection, memoizedDirectory } from './selection.js';

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
  /** Ends the process after an interrupted run released its lease (default process.exit). */
  exit?: (code: number) => unknown;
  /** Where SIGINT and SIGTERM come from (default process). */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
}

/**
 * `fleet-audit scan`: the Lambda's engine with the caller's own credentials. Returns the exit
 * code (EXIT); throws UsageError (bad input) or CouldNotRunError (credentials, network, access).
 */
export async function runScan(flags: ScanFlags, io: ScanIo, env = process.env): Promise<number> {
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  checkScanFlags(flags);
  await checkProfile(env);
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (await profileRegion());
  if (!region) throw new UsageError('no home region: give --region, set AWS_REGION, or set a region in your AWS profile (AWS_PROFILE)');
  const config = configFromFlags({ ...flags, region }, env);
  if (flags.out) await checkOutputPath(flags.out);
  const rules = await asUsageError(() => loadRules(flags.rules ?? []), [RuleValidationError]);
  const expiry = watchCredentialExpiry();
  const wiredPorts = await wireAwsPorts(config, rules, {
    instrument: expiry.instrument,
    ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
    ...(flags.historyDir ? { historyDir: flags.historyDir } : {}),
    ...(flags.suppressions ? { suppressionsFile: flags.suppressions } : {}),
  }).catch((error: unknown) => {
    if (error instanceof SuppressionsError) throw new UsageError(`--suppressions ${error.message}`, { cause: error });
    return couldNotRun(flags)(error);
  });
  const ports = { ...wiredPorts, collect: { ...wiredPorts.collect, directory: memoizedDirectory(wiredPorts.collect.directory) } };
  let uninstall = () => undefined as void;
  let lease: RunLease | undefined;
  try {
    if (flags.historyBucket && ports.historyBackend) await checkHistoryBucket(ports.historyBackend, flags.historyBucket, region, flags.endpoint);
    const leftOut = await checkSelection(ports.collect.directory, config).catch((error: unknown) => {
      if (error instanceof UsageError) throw error;
      return couldNotRun(flags)(error);
    });
    if (leftOut) err(`${leftOut}\n`);
    // A run that delivers takes the same lease as the nightly run, where its history is.
    const delivers = Boolean(flags.securityHub || flags.topicArn);
    if (delivers && !flags.historyBucket) {
      err(`warning: no --history-bucket: this run does not take the nightly run's lease${flags.historyDir ? ' (--history-dir is a history of its own)' : ''} and may overlap it\n`);
      // The nightly run reads Security Hub only where its own history says findings of ours may be.
      if (flags.securityHub) {
        err(
          'warning: --security-hub without --history-bucket: a nightly audit stack will not know this run imported findings; one imported into an account-region where it has none may never be archived once fixed (Security Hub deletes it after 90 days). Pass the stack\'s --history-bucket.\n',
        );
      }
    }
    const runId = runIdOf(new Date());
    if (delivers && ports.historyBackend) {
      try {
        lease = await RunLease.acquire(ports.historyBackend, { runId, holder: `cli:${userInfo().username}@${hostname()}` });
      } catch (error) {
        if (error instanceof LeaseHeldError) {
          err(`${leaseHeldMessage(error, flags.historyBucket)}\n`);
          return EXIT.failed;
        }
        return couldNotRun(flags)(error);
      }
      const held = lease;
      uninstall = onInterrupt({ err, release: () => held.release(), exit: io.exit ?? ((code) => process.exit(code)), ...(io.signals ? { signals: io.signals } : {}) });
    }
    return await scanAndReport(flags, io, { config, rules, ports, runId, delivers, expiry, ...(lease ? { lease } : {}) }, err);
  } finally {
    uninstall();
    await lease?.release();
    ports.destroy();
  }
}

/** Flags checked before any call: each error names the flag (exit 2). */
function checkScanFlags(flags: ScanFlags): void {
  checkEndpoint(flags.endpoint);
  checkNotEmpty({ '--accounts': flags.accounts, '--regions': flags.regions, '--ou': flags.ou });
  checkCompanions(
    { '--notify': flags.notify, '--min-severity': flags.minSeverity, '--history-prefix': flags.historyPrefix },
    {
      '--notify': ['--topic-arn (the SNS topic it publishes to)', flags.topicArn],
      '--min-severity': ['--topic-arn (it filters what is published there)', flags.topicArn],
      '--history-prefix': ['--history-bucket (the bucket the prefix is in)', flags.historyBucket],
    },
  );
  if (flags.historyDir && flags.historyBucket) throw new UsageError('--history-dir and --history-bucket: give one run history, not both');
}

/** Another run holds the lease: who, until when, and what to do. */
function leaseHeldMessage(error: LeaseHeldError, bucket: string | undefined): string {
  // The lease object is read from the bucket: its values are shown as text, nothing more.
  const [runId, holder, expiresAt] = [error.held.runId, error.held.holder, error.held.expiresAt].map(forTerminal);
  const nightly = holder!.startsWith('lambda:');
  return [
    `fleet-audit: another run holds the run lease${bucket ? ` in ${bucket}` : ''}: run ${runId} by ${holder}, until ${expiresAt} (renewed while it runs).`,
    `  Two delivering runs at once would undo each other's Security Hub updates, so this one does not start.`,
    `  Wait for ${nightly ? 'the nightly run' : 'that run'} to finish and retry; scan without --security-hub and --topic-arn to only read;` +
      ' a run that crashed lets its lease expire at that time on its own.',
  ].join('\n');
}

interface Wired {
  config: AuditConfig;
  rules: Awaited<ReturnType<typeof loadRules>>;
  ports: WiredPorts;
  runId: string;
  delivers: boolean;
  expiry: CredentialExpiryWatch;
  lease?: RunLease;
}

/** The run itself, its report written (to --out, or a fallback file when --out went away), and its exit code. */
async function scanAndReport(flags: ScanFlags, io: ScanIo, wired: Wired, err: (s: string) => unknown): Promise<number> {
  const { config, rules, ports, runId, delivers, lease, expiry } = wired;
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
    if (expiry.expired) {
      // Every account after it would be one more error of the same cause: one line instead.
      const problem = infrastructureProblem(expiry.expired, flags.endpoint);
      throw new CouldNotRunError(`${problem} The run stopped at the first refusal: nothing more was scanned or delivered; run it again once they are refreshed.`, { cause: expiry.expired });
    }
    const text =
      flags.format === 'html' || flags.format === 'csv'
        ? await renderStored(outcome.report, flags.format, { rules, ...(ports.historyBackend ? { store: new PointerHistoryStore(ports.historyBackend) } : {}) })
        : `${flags.format === 'json' ? JSON.stringify(outcome.report, null, 2) : flags.format === 'markdown' ? renderMarkdown(outcome) : renderText(outcome, io.isTty && !flags.out)}\n`;
    const written = flags.out ? await writeReport(flags.out, text, runId) : undefined;
    if (!flags.out) io.out(text);
    const reasons = incompleteness(outcome);
    progress.done(
      [
        written?.fallbackBecause ? `fleet-audit: --out ${flags.out} could not be written (${written.fallbackBecause}): the report is in ${written.path}` : '',
        `coverage: ${coverageLine(outcome.report)}`,
        written && !written.fallbackBecause ? `wrote ${written.path}` : '',
        reasons.length ? `incomplete: ${reasons.join(', ')} (the report names each)` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    const code = scanExitCode(outcome, flags.failOn);
    // The report is not where it was asked for: a CI step reading --out must not pass.
    return written?.fallbackBecause && code === EXIT.ok ? EXIT.incomplete : code;
  } finally {
    progress.stop();
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
