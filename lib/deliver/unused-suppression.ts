import type { UnusedSuppression } from '../types.js';

/** `suppressions[2] (rule vpc-cni-*, cluster sandbox-*)`: how reports name an unused suppression. */
export function describeUnused(unused: UnusedSuppression): string {
  return `suppressions[${unused.entry}] (${Object.entries(unused.matchers).map(([m, g]) => `${m} ${g}`).join(', ')})`;
}
