import { deadlineOf, deliverByOf } from '../config.js';
import { workerEventSchema } from '../distributed/protocol.js';
import { scanBatch } from '../distributed/steps.js';
import { scanOptionsOf } from '../wiring/common.js';
import { wireScanPorts } from '../wiring/scan.js';
import { parseEvent } from './event.js';
import { withExternalIdFromParameter } from './external-id.js';
import { storageOf } from './storage.js';
import { cachedSetup, wiringOf, type LambdaContext, type LambdaTools } from './tools.js';

/** The Distributed Map's worker: one batch of accounts, scanned and synced; its part goes to S3. */
export function createScanWorkerHandler(tools: LambdaTools, env: NodeJS.ProcessEnv = process.env) {
  const setup = cachedSetup(env, withExternalIdFromParameter);
  return async (event: unknown, context: LambdaContext): Promise<{ key: string; accounts: number }> => {
    const batch = parseEvent(workerEventSchema, event, 'a scan worker');
    const { config, rules } = await setup();
    const deadline = deadlineOf(config, Date.now(), context.getRemainingTimeInMillis());
    const deliverBy = deliverByOf(config, Date.now(), context.getRemainingTimeInMillis());
    const ports = await wireScanPorts(config, rules, { ...wiringOf(tools), deadline });
    try {
      const result = await scanBatch(batch, { scan: scanOptionsOf(config, deadline), deliverBy }, ports, storageOf(ports));
      tools.logger.info('batch scanned', { runId: batch.BatchInput.runId, ...result });
      return result;
    } finally {
      ports.destroy();
    }
  };
}
