import { writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import cliProgress from 'cli-progress';
import { ConfigError, readConfig, type AuditConfig } from '../config.js';
import { SuppressionsError } from '../deliver/suppressions.js';
import { renderMarkdown, renderText } from '../report/render.js';
import { loadRules, RuleValidationError } from '../rules/load.js';
import { LeaseHeldError, RunLease } from '../deliver/lease.js';
import { runAudit, runIdOf } from '../run.js';
import { scanOptionsOf, wireAwsPorts } from '../wiring.js';
import { asUsageError, UsageError } from './errors.js';

export interface ScanFlags {
  regions?: string;
  roleName: string;
  externalId?: string;
  accounts?: string;
  excludeAccounts?: string;
  ou?: string;
  excludeOu?: string;
  concurrency?: string;
  rules?: string[];
  format: 'text' | 'json' | 'markdown';
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

function progressBar(enabled: boolean) {
  if (!enabled) return undefined;
  const bar = new cliProgress.SingleBar(
    { format: 'scanning accounts [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update({ accountsDone, accountsTotal }: { accountsDone: number; accountsTotal: number }) {
      if (!started) bar.start(accountsTotal, 0);
      started = true;
      bar.update(accountsDone);
    },
    stop: () => started && bar.stop(),
  };
}

/**
 * `fleet-audit scan`: the Lambda's engine with the caller's own credentials. Exit 0, or 1 when
 * any account or region failed (the report is complete all the same).
 */
export async function runScan(
  flags: ScanFlags,
  io: { out: (s: string) => unknown; err?: (s: string) => unknown; isTty: boolean; errTty: boolean },
  env = process.env,
): Promise<number> {
  const config = configFromFlags(flags, env);
  const rules = await asUsageError(() => loadRules(flags.rules ?? []), [RuleValidationError]);
  const ports = await asUsageError(
    () =>
      wireAwsPorts(config, rules, {
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
        ...(flags.historyDir ? { historyDir: flags.historyDir } : {}),
        ...(flags.suppressions ? { suppressionsFile: flags.suppressions } : {}),
      }),
    [SuppressionsError],
  );
  if (flags.historyDir && flags.historyBucket) throw new UsageError('--history-dir and --history-bucket: give one run history, not both');
  // A run that delivers takes the same lease as the nightly run, where its history is.
  const delivers = Boolean(flags.securityHub || flags.topicArn);
  if (delivers && !ports.historyBackend) {
    io.err?.('warning: no --history-bucket (or --history-dir): this run takes no run lease and may overlap the nightly run\n');
  }
  const runId = runIdOf(new Date());
  let lease: RunLease | undefined;
  if (delivers && ports.historyBackend) {
    try {
      lease = await RunLease.acquire(ports.historyBackend, { runId, holder: `cli:${userInfo().username}@${hostname()}` });
    } catch (error) {
      ports.destroy();
      if (error instanceof LeaseHeldError) {
        io.err?.(`${error.message}\n`);
        return EXIT_COULD_NOT_RUN;
      }
      throw error;
    }
  }
  const progress = progressBar(io.errTty && !flags.out);
  try {
    const narrowed = Boolean(flags.accounts || flags.excludeAccounts || flags.ou || flags.excludeOu || (flags.regions && flags.regions !== 'all'));
    const outcome = await runAudit(
      {
        runId,
        scan: { ...scanOptionsOf(config), narrowed, ...(progress ? { onProgress: (p) => progress.update(p) } : {}) },
        notify: { mode: config.notifyMode, minSeverity: config.minSeverity },
        ...(lease ? { lease } : {}),
      },
      ports,
    );
    progress?.stop();
    const text =
      flags.format === 'json' ? JSON.stringify(outcome.report, null, 2) : flags.format === 'markdown' ? renderMarkdown(outcome) : renderText(outcome, io.isTty && !flags.out);
    if (flags.out) await writeFile(flags.out, `${text}\n`);
    else io.out(`${text}\n`);
    const { accounts, regions } = outcome.report.coverage;
    return accounts.failed > 0 || regions.failed > 0 ? 1 : 0;
  } finally {
    progress?.stop();
    await lease?.release();
    ports.destroy();
  }
}

/** Another run holds the lease: this one did not run. */
export const EXIT_COULD_NOT_RUN = 4;
