import { writeClientModule } from '../lib/report/html/build.js';

/** Vitest global setup: the fleet page's browser script, built fresh before any test imports it. */
export default async function setup(): Promise<void> {
  await writeClientModule();
}
