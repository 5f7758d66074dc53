import { paginateListRegions, type AccountClient } from '@aws-sdk/client-account';
import type { AccountSession, RegionLister } from './ports.js';

/** Account ListRegions for the session's own account, enabled regions only. */
export function createRegionLister(clientFor: (session: AccountSession) => AccountClient): RegionLister {
  return {
    async enabledRegions(session) {
      const client = clientFor(session);
      const regions: string[] = [];
      const pages = paginateListRegions({ client }, { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] });
      for await (const page of pages) {
        for (const region of page.Regions ?? []) if (region.RegionName) regions.push(region.RegionName);
      }
      return regions.sort();
    },
  };
}
