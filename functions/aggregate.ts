import type { LambdaTools } from '../lib/lambda/audit.js';
import { createAggregateHandler } from '../lib/lambda/distributed.js';
import { withPowertools } from './powertools.js';

/** The last step of the distributed run: merge the parts, notify, save the history. */
export const buildHandler = (extra: Pick<LambdaTools, 'onOutcome'> = {}) => withPowertools((tools) => createAggregateHandler(tools), extra);

export const handler = buildHandler();
