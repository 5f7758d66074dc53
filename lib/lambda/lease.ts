import type { HistoryBackend } from '../deliver/history/store.js';
import { LeaseHeldError, RunLease, type LeaseRecord } from '../deliver/lease.js';
import type { ScanError } from '../types.js';
import type { LambdaTools } from './tools.js';

/** What the audit returns when another run holds the lease: this one did nothing. */
export interface SkippedSummary {
  runId: string;
  skipped: { reason: string; heldBy: LeaseRecord };
}

/** How long a distributed run holds the lease: the state machine's own timeout (serverless.yml), plus a margin. */
export const DISTRIBUTED_LEASE_MS = 6 * 3_600_000 + 15 * 60_000;

/**
 * Takes the run lease where the history lives (dry runs deliver nothing and take none). A
 * SkippedSummary instead when another run holds it, after the RunSkipped metric (it alarms).
 */
export async function takeLease(
  tools: LambdaTools,
  backend: HistoryBackend | undefined,
  run: { runId: string; holder: string; dryRun: boolean },
): Promise<{ lease?: RunLease; skipped?: SkippedSummary; unavailable?: ScanError }> {
  if (run.dryRun || !backend) return {};
  try {
    const lease = await RunLease.acquire(backend, {
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
      const message = `the run lease could not be read or taken (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}): this run went on without it and could overlap another`;
      return { unavailable: { accountId: '-', stage: 'lease', code: 'LeaseUnavailable', message } };
    }
    tools.metrics.addMetric('RunSkipped', 'Count', 1);
    tools.logger.warn('audit skipped: another run holds the lease', { runId: run.runId, reason: error.message, heldBy: error.held });
    return { skipped: { runId: run.runId, skipped: { reason: error.message, heldBy: error.held } } };
  }
}
