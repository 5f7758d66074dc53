import pLimit from 'p-limit';
import { scanOrganization, type ScanOptions, type ScanResult } from './collect/scan.js';
import type { AccountSession, CollectPorts } from './collect/ports.js';
import { computeDelta, knownFindings, type Delta, type StoredRunReport } from './deliver/history/delta.js';
import type { HistoryError, HistoryStore } from './deliver/history/store.js';
import { buildNotification } from './deliver/notify/message.js';
import { shouldNotify, type NotifyDecision, type NotifyPolicy } from './deliver/notify/policy.js';
import { NotifyError, type Notifier } from './deliver/notify/sns-notifier.js';
import type { FindingsSink, SyncResult } from './deliver/securityhub/sink.js';
import { applySuppressions, type Suppression, type SuppressionOutcome } from './deliver/suppressions.js';
import { evaluateFleet } from './evaluate/evaluate.js';
import type { Rule } from './evaluate/rule.js';
import type { ClusterFacts, CoverageNote, Finding, ScanError, Scope } from './types.js';

export const TOOL = { name: 'eks-fleet-auditor', version: '0.1.0' } as const;

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
}

export interface RunOutcome {
  report: StoredRunReport;
  delta: Delta;
  delivery: DeliverySummary;
}

function runIdOf(start: Date): string {
  return `${start.toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
}

function errorOf(stage: ScanError['stage'], error: unknown, where: Partial<ScanError> = {}): ScanError {
  const e = error as Error & { code?: string };
  return { accountId: where.accountId ?? '-', ...where, stage, code: e.code ?? e.name ?? 'Error', message: e.message ?? String(error) };
}

/** The inventory kept in the report: configuration values may hold secrets, so they stay out. */
function inventoryOf(clusters: readonly ClusterFacts[]): ClusterFacts[] {
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
          return await sink.sync(
            { accountId, region, partition: session.partition, credentials: session.credentials, complete: completed.has(key) },
            findings,
            { now, productVersion: TOOL.version, clusterDetails: (arn) => details.get(arn) },
          );
        } catch (error) {
          errors.push(errorOf('deliver-securityhub', error, { accountId, region }));
          return undefined;
        }
      }),
    ),
  );
  return { results: results.filter((r): r is SyncResult => r !== undefined), scopes: byScope.size, errors };
}

/** One audit: scan → evaluate → suppress → Security Hub → notify → history. */
export async function runAudit(options: RunOptions, ports: AuditPorts): Promise<RunOutcome> {
  const clock = options.now ?? (() => new Date());
  const started = clock();
  const runId = options.runId ?? runIdOf(started);
  const log = ports.logger;

  const historyErrors: ScanError[] = [];
  const history = ports.history?.((error) => historyErrors.push(errorOf('deliver-history', error)));
  const [scan, lastNotified] = await Promise.all([
    scanOrganization(options.scan, ports.collect, () => clock().getTime()),
    history?.lastNotified(),
  ]);
  log?.info('scan finished', { coverage: { ...scan.coverage, notes: scan.coverage.notes.length }, errors: scan.errors.length });

  const evaluated = evaluateFleet(ports.rules, scan.clusters);
  const now = clock().toISOString();
  const outcome: SuppressionOutcome = applySuppressions(evaluated.findings, [...(ports.suppressions ?? [])], now);
  const delta = computeDelta(outcome.active, knownFindings(lastNotified), scan.completedScopes, {
    suppressedIds: outcome.suppressed.map((s) => s.finding.id),
  });

  const errors: ScanError[] = [...scan.errors, ...evaluated.errors, ...historyErrors];
  const notes: CoverageNote[] = [...scan.coverage.notes];
  const delivery: DeliverySummary = {
    securityHub: options.dryRun ? 'dry-run' : 'disabled',
    notification: options.dryRun ? 'dry-run' : 'disabled',
    history: options.dryRun ? 'dry-run' : 'disabled',
  };

  if (!options.dryRun && ports.findings) {
    const synced = await syncSecurityHub(ports.findings, scan, outcome.active, now, options.deliveryConcurrency ?? 16);
    for (const r of synced.results) {
      notes.push(...r.notes);
      errors.push(...r.errors);
    }
    errors.push(...synced.errors);
    delivery.securityHub = {
      scopes: synced.scopes,
      imported: sum(synced.results, (r) => r.imported),
      archived: sum(synced.results, (r) => r.archived),
      failed: sum(synced.results, (r) => r.failed.length),
    };
    log?.info('security hub synced', delivery.securityHub);
  }

  const report: StoredRunReport = {
    schemaVersion: 1,
    runId,
    startedAt: started.toISOString(),
    finishedAt: clock().toISOString(),
    tool: { ...TOOL },
    findings: outcome.active,
    suppressed: outcome.suppressed,
    coverage: { ...scan.coverage, notes },
    errors,
    completedScopes: scan.completedScopes satisfies Scope[],
    accounts: scan.accounts,
    clusters: inventoryOf(scan.clusters),
    ...(delta.unknown.length ? { carriedOver: delta.unknown } : {}),
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
        runId,
        startedAt: report.startedAt,
        now,
        delta,
        suppressed: outcome.suppressed,
        expired: outcome.expired,
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
  return { report, delta, delivery };
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
