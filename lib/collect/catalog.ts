import { paginateDescribeAddonVersions, type EKSClient } from '@aws-sdk/client-eks';
import semver from 'semver';
import { compareText } from './order.js';
import type { AccountSession, AddonCatalog } from './ports.js';

/** Different accounts that may try a region × Kubernetes version before the run gives it up. */
export const CATALOG_ASKERS = 3;

interface CatalogEntry {
  versions?: string[];
  reading?: Promise<string[]>;
  /** Failures by the account whose session asked. */
  failures: Map<string, unknown>;
}

/**
 * The vpc-cni versions on offer are the same for every account of a region, so they are read
 * once per region × Kubernetes version for the whole run, and concurrent askers share one read.
 * A failure is the asking account's (its role may lack eks:DescribeAddonVersions, or the region's
 * API may be failing for it): the next account to ask reads again with its own session, up to
 * CATALOG_ASKERS accounts, so one account's denial never leaves other accounts without the catalog.
 */
export function createAddonCatalog(clientFor: (session: AccountSession, region: string) => EKSClient, first?: AccountSession): AddonCatalog {
  const entries = new Map<string, CatalogEntry>();
  return {
    async offeredVersions(asker, region, kubernetesVersion) {
      const key = `${region}|${kubernetesVersion}`;
      let entry = entries.get(key);
      if (!entry) {
        entry = { failures: new Map() };
        entries.set(key, entry);
      }
      for (;;) {
        if (entry.versions) return entry.versions;
        if (entry.reading) {
          // Another account's read is under way: share it; if it fails, try with this session.
          await entry.reading.catch(() => undefined);
          continue;
        }
        // The caller's own session reads first when there is one (the catalog is the same for every
        // account): whether an account denied the call gets it then does not depend on timing.
        const reader = first && !entry.failures.has(first.accountId) ? first : asker;
        const own = entry.failures.get(reader.accountId);
        if (own !== undefined) throw own;
        if (entry.failures.size >= CATALOG_ASKERS + (first ? 1 : 0)) throw [...entry.failures.values()].at(-1);
        const reading = readVersions(clientFor(reader, region), kubernetesVersion);
        entry.reading = reading;
        try {
          entry.versions = await reading;
          return entry.versions;
        } catch (error) {
          entry.failures.set(reader.accountId, error);
          // The caller's session could not: the asker reads with its own.
          if (reader !== asker) continue;
          throw error;
        } finally {
          entry.reading = undefined;
        }
      }
    },
  };
}

/**
 * The builds offered for one Kubernetes version. A build whose compatibilities name other
 * Kubernetes versions only is not one: the catalog is per region × Kubernetes version, and a
 * build listed for the wrong version would be printed as an `--addon-version` EKS refuses.
 */
async function readVersions(client: EKSClient, kubernetesVersion: string): Promise<string[]> {
  const versions = new Set<string>();
  for await (const page of paginateDescribeAddonVersions({ client }, { addonName: 'vpc-cni', kubernetesVersion })) {
    for (const addon of page.addons ?? []) {
      if (addon.addonName !== undefined && addon.addonName !== 'vpc-cni') continue;
      for (const info of addon.addonVersions ?? []) {
        const listed = (info.compatibilities ?? []).map((c) => c.clusterVersion);
        if (info.addonVersion && (listed.length === 0 || listed.includes(kubernetesVersion))) versions.add(info.addonVersion);
      }
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
