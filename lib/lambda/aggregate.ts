import { releaseLeaseOf } from '../deliver/lease.js';
import { aggregateEventSchema } from '../distributed/protocol.js';
import { aggregateRun } from '../distributed/steps.js';
import { wireAggregatePorts } from '../wiring/deliver.js';
import { parseEvent } from './event.js';
import { finish, type AuditSummary } from './finish.js';
import { storageOf } from './storage.js';
import { cachedSetup, wiringOf, type LambdaTools } from './tools.js';

/** The last step: every part merged, then the delta, the notification and the run history (no scan, no ExternalId). */
export function createAggregateHandler(tools: LambdaTools, env: NodeJS.ProcessEnv = process.env) {
  const setup = cachedSetup(env);
  return async (event: unknown): Promise<AuditSummary> => {
    const input = parseEvent(aggregateEventSchema, event, 'an aggregate');
    const { config, rules } = await setup();
    const ports = wireAggregatePorts(config, wiringOf(tools), rules);
    try {
      const outcome = await aggregateRun(input, { notify: { mode: config.notifyMode, minSeverity: config.minSeverity } }, { ...ports, logger: tools.logger }, storageOf(ports));
      return finish(tools, outcome, false, new Date(input.startedAt));
    } finally {
      // The plan handed this run's lease to the state machine: the last step gives it back.
      if (ports.historyBackend) await releaseLeaseOf(ports.historyBackend, input.runId).catch((error: unknown) => tools.logger.warn('run lease not released', { error: String(error) }));
      ports.destroy();
    }
  };
}
