import { partition } from '@aws-sdk/core/client';

/**
 * Which AWS Regions exist, and in which partition: the SDK's own partition data (the `regions` of
 * each partition in @aws-sdk/core's util-endpoints partitions.js, the file the SDK resolves
 * endpoints from, kept current with each SDK release). A Region launched after the installed SDK
 * is refused until the SDK is updated: the auditor's clients could not resolve it either.
 */
export interface KnownRegion {
  /** `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`, `aws-iso-e`, `aws-iso-f`, `aws-eusc`. */
  partition: string;
  /** `Europe (Ireland)`. */
  description: string;
}

/**
 * The Region's partition and name, or undefined when the SDK does not list it. The SDK answers
 * any name that merely looks like a Region with its partition but no description: only listed
 * Regions carry one. The `aws-global`-style pseudo Regions are not Regions one can scan.
 */
export function knownRegion(name: string): KnownRegion | undefined {
  if (name.endsWith('-global')) return undefined;
  const found = partition(name) as { name: string; description?: string };
  return found.description === undefined ? undefined : { partition: found.name, description: found.description };
}
