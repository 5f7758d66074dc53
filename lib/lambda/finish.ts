import type { RunOutcome } from '../run.js';
import { SEVERITIES } from '../types.js';
import type { LambdaTools } from './tools.js';

export interface AuditSummary {
  runId: string;
  dryRun: boolean;
  findings: Record<string, number>;
  newFindings: number;
  resolvedFindings: number;
  suppressed: number;
  coverage: RunOutcome['report']['coverage']['accounts'] & { clusters: number; regions: number };
  errors: number;
  delivery: RunOutcome['delivery'];
}

/** The per-delivery metrics: 1 when it failed this run (DeliverySummary.failures), else 0. */
export const DELIVERY_METRICS = { securityHub: 'SecurityHubFailed', notification: 'NotificationFailed', history: 'HistoryFailed' } as const;

/**
 * Scanned accounts as a percentage of those selected (listed less excluded); 100 when none was
 * selected (AccountsScanned = 0 alarms on that night on its own).
 */
export function coverageRatio(accounts: RunOutcome['report']['coverage']['accounts']): number {
  const selected = accounts.listed - accounts.excluded;
  return selected > 0 ? Math.round((1000 * accounts.scanned) / selected) / 10 : 100;
}

/**
 * The run's metrics (Powertools EMF, namespace EksFleetAuditor): what the alarms of serverless.yml
 * watch — coverage below a threshold, zero accounts scanned, each delivery that failed.
 */
function emitMetrics(metrics: LambdaTools['metrics'], outcome: RunOutcome, seconds: number): void {
  const { coverage, findings } = outcome.report;
  metrics.addMetric('AccountsSelected', 'Count', coverage.accounts.listed - coverage.accounts.excluded);
  metrics.addMetric('AccountsScanned', 'Count', coverage.accounts.scanned);
  metrics.addMetric('AccountsFailed', 'Count', coverage.accounts.failed);
  metrics.addMetric('AccountsNotReached', 'Count', coverage.accounts.notReached);
  metrics.addMetric('CoverageRatio', 'Percent', coverageRatio(coverage.accounts));
  metrics.addMetric('ClustersScanned', 'Count', coverage.clusters.scanned);
  metrics.addMetric('ScanErrors', 'Count', outcome.report.errors.length);
  for (const [kind, name] of Object.entries(DELIVERY_METRICS)) {
    metrics.addMetric(name, 'Count', outcome.delivery.failures.includes(kind as keyof typeof DELIVERY_METRICS) ? 1 : 0);
  }
  metrics.addMetric('RunDuration', 'Seconds', seconds);
  for (const severity of SEVERITIES) {
    const metric = metrics.singleMetric();
    metric.addDimension('Severity', severity);
    metric.addMetric('Findings', 'Count', findings.filter((f) => f.severity === severity).length);
  }
}

function summaryOf(outcome: RunOutcome, dryRun: boolean): AuditSummary {
  const { report, delta } = outcome;
  return {
    runId: report.runId,
    dryRun,
    findings: Object.fromEntries(SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length])),
    newFindings: delta.new.length,
    resolvedFindings: delta.resolved.length,
    suppressed: report.suppressed.length,
    coverage: { ...report.coverage.accounts, clusters: report.coverage.clusters.scanned, regions: report.coverage.regions.scanned },
    errors: report.errors.length,
    delivery: outcome.delivery,
  };
}

/** Metrics, logs and the summary of a finished run (single Lambda or aggregate step). */
export function finish(tools: LambdaTools, outcome: RunOutcome, dryRun: boolean, started: Date): AuditSummary {
  emitMetrics(tools.metrics, outcome, (Date.now() - started.getTime()) / 1000);
  tools.onOutcome?.(outcome);
  const summary = summaryOf(outcome, dryRun);
  for (const error of outcome.report.errors) tools.logger.warn('scan error', { scanError: error });
  if (outcome.delivery.failures.length) tools.logger.error('delivery failed', { failures: outcome.delivery.failures });
  tools.logger.info('audit finished', { ...summary });
  return summary;
}
