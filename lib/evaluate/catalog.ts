import { compareCniVersionsDesc } from './version.js';

/** The part of a DescribeAddonVersions `addonVersions` entry the engine reads. */
export interface OfferedAddonVersion {
  addonVersion?: string;
  compatibilities?: { clusterVersion?: string }[];
}

/** A saved DescribeAddonVersions response (`aws eks describe-addon-versions --addon-name vpc-cni`). */
export interface AddonVersionsResponse {
  addons?: { addonName?: string; addonVersions?: OfferedAddonVersion[] }[];
}

/** The vpc-cni versions offered for one Kubernetes version, newest first. */
export function offeredVersionsFor(entries: readonly OfferedAddonVersion[], kubernetesVersion: string): string[] {
  const versions = entries
    .filter((e) => e.addonVersion && e.compatibilities?.some((c) => c.clusterVersion === kubernetesVersion))
    .map((e) => e.addonVersion!);
  return [...new Set(versions)].sort(compareCniVersionsDesc);
}

export function vpcCniEntries(response: AddonVersionsResponse): OfferedAddonVersion[] {
  return (response.addons ?? []).filter((a) => a.addonName === undefined || a.addonName === 'vpc-cni').flatMap((a) => a.addonVersions ?? []);
}
