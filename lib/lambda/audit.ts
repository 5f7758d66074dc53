import { deadlineOf, deliverByOf, redactedConfig, type AuditConfig } from '../config.js';
import { planDistributedRun } from '../distributed/steps.js';
import { archiveDepartedBeforeScan, runIdOf, startAudit } from '../run.js';
import { scanOptionsOf, wireAwsPorts } from '../wiring.js';
import { parseAuditEvent } from './event.js';
import { withExternalIdFromParameter } from './external-id.js';
import { finish, type AuditSummary } from './finish.js';
import { DISTRIBUTED_LEASE_MS, takeLease, type SkippedSummary } from './lease.js';
import { cachedSetup, wiringOf, type LambdaContext, type LambdaTools } from './tools.js';

export type { AuditSummary } from './finish.js';
export type { SkippedSummary } from './lease.js';
export type { LambdaTools } from './tools.js';

/** The run lease was taken by another run before this one could hand off: nothing archived, nothing planned. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(readonly runId: string) {
    super(`run ${runId} lost the run lease while it listed the organization: another run may be delivering, so this one archives nothing and starts no distributed run`);
  }
}

/** What the scheduled handler returns when it handed the run to the state machine. */
export interface DelegatedSummary {
  runId: string;
  delegated: { executionArn: string; accounts: number };
}

/**
 * The scheduled audit, as a plain async handler. Each invocation wires its own clients and stops
 * starting new accounts DEADLINE_MARGIN_MS before the Lambda timeout. Above DISTRIBUTED_THRESHOLD
 * selected accounts (and with the state machine deployed), it plans the distributed run instead.
 */
export function createAuditHandler(tools: LambdaTools, env: NodeJS.ProcessEnv = process.env) {
  const setup = cachedSetup(env, withExternalIdFromParameter);
  return async (event: unknown, context: LambdaContext & { functionName?: string }): Promise<AuditSummary | DelegatedSummary | SkippedSummary> => {
    const request = parseAuditEvent(event);
    const { config: base, rules } = await setup();
    const config: AuditConfig = {
      ...base,
      ...(request.accounts ? { accounts: request.accounts } : {}),
      ...(request.regions ? { regions: request.regions } : {}),
    };
    const started = new Date();
    const deadline = deadlineOf(config, started.getTime(), context.getRemainingTimeInMillis());
    const deliverBy = deliverByOf(config, started.getTime(), context.getRemainingTimeInMillis());
    tools.logger.info('audit starting', { trigger: request.trigger, dryRun: request.dryRun, config: redactedConfig(config), rules: rules.length });

    const ports = await wireAwsPorts(config, rules, { ...wiringOf(tools), deadline });
    const runId = runIdOf(started);
    let handedOff = false;
    let lease: Awaited<ReturnType<typeof takeLease>>['lease'];
    try {
      const taken = await takeLease(tools, ports.historyBackend, { runId, holder: `lambda:${context.functionName ?? 'audit'}`, dryRun: request.dryRun });
      if (taken.skipped) return taken.skipped;
      lease = taken.lease;
      const runErrors = taken.unavailable ? [taken.unavailable] : [];
      // A manual invoke that names accounts or regions narrows this one run: what it leaves out is
      // outside it (its findings carried), not gone from the audit.
      const scan = { ...scanOptionsOf(config, deadline), narrowed: Boolean(request.accounts || request.regions) };
      const notify = { mode: config.notifyMode, minSeverity: config.minSeverity };
      // The scan starts on the first ListAccounts page; nothing is delivered until the listing says
      // whether this organization is for one Lambda or for the state machine.
      const audit = startAudit({ scan, runId, deliverBy, notify, dryRun: request.dryRun, ...(lease ? { lease } : {}), runErrors }, ports);
      if (ports.starter && ports.storage && !request.dryRun && (await audit.listing.exceeds(config.distributedThreshold))) {
        await audit.abandon();
        const selected = await audit.listing.selected;
        // The listing may have taken long enough for another run to take the lease: archiving or
        // starting the state machine now would race that run's delivery.
        if (lease && !(await lease.confirm())) throw new LeaseLostError(runId);
        // The aggregate step assumes no role: what left the audit is archived here, where it still can be.
        // Where Security Hub may hold findings of ours: the workers read only there, and the
        // baseline is read for departures only when one of them left the audit.
        const knownScopes = await audit.knownScopes;
        const { archived: _archived, ...planDepartures } = await archiveDepartedBeforeScan(selected, scan, ports, new Date(), knownScopes);
        if (planDepartures.errors.length) tools.logger.warn('findings that left the audit not archived', { errors: planDepartures.errors });
        // No run saved yet: the workers record no intents (the next run reads everywhere anyway).
        // Known scopes come from a saved run: only without them is the pointer read again.
        const firstRun = knownScopes === undefined && ((await ports.history?.(() => undefined).firstRun()) ?? false);
        const { executionArn } = await planDistributedRun({ runId, startedAt: started }, selected, ports.storage, ports.starter, knownScopes, planDepartures, firstRun);
        await lease?.handOff(DISTRIBUTED_LEASE_MS);
        handedOff = true;
        const delegated = { runId, delegated: { executionArn, accounts: selected.selection.selected.length } };
        tools.logger.info('audit delegated to the state machine', delegated);
        return delegated;
      }
      const outcome = await audit.proceed();
      return finish(tools, outcome, request.dryRun, started);
    } finally {
      if (!handedOff) await lease?.release();
      ports.destroy();
    }
  };
}
