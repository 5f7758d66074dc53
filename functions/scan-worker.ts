import { createScanWorkerHandler } from '../lib/lambda/scan-worker.js';
import { withPowertools } from './powertools.js';

/** One batch of accounts of the distributed run (the Distributed Map's item processor). */
export const handler = withPowertools((tools) => createScanWorkerHandler(tools));
