import type { FleetPageData } from '../../../lib/report/html/model.js';

/** The data a fleet page embeds, read back as its script reads it. */
export function pageDataOf(html: string): FleetPageData {
  const json = /<script id="fleet-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error('no fleet data in this page');
  return JSON.parse(json) as FleetPageData;
}
