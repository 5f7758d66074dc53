import { createAuditHandler } from '../lib/lambda/audit.js';
import { withPowertools, type LocalHooks } from './powertools.js';

/** The nightly audit (and manual invokes); local runs (demo, tests) build their own with hooks. */
export const buildHandler = (extra: LocalHooks = {}) => withPowertools((tools) => createAuditHandler(tools), extra);

export const handler = buildHandler();
