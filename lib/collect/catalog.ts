import { paginateDescribeAddonVersions, type EKSClient } from '@aws-sdk/client-eks';
import semver from 'semver';
import { compareText } from './order.js';
import type { AccountSession, AddonCatalog } from './ports.js';

/**
 * The vpc-cni versions on offer are the same for every account of a region, so they are read
 * once per region × Kubernetes version for the whole run. Concurrent askers share one promise,
 * and a failure is kept as well: retrying it for every cluster would only add load to a
 * failing API (the SDK has already retried).
 */
export function createAddonCatalog(clientFor: (session: AccountSession, region: string) => EKSClient): AddonCatalog {
  const cache = new Map<string, Promise<string[]>>();
  return {
    offeredVersions(session, region, kubernetesVersion) {
      const key = `${region}|${kubernetesVersion}`;
      let versions = cache.get(key);
      if (!versions) {
        versions = readVersions(clientFor(session, region), kubernetesVersion);
        cache.set(key, versions);
      }
      return versions;
    },
  };
}

async function readVersions(client: EKSClient, kubernetesVersion: string): Promise<string[]> {
  const versions = new Set<string>();
  for await (const page of paginateDescribeAddonVersions({ client }, { addonName: 'vpc-cni', kubernetesVersion })) {
    for (const addon of page.addons ?? []) {
      for (const info of addon.addonVersions ?? []) if (info.addonVersion) versions.add(info.addonVersion);
    }
  }
  return newestFirst([...versions]);
}

/**
 * Newest first: by upstream release (semver, so v1.8.0-rc1 < v1.8.0), then by eksbuild number
 * (v1.19.0-eksbuild.2 > v1.19.0-eksbuild.1); unparseable versions last.
 */
export function newestFirst(versions: string[]): string[] {
  return [...versions].sort((a, b) => {
    const va = parseAddonVersion(a);
    const vb = parseAddonVersion(b);
    if (va && vb) return semver.rcompare(va.upstream, vb.upstream) || vb.eksbuild - va.eksbuild;
    if (va) return -1;
    if (vb) return 1;
    return compareText(a, b);
  });
}

function parseAddonVersion(raw: string): { upstream: string; eksbuild: number } | null {
  const match = /^(.*?)(?:-eksbuild\.(\d+))?$/.exec(raw);
  const upstream = semver.valid(match?.[1] ?? '');
  return upstream ? { upstream, eksbuild: Number(match?.[2] ?? 0) } : null;
}
