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

/** The Kubernetes versions a catalog lists any build for, oldest first (`1.23`, `1.24`, ...). */
export function catalogKubernetesVersions(entries: readonly OfferedAddonVersion[]): string[] {
  const versions = new Set(entries.flatMap((e) => (e.compatibilities ?? []).map((c) => c.clusterVersion).filter((v): v is string => typeof v === 'string')));
  return [...versions].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * What a saved catalog says about one Kubernetes version: the builds it offers; `since` when the
 * catalog covers several Kubernetes versions, all above this one (EKS offers nothing for it any
 * more: nothing before `since`); `covered` false when the catalog was saved for other versions
 * and cannot tell (a catalog of one Kubernetes version, or one older than this version).
 */
export function catalogFor(entries: readonly OfferedAddonVersion[], kubernetesVersion: string): { covered: boolean; offered: string[]; since?: string; versions: string[] } {
  const versions = catalogKubernetesVersions(entries);
  const offered = offeredVersionsFor(entries, kubernetesVersion);
  if (entries.length === 0 || versions.includes(kubernetesVersion)) return { covered: true, offered, versions };
  const oldest = versions[0];
  if (versions.length >= 2 && oldest !== undefined && kubernetesVersion.localeCompare(oldest, 'en', { numeric: true }) < 0) return { covered: true, offered, since: oldest, versions };
  return { covered: false, offered, versions };
}
