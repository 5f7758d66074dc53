import pLimit from 'p-limit';
import { scanOrganization, scanSelection, type ScanOptions, type ScanResult, type SelectedAccounts } from './collect/scan.js';
import type { AccountSession, CollectPorts } from './collect/ports.js';
import { computeDelta, knownFindings, type Delta, type StoredRunReport } from './deliver/history/delta.js';
import type { HistoryError, HistoryStore } from './deliver/history/store.js';
import { buildNotification } from './deliver/notify/message.js';
import { shouldNotify, type NotifyDecision, type NotifyPolicy } from './deliver/notify/policy.js';
import { deliveryFailures, type DeliveryKind } from './deliver/failures.js';
import { NotifyError } from './deliver/notify/errors.js';
import type { Notifier } from './deliver/notify/sns-notifier.js';
import type { FindingsSink, SyncResult } from './deliver/securityhub/sink.js';
import { applySuppressions, type ExpiredSuppression, type Suppression, type SuppressionOutcome } from './deliver/suppressions.js';
import { evaluateFleet } from './evaluate/evaluate.js';
import type { Rule } from './evaluate/rule.js';
import type { ClusterFacts, CoverageNote, Finding, ScanError, SuppressedFinding, UnusedSuppression } from './types.js';

export const TOOL = { name: 'eks-fleet-auditor', version: '0.1.0' } as const;

/**
 * Security Hub account-regions synced at once. BatchImportFindings' quota is per account and
 * region, so scopes do not compete; the benchmark measured delivery at 16 taking 46% of a
 * 1,000-account run (13.7 s of calls ÷ 16 in flight).
 */
export const DELIVERY_CONCURRENCY = 64;

export interface RunLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Everything a run talks to, passed in: the Lambda, the CLI, the demo and tests each wire their own. */
export interface AuditPorts {
  collect: CollectPorts;
  rules: readonly Rule[];
  /** Security Hub; absent = findings are not imported. */
  findings?: FindingsSink;
  /** SNS; absent = no notification. */
  notifier?: Notifier;
  /**
   * Run history, built with the run's sink for unreadable reports (they are reported, and the run
   * goes on as if there were no history); absent = every finding is NEW and nothing is kept.
   */
  history?: (onError: (error: HistoryError) => void) => HistoryStore;
  suppressions?: readonly Suppression[];
  logger?: RunLogger;
}

export interface RunOptions {
  scan: ScanOptions;
  /** Accounts already selected (the caller listed them to choose how to run); else listed here. */
  selected?: SelectedAccounts;
  notify: NotifyPolicy;
  /** Evaluate and report; deliver nothing (no Security Hub, no SNS, no history). */
  dryRun?: boolean;
  runId?: string;
  now?: () => Date;
  /** Security Hub scopes synced at once. */
  deliveryConcurrency?: number;
}

export interface DeliverySummary {
  securityHub: { scopes: number; imported: number; archived: number; failed: number } | 'disabled' | 'dry-run';
  notification: { sent: boolean; reason: string; messageId?: string } | 'disabled' | 'dry-run';
  history: { location: string } | 'disabled' | 'dry-run' | 'failed';
  /** The deliveries that failed (lib/deliver/failures.ts); empty when everything due was delivered. */
  failures: DeliveryKind[];
}

export interface RunOutcome {
  report: StoredRunReport;
  delta: Delta;
  delivery: DeliverySummary;
}

export function runIdOf(start: Date): string {
  return `${start.toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
}

function errorOf(stage: ScanError['stage'], error: unknown, where: Partial<ScanError> = {}): ScanError {
  const e = error as Error & { code?: string };
  return { accountId: where.accountId ?? '-', ...where, stage, code: e.code ?? e.name ?? 'Error', message: e.message ?? String(error) };
}

/** The inventory kept in the report (and in a distributed run's parts): configuration values may hold secrets, so they stay out. */
export function inventoryOf(clusters: readonly ClusterFacts[]): ClusterFacts[] {
  return clusters.map((c) => ({ ...c, cni: { ...c.cni, configurationValues: null } }));
}

const scopeKey = (s: { accountId: string; region: string }) => `${s.accountId}/${s.region}`;

/**
 * Security Hub, one account × region at a time with that account's own session: current findings
 * are imported; unseen ones are archived only where this run's scan completed.
 */
async function syncSecurityHub(
  sink: FindingsSink,
  scan: ScanResult,
  active: readonly Finding[],
  now: string,
  concurrency: number,
): Promise<{ results: SyncResult[]; scopes: number; errors: ScanError[] }> {
  const byScope = new Map<string, Finding[]>();
  for (const scope of scan.completedScopes) byScope.set(scopeKey(scope), []);
  for (const finding of active) {
    const key = scopeKey(finding);
    byScope.set(key, [...(byScope.get(key) ?? []), finding]);
  }
  const completed = new Set(scan.completedScopes.map(scopeKey));
  const details = new Map(scan.clusters.map((c) => [c.clusterArn, { clusterStatus: c.clusterStatus, clusterTags: c.tags }]));
  const limit = pLimit(concurrency);
  const errors: ScanError[] = [];
  const results = await Promise.all(
    [...byScope].map(([key, findings]) =>
      limit(async () => {
        const [accountId, region] = key.split('/') as [string, string];
        const session: AccountSession | undefined = scan.sessions.get(accountId);
        if (!session) return undefined;
        try {
          const result = await sink.sync(
            { accountId, region, partition: session.partition, credentials: session.credentials, complete: completed.has(key) },
            findings,
            { now, productVersion: TOOL.version, clusterDetails: (arn) => details.get(arn) },
          );
          // Refused findings are not only counted: the report names each, in its account and region.
          const refused = result.failed.filter((f) => !result.errors.some((e) => e.message.includes(f.id)));
          if (refused.length > 0) {
            errors.push({
              accountId,
              region,
              stage: 'deliver-securityhub',
              code: 'FailedFindings',
              message: `Security Hub refused ${refused.length} finding(s): ${refused.map((f) => `${f.id} (${f.code}: ${f.message})`).join('; ')}`,
            });
          }
          return result;
        } catch (error) {
          errors.push(errorOf('deliver-securityhub', error, { accountId, region }));
          return undefined;
        }
      }),
    ),
  );
  return { results: results.filter((r): r is SyncResult => r !== undefined), scopes: byScope.size, errors };
}

/**
 * What a set of accounts yields once scanned, judged and synced to Security Hub: a whole run's, or
 * one batch's in a distributed run (batches merge with mergeBatches).
 */
export interface AuditedBatch {
  scan: Omit<ScanResult, 'sessions'>;
  /** Active findings: not suppressed (expired suppressions included). */
  findings: Finding[];
  suppressed: SuppressedFinding[];
  expired: ExpiredSuppression[];
  /** The suppressions this batch's findings never matched; absent when the batch was not audited. */
  unusedSuppressions?: UnusedSuppression[];
  errors: ScanError[];
  notes: CoverageNote[];
  securityHub: DeliverySummary['securityHub'];
}

/** Evaluate → suppress → Security Hub, for the accounts of one scan (the sessions are the scan's). */
export async function auditScan(scan: ScanResult, options: Pick<RunOptions, 'dryRun' | 'now' | 'deliveryConcurrency'>, ports: AuditPorts): Promise<AuditedBatch> {
  const clock = options.now ?? (() => new Date());
  const evaluated = evaluateFleet(ports.rules, scan.clusters);
  const now = clock().toISOString();
  const outcome: SuppressionOutcome = applySuppressions(evaluated.findings, [...(ports.suppressions ?? [])], now);
  const errors: ScanError[] = [...scan.errors, ...evaluated.errors];
  const notes: CoverageNote[] = [...scan.coverage.notes];
  let securityHub: DeliverySummary['securityHub'] = options.dryRun ? 'dry-run' : 'disabled';
  if (!options.dryRun && ports.findings) {
    const synced = await syncSecurityHub(ports.findings, scan, outcome.active, now, options.deliveryConcurrency ?? DELIVERY_CONCURRENCY);
    for (const r of synced.results) {
      notes.push(...r.notes);
      errors.push(...r.errors);
    }
    errors.push(...synced.errors);
    securityHub = {
      scopes: synced.scopes,
      imported: sum(synced.results, (r) => r.imported),
      archived: sum(synced.results, (r) => r.archived),
      failed: sum(synced.results, (r) => r.failed.length),
    };
    ports.logger?.info('security hub synced', securityHub);
  }
  const { sessions: _sessions, ...plain } = scan;
  return { scan: plain, findings: outcome.active, suppressed: outcome.suppressed, expired: outcome.expired, unusedSuppressions: outcome.unused, errors, notes, securityHub };
}

/** One report's worth of batches: counts added, lists joined in a stable order. */
export function mergeBatches(batches: readonly AuditedBatch[]): AuditedBatch {
  const addCounts = <T extends Record<string, number>>(pick: (b: AuditedBatch) => T): T => {
    const total = {} as Record<string, number>;
    for (const b of batches) for (const [k, v] of Object.entries(pick(b))) total[k] = (total[k] ?? 0) + v;
    return total as T;
  };
  const hubs = batches.map((b) => b.securityHub).filter((h) => typeof h !== 'string');
  const byAccount = (a: { accountId: string }, b: { accountId: string }) => a.accountId.localeCompare(b.accountId);
  return {
    scan: {
      accounts: batches.flatMap((b) => b.scan.accounts).sort((a, b) => a.id.localeCompare(b.id)),
      clusters: batches.flatMap((b) => b.scan.clusters),
      errors: batches.flatMap((b) => b.scan.errors),
      completedScopes: batches.flatMap((b) => b.scan.completedScopes),
      coverage: {
        accounts: addCounts((b) => b.scan.coverage.accounts),
        regions: addCounts((b) => b.scan.coverage.regions),
        clusters: addCounts((b) => b.scan.coverage.clusters),
        notes: batches.flatMap((b) => b.scan.coverage.notes),
      },
    },
    findings: batches.flatMap((b) => b.findings),
    suppressed: batches.flatMap((b) => b.suppressed),
    expired: batches.flatMap((b) => b.expired),
    ...unusedInEvery(batches),
    errors: batches.flatMap((b) => b.errors).sort(byAccount),
    notes: batches.flatMap((b) => b.notes).sort(byAccount),
    securityHub: hubs.length
      ? { scopes: sum(hubs, (h) => h.scopes), imported: sum(hubs, (h) => h.imported), archived: sum(hubs, (h) => h.archived), failed: sum(hubs, (h) => h.failed) }
      : (batches[0]?.securityHub ?? 'disabled'),
  };
}

/** Unused in the whole run: unused in every batch that was audited. */
function unusedInEvery(batches: readonly AuditedBatch[]): Pick<AuditedBatch, 'unusedSuppressions'> {
  const audited = batches.flatMap((b) => (b.unusedSuppressions ? [b.unusedSuppressions] : []));
  if (audited.length === 0) return {};
  const key = (u: UnusedSuppression) => JSON.stringify(u);
  const everywhere = audited.slice(1).reduce((kept, list) => {
    const keys = new Set(list.map(key));
    return kept.filter((u) => keys.has(key(u)));
  }, audited[0]!);
  return { unusedSuppressions: everywhere };
}

/** Delta → notification → history: the part of a run that needs the whole organization at once. */
export async function concludeRun(
  batch: AuditedBatch,
  run: { runId: string; startedAt: Date },
  options: Pick<RunOptions, 'notify' | 'dryRun' | 'now'>,
  ports: Pick<AuditPorts, 'notifier' | 'history' | 'logger'>,
): Promise<RunOutcome> {
  const clock = options.now ?? (() => new Date());
  const historyErrors: ScanError[] = [];
  const history = ports.history?.((error) => historyErrors.push(errorOf('deliver-history', error)));
  const lastNotified = await history?.lastNotified();
  const delta = computeDelta(batch.findings, knownFindings(lastNotified), batch.scan.completedScopes, {
    suppressedIds: batch.suppressed.map((s) => s.finding.id),
  });
  const errors: ScanError[] = [...batch.errors, ...historyErrors];
  const delivery: DeliverySummary = {
    securityHub: batch.securityHub,
    notification: options.dryRun ? 'dry-run' : 'disabled',
    history: options.dryRun ? 'dry-run' : 'disabled',
    failures: [],
  };
  const now = clock().toISOString();
  const report: StoredRunReport = {
    schemaVersion: 1,
    runId: run.runId,
    startedAt: run.startedAt.toISOString(),
    finishedAt: now,
    tool: { ...TOOL },
    findings: batch.findings,
    suppressed: batch.suppressed,
    coverage: { ...batch.scan.coverage, notes: batch.notes },
    errors,
    completedScopes: batch.scan.completedScopes,
    accounts: batch.scan.accounts,
    clusters: inventoryOf(batch.scan.clusters),
    ...(delta.unknown.length ? { carriedOver: delta.unknown } : {}),
    ...(batch.unusedSuppressions?.length ? { unusedSuppressions: batch.unusedSuppressions } : {}),
  };

  // The news counts as delivered unless a publish was due and failed: with no topic, or nothing to
  // say, the report itself is the delivery; after a failed publish, the next run recounts from
  // the last delivered one.
  let notified = true;
  if (!options.dryRun && ports.notifier) {
    const decision: NotifyDecision = shouldNotify(options.notify, delta, errors, lastNotified?.errors);
    delivery.notification = { sent: false, reason: decision.reason };
    if (decision.notify) {
      const message = buildNotification({
        runId: run.runId,
        startedAt: report.startedAt,
        now,
        delta,
        suppressed: batch.suppressed,
        expired: batch.expired,
        ...(report.unusedSuppressions ? { unusedSuppressions: report.unusedSuppressions } : {}),
        coverage: report.coverage,
        errors,
        minSeverity: options.notify.minSeverity,
        reportLocation: history?.locate(report) ?? '(no run history configured)',
      });
      try {
        const { messageId } = await ports.notifier.publish(message);
        delivery.notification = { sent: true, reason: decision.reason, messageId };
      } catch (error) {
        notified = false;
        errors.push(errorOf('deliver-sns', error instanceof NotifyError ? error : new NotifyError(String(error), { cause: error })));
      }
    }
  }

  if (!options.dryRun && history) {
    try {
      report.finishedAt = clock().toISOString();
      delivery.history = await history.save(report, { notified });
    } catch (error) {
      delivery.history = 'failed';
      errors.push(errorOf('deliver-history', error));
    }
  }
  delivery.failures = deliveryFailures(delivery, errors);
  return { report, delta, delivery };
}

/** One audit in one process: scan → evaluate → suppress → Security Hub → notify → history. */
export async function runAudit(options: RunOptions, ports: AuditPorts): Promise<RunOutcome> {
  const clock = options.now ?? (() => new Date());
  const startedAt = clock();
  const runId = options.runId ?? runIdOf(startedAt);
  const now = () => clock().getTime();
  const scan = options.selected
    ? await scanSelection(options.selected.selection, options.selected.managementId, options.scan, ports.collect, now)
    : await scanOrganization(options.scan, ports.collect, now);
  ports.logger?.info('scan finished', { coverage: { ...scan.coverage, notes: scan.coverage.notes.length }, errors: scan.errors.length });
  const batch = await auditScan(scan, options, ports);
  return concludeRun(batch, { runId, startedAt }, options, ports);
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
