import { ConfigError } from '../config.js';
import type { DistributedStorage } from '../distributed/steps.js';

/** The history bucket of a distributed run's step; without it there is no plan nor parts. */
export function storageOf(ports: { storage?: DistributedStorage }): DistributedStorage {
  if (!ports.storage) throw new ConfigError('HISTORY_BUCKET: is required for the distributed run (it holds the plan and the parts)');
  return ports.storage;
}
