import { paginateListRegions, type AccountClient } from '@aws-sdk/client-account';
import { retryGate, type GateRetryOptions } from './gate-retry.js';
import type { AccountSession, RegionLister } from './ports.js';

/**
 * Account ListRegions for the session's own account, enabled regions only. A gate of the whole
 * account (with AUDIT_REGIONS=all): retried past the SDK's attempts while the scan may go on.
 */
export function createRegionLister(clientFor: (session: AccountSession) => AccountClient, retry: GateRetryOptions = {}): RegionLister {
  return {
    async enabledRegions(session) {
      const client = clientFor(session);
      return retryGate(async () => {
        const regions: string[] = [];
        const pages = paginateListRegions({ client }, { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] });
        for await (const page of pages) {
          for (const region of page.Regions ?? []) if (region.RegionName) regions.push(region.RegionName);
        }
        return regions.sort();
      }, retry);
    },
  };
}
