import { createAggregateHandler } from '../lib/lambda/aggregate.js';
import { withPowertools, type LocalHooks } from './powertools.js';

/** The last step of the distributed run: merge the parts, notify, save the history. */
export const buildHandler = (extra: Omit<LocalHooks, 'wiring'> = {}) => withPowertools((tools) => createAggregateHandler(tools), extra);

export const handler = buildHandler();
