import { createAuditHandler, type LambdaTools } from '../lib/lambda/audit.js';
import { withPowertools } from './powertools.js';

/** The nightly audit (and manual invokes); local runs (demo, tests) build their own with hooks. */
export const buildHandler = (extra: Pick<LambdaTools, 'onOutcome' | 'wiring'> = {}) => withPowertools((tools) => createAuditHandler(tools), extra);

export const handler = buildHandler();
