import { deadlineOf, redactedConfig, type AuditConfig } from '../config.js';
import { selectForScan } from '../collect/scan.js';
import { planDistributedRun } from '../distributed/steps.js';
import { runAudit, runIdOf } from '../run.js';
import { scanOptionsOf, wireAwsPorts } from '../wiring.js';
import { parseAuditEvent } from './event.js';
import { withExternalIdFromParameter } from './external-id.js';
import { finish, type AuditSummary } from './finish.js';
import { cachedSetup, wiringOf, type LambdaContext, type LambdaTools } from './tools.js';

export type { AuditSummary } from './finish.js';
export type { LambdaTools } from './tools.js';

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
  return async (event: unknown, context: LambdaContext): Promise<AuditSummary | DelegatedSummary> => {
    const request = parseAuditEvent(event);
    const { config: base, rules } = await setup();
    const config: AuditConfig = {
      ...base,
      ...(request.accounts ? { accounts: request.accounts } : {}),
      ...(request.regions ? { regions: request.regions } : {}),
    };
    const started = new Date();
    const deadline = deadlineOf(config, started.getTime(), context.getRemainingTimeInMillis());
    tools.logger.info('audit starting', { trigger: request.trigger, dryRun: request.dryRun, config: redactedConfig(config), rules: rules.length });

    const ports = await wireAwsPorts(config, rules, wiringOf(tools));
    try {
      const scan = scanOptionsOf(config, deadline);
      const runId = runIdOf(started);
      const selected = await selectForScan(scan, ports.collect);
      if (ports.starter && ports.storage && !request.dryRun && selected.selection.selected.length > config.distributedThreshold) {
        const { executionArn } = await planDistributedRun({ runId, startedAt: started }, selected, ports.storage, ports.starter);
        const delegated = { runId, delegated: { executionArn, accounts: selected.selection.selected.length } };
        tools.logger.info('audit delegated to the state machine', delegated);
        return delegated;
      }
      const outcome = await runAudit(
        { scan, selected, runId, notify: { mode: config.notifyMode, minSeverity: config.minSeverity }, dryRun: request.dryRun },
        ports,
      );
      return finish(tools, outcome, request.dryRun, started);
    } finally {
      ports.destroy();
    }
  };
}
