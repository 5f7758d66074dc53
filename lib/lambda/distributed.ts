import type { Context } from 'aws-lambda';
import { aggregateEventSchema, workerEventSchema } from '../distributed/protocol.js';
import { parseEvent } from './event.js';
import { aggregateRun, scanBatch } from '../distributed/steps.js';
import { ConfigError } from '../config.js';
import { scanOptionsOf, wireAwsPorts, type WiredPorts } from '../wiring.js';
import { cachedSetup, finish, wiringOf, type AuditSummary, type LambdaTools } from './audit.js';

function storageOf(ports: WiredPorts) {
  if (!ports.storage) throw new ConfigError('HISTORY_BUCKET: is required for the distributed run (it holds the plan and the parts)');
  return ports.storage;
}

/** The Distributed Map's worker: one batch of accounts, scanned and synced; its part goes to S3. */
export function createScanWorkerHandler(tools: LambdaTools, env: NodeJS.ProcessEnv = process.env) {
  const setup = cachedSetup(env);
  return async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<{ key: string; accounts: number }> => {
    const batch = parseEvent(workerEventSchema, event, 'a scan worker');
    const { config, rules } = await setup();
    const deadline = Date.now() + context.getRemainingTimeInMillis() - config.deadlineMarginMs;
    const ports = await wireAwsPorts(config, rules, wiringOf(tools));
    try {
      const result = await scanBatch(batch, { scan: scanOptionsOf(config, deadline) }, ports, storageOf(ports));
      tools.logger.info('batch scanned', { runId: batch.BatchInput.runId, ...result });
      return result;
    } finally {
      ports.destroy();
    }
  };
}

/** The last step: every part merged, then the delta, the notification and the run history. */
export function createAggregateHandler(tools: LambdaTools, env: NodeJS.ProcessEnv = process.env) {
  const setup = cachedSetup(env);
  return async (event: unknown): Promise<AuditSummary> => {
    const input = parseEvent(aggregateEventSchema, event, 'an aggregate');
    const { config, rules } = await setup();
    const ports = await wireAwsPorts(config, rules, wiringOf(tools));
    try {
      const outcome = await aggregateRun(input, { notify: { mode: config.notifyMode, minSeverity: config.minSeverity } }, ports, storageOf(ports));
      return finish(tools, outcome, false, new Date(input.startedAt));
    } finally {
      ports.destroy();
    }
  };
}
