import type { Context } from 'aws-lambda';
import { readConfig, redactedConfig, type AuditConfig } from '../config.js';
import type { Rule } from '../evaluate/rule.js';
import { loadRules } from '../rules/load.js';
import { selectForScan } from '../collect/scan.js';
import { planDistributedRun } from '../distributed/steps.js';
import { runAudit, runIdOf, type RunLogger, type RunOutcome } from '../run.js';
import { SEVERITIES } from '../types.js';
import { LeaseHeldError, RunLease, type LeaseRecord } from '../deliver/lease.js';
import { scanOptionsOf, wireAwsPorts, type ClientInstrument, type WiredPorts, type WiringOptions } from '../wiring.js';
import { parseAuditEvent } from './event.js';

/** The slice of Powertools the audit needs; passed in so the handler file stays wiring only. */
export interface LambdaTools {
  logger: RunLogger & { debug(message: string, ...extra: Record<string, unknown>[]): void };
  metrics: {
    addMetric(name: string, unit: 'Count' | 'Seconds', value: number): void;
    singleMetric(): { addDimension(name: string, value: string): void; addMetric(name: string, unit: 'Count', value: number): void };
  };
  instrument?: ClientInstrument;
  /** Extra wiring for local runs (the simulator endpoint). */
  wiring?: Pick<WiringOptions, 'endpoint' | 'starter'>;
  /** Told the whole outcome of each run (the demo prints it); the Lambda only returns the summary. */
  onOutcome?: (outcome: RunOutcome) => void;
}

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

function emitMetrics(metrics: LambdaTools['metrics'], outcome: RunOutcome, seconds: number): void {
  const { coverage, findings } = outcome.report;
  metrics.addMetric('AccountsScanned', 'Count', coverage.accounts.scanned);
  metrics.addMetric('AccountsFailed', 'Count', coverage.accounts.failed);
  metrics.addMetric('AccountsNotReached', 'Count', coverage.accounts.notReached);
  metrics.addMetric('ClustersScanned', 'Count', coverage.clusters.scanned);
  metrics.addMetric('ScanErrors', 'Count', outcome.report.errors.length);
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

/** Configuration and rules, read and validated once per container; a failure is retried next invocation. */
export function cachedSetup(env: NodeJS.ProcessEnv) {
  let setup: Promise<{ config: AuditConfig; rules: Rule[] }> | undefined;
  return async () => {
    setup ??= (async () => ({ config: readConfig(env), rules: await loadRules() }))();
    return setup.catch((error: unknown) => {
      setup = undefined;
      throw error;
    });
  };
}

export function wiringOf(tools: LambdaTools): WiringOptions {
  return { logger: tools.logger, ...(tools.instrument ? { instrument: tools.instrument } : {}), ...tools.wiring };
}

/** What the scheduled handler returns when it handed the run to the state machine. */
export interface DelegatedSummary {
  runId: string;
  delegated: { executionArn: string; accounts: number };
}

/** What it returns when another run holds the lease: this one did nothing. */
export interface SkippedSummary {
  runId: string;
  skipped: { reason: string; heldBy: LeaseRecord };
}

/** How long a distributed run holds the lease: the state machine's own timeout (serverless.yml), plus a margin. */
export const DISTRIBUTED_LEASE_MS = 6 * 3_600_000 + 15 * 60_000;

/**
 * Takes the run lease where the history lives (dry runs deliver nothing and take none). Undefined
 * with a SkippedSummary when another run holds it: the caller returns that, after an error metric.
 */
export async function takeLease(
  tools: LambdaTools,
  ports: Pick<WiredPorts, 'historyBackend'>,
  run: { runId: string; holder: string; dryRun: boolean },
): Promise<{ lease?: RunLease; skipped?: SkippedSummary }> {
  if (run.dryRun || !ports.historyBackend) return {};
  try {
    const lease = await RunLease.acquire(ports.historyBackend, {
      runId: run.runId,
      holder: run.holder,
      onLost: (reason) => tools.logger.warn('run lease lost', { runId: run.runId, reason }),
    });
    return { lease };
  } catch (error) {
    if (!(error instanceof LeaseHeldError)) {
      // The history bucket did not answer: losing the night would be worse than running without
      // the lease (the history pointers keep their own guard against an older run).
      tools.metrics.addMetric('LeaseUnavailable', 'Count', 1);
      tools.logger.warn('run lease unavailable: running without it', { runId: run.runId, error: String(error) });
      return {};
    }
    tools.metrics.addMetric('RunSkipped', 'Count', 1);
    tools.logger.warn('audit skipped: another run holds the lease', { runId: run.runId, reason: error.message, heldBy: error.held });
    return { skipped: { runId: run.runId, skipped: { reason: error.message, heldBy: error.held } } };
  }
}

/**
 * The scheduled audit, as a plain async handler. Each invocation wires its own clients and stops
 * starting new accounts DEADLINE_MARGIN_MS before the Lambda timeout. Above DISTRIBUTED_THRESHOLD
 * selected accounts (and with the state machine deployed), it plans the distributed run instead.
 */
export function createAuditHandler(tools: LambdaTools, env: NodeJS.ProcessEnv = process.env) {
  const setup = cachedSetup(env);
  return async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'functionName'>>): Promise<AuditSummary | DelegatedSummary | SkippedSummary> => {
    const request = parseAuditEvent(event);
    const { config: base, rules } = await setup();
    const config: AuditConfig = {
      ...base,
      ...(request.accounts ? { accounts: request.accounts } : {}),
      ...(request.regions ? { regions: request.regions } : {}),
    };
    const started = new Date();
    const deadline = started.getTime() + context.getRemainingTimeInMillis() - config.deadlineMarginMs;
    tools.logger.info('audit starting', { trigger: request.trigger, dryRun: request.dryRun, config: redactedConfig(config), rules: rules.length });

    const ports = await wireAwsPorts(config, rules, wiringOf(tools));
    const runId = runIdOf(started);
    let handedOff = false;
    const { lease, skipped } = await takeLease(tools, ports, { runId, holder: `lambda:${context.functionName ?? 'audit'}`, dryRun: request.dryRun }).catch(
      (error: unknown) => {
        ports.destroy();
        throw error;
      },
    );
    if (skipped) {
      ports.destroy();
      return skipped;
    }
    try {
      // A manual invoke that names accounts or regions narrows this one run: what it leaves out is
      // outside it (its findings carried), not gone from the audit.
      const scan = { ...scanOptionsOf(config, deadline), narrowed: Boolean(request.accounts || request.regions) };
      const selected = await selectForScan(scan, ports.collect);
      if (ports.starter && ports.storage && !request.dryRun && selected.selection.selected.length > config.distributedThreshold) {
        const { executionArn } = await planDistributedRun({ runId, startedAt: started }, selected, ports.storage, ports.starter);
        await lease?.handOff(DISTRIBUTED_LEASE_MS);
        handedOff = true;
        const delegated = { runId, delegated: { executionArn, accounts: selected.selection.selected.length } };
        tools.logger.info('audit delegated to the state machine', delegated);
        return delegated;
      }
      const outcome = await runAudit(
        { scan, selected, runId, notify: { mode: config.notifyMode, minSeverity: config.minSeverity }, dryRun: request.dryRun, ...(lease ? { lease } : {}) },
        ports,
      );
      return finish(tools, outcome, request.dryRun, started);
    } finally {
      if (!handedOff) await lease?.release();
      ports.destroy();
    }
  };
}

/** Metrics, logs and the summary of a finished run (single Lambda or aggregate step). */
export function finish(tools: LambdaTools, outcome: RunOutcome, dryRun: boolean, started: Date): AuditSummary {
  emitMetrics(tools.metrics, outcome, (Date.now() - started.getTime()) / 1000);
  tools.onOutcome?.(outcome);
  const summary = summaryOf(outcome, dryRun);
  for (const error of outcome.report.errors) tools.logger.warn('scan error', { scanError: error });
  tools.logger.info('audit finished', { ...summary });
  return summary;
}
