import { fileURLToPath } from 'node:url';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { parseConfigurationValues } from '../../lib/evaluate/configuration.js';
import { loadOrgFile, type SimAddon, type SimCluster } from './schema.js';
import { startSimulator } from './server.js';
import { assumeInto, clientConfig } from './helpers.js';

const DEMO = fileURLToPath(new URL('../../events/demo-org.json', import.meta.url));

interface Placed {
  account: string;
  region: string;
  cluster: SimCluster;
  cni: SimAddon | undefined;
}

/** The add-on's env settings, read as EKS reads configuration values (JSON or YAML). */
function env(cni: SimAddon | undefined): Record<string, string> {
  const parsed = parseConfigurationValues(cni?.configurationValues);
  return parsed.ok ? ((parsed.value as { env?: Record<string, string> }).env ?? {}) : {};
}

const formatOf = (cni: SimAddon | undefined) => {
  const parsed = parseConfigurationValues(cni?.configurationValues);
  return parsed.ok ? parsed.format : 'invalid';
};

describe('events/demo-org.json', () => {
  it('has the organization shape the demo relies on', async () => {
    // Act
    const org = await loadOrgFile(DEMO);
    const members = org.accounts.filter((a) => a.id !== org.managementAccountId);
    const management = org.accounts.find((a) => a.id === org.managementAccountId)!;

    // Assess
    expect(members.length).toBeGreaterThanOrEqual(6);
    expect(new Set(members.map((a) => a.ou)).size).toBe(2);
    expect(Object.values(management.regions).some((r) => r.clusters.length > 0)).toBe(true);
    expect(members.filter((a) => !a.auditRole)).toHaveLength(1);
    expect(members.filter((a) => !a.securityHub)).toHaveLength(1);
    expect(members.filter((a) => a.state === 'SUSPENDED')).toHaveLength(1);
    const hongKong = org.accounts.filter((a) => a.regions['ap-east-1']?.enabled);
    expect(hongKong).toHaveLength(1);
    expect(hongKong[0]!.regions['ap-east-1']!.clusters.length).toBeGreaterThan(0);
    expect(org.addonVersions['vpc-cni']!.length).toBeGreaterThanOrEqual(25);
  });

  it('has clusters that between them trigger every rule, and clean ones', async () => {
    // Prepare
    const org = await loadOrgFile(DEMO);
    const placed: Placed[] = org.accounts.flatMap((a) =>
      Object.entries(a.regions).flatMap(([region, r]) => r.clusters.map((cluster) => ({ account: a.name, region, cluster, cni: cluster.addons['vpc-cni'] }))),
    );
    const has = (predicate: (p: Placed) => boolean) => placed.filter(predicate).map((p) => p.cluster.name);

    // Act
    const rules = {
      below172: has((p) => p.cni?.addonVersion === 'v1.7.1-eksbuild.1' && p.cluster.version === '1.21'),
      below180: has((p) => p.cni?.addonVersion === 'v1.7.5-eksbuild.1'),
      ipamdRegression: has((p) => ['v1.12.0-eksbuild.1', 'v1.11.4-eksbuild.1'].includes(p.cni?.addonVersion ?? '')),
      v116On123: has((p) => /^v1\.16\.[01]-/.test(p.cni?.addonVersion ?? '') && p.cluster.version === '1.23'),
      selfManaged: has((p) => !p.cni),
      noIamRole: has((p) => !!p.cni && !p.cni.serviceAccountRoleArn && p.cni.podIdentityAssociations.length === 0),
      behind: has((p) => /^v1\.15\./.test(p.cni?.addonVersion ?? '') && p.cluster.version === '1.29'),
      degraded: has((p) => p.cni?.status === 'DEGRADED' && p.cni.health.issues.length > 0),
      updateFailed: has((p) => p.cni?.status === 'UPDATE_FAILED'),
      warmIp: has((p) => 'WARM_IP_TARGET' in env(p.cni) && !('MINIMUM_IP_TARGET' in env(p.cni))),
      warmPrefix: has((p) => 'WARM_PREFIX_TARGET' in env(p.cni) && env(p.cni)['ENABLE_PREFIX_DELEGATION'] !== 'true'),
      probeTimeout: has((p) => /"livenessProbeTimeoutSeconds":\s*5/.test(p.cni?.configurationValues ?? '')),
      invalidJson: has((p) => formatOf(p.cni) === 'invalid'),
      yamlConfiguration: has((p) => formatOf(p.cni) === 'yaml'),
      helmSelfManaged: has((p) => p.cluster.selfManagedCni?.installedBy === 'helm'),
      manifestSelfManaged: has((p) => p.cluster.selfManagedCni?.installedBy === 'manifest' && p.cluster.selfManagedCni.access),
      podIdentityOnly: has((p) => !!p.cni && !p.cni.serviceAccountRoleArn && p.cni.podIdentityAssociations.length > 0),
    };
    // Clean: the newest build offered for its Kubernetes version (the catalog has bands), its own role, healthy, default settings
    const newestFor = (k8s: string) => org.addonVersions['vpc-cni']!.find((e) => e.compatibilities.some((c) => c.clusterVersion === k8s))?.addonVersion;
    const clean = has((p) => !!p.cni && p.cni.addonVersion === newestFor(p.cluster.version) && !!p.cni.serviceAccountRoleArn && p.cni.status === 'ACTIVE' && !p.cni.configurationValues);

    // Assess
    for (const [rule, clusters] of Object.entries(rules)) expect({ rule, found: clusters.length > 0 }).toEqual({ rule, found: true });
    expect(clean.length).toBeGreaterThanOrEqual(3);
    expect(placed.length).toBeGreaterThanOrEqual(18);
    expect(placed.length).toBeLessThanOrEqual(24);
  });

  it('offers a catalog with the compatibility bands EKS listed: Kubernetes up to 1.35, vpc-cni up to v1.22 builds', async () => {
    // Prepare
    const org = await loadOrgFile(DEMO);
    const catalog = org.addonVersions['vpc-cni']!;
    const offeredFor = (k8s: string) => catalog.filter((e) => e.compatibilities.some((c) => c.clusterVersion === k8s)).map((e) => e.addonVersion);
    const k8s = [...new Set(catalog.flatMap((e) => e.compatibilities.map((c) => c.clusterVersion)))].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));

    // Assess: the facts this catalog copies (see test/sim/README.md for where each comes from)
    expect(k8s[0]).toBe('1.23');
    expect(k8s.at(-1)).toBe('1.35');
    expect(offeredFor('1.21')).toEqual([]); // no build for a version EKS no longer supports
    expect(offeredFor('1.23')[0]).toBe('v1.18.5-eksbuild.1'); // the newest for 1.23 in the user guide's table
    expect(offeredFor('1.24')).toContain('v1.19.0-eksbuild.1');
    expect(offeredFor('1.31')).toContain('v1.19.0-eksbuild.1');
    expect(offeredFor('1.27')).toContain('v1.20.1-eksbuild.3');
    expect(offeredFor('1.30')).toContain('v1.21.1-eksbuild.7');
    expect(offeredFor('1.33')).toContain('v1.21.1-eksbuild.8');
    for (const version of ['1.31', '1.35']) expect(offeredFor(version)[0]).toBe('v1.22.4-eksbuild.3');
    expect(offeredFor('1.30')).not.toContain('v1.22.4-eksbuild.3'); // a band, not every version for every cluster
    for (const version of k8s) {
      expect(catalog.filter((e) => e.compatibilities.some((c) => c.clusterVersion === version && c.defaultVersion)), version).toHaveLength(1);
    }
  });

  it('serves the opt-in region cluster to the one account that enabled it', async () => {
    // Prepare
    const sim = await startSimulator({ org: DEMO });
    try {
      const owner = sim.org.accounts.find((a) => a.regions['ap-east-1']?.enabled)!;
      const eks = new EKSClient(clientConfig(sim, { credentials: await assumeInto(sim, owner.id), region: 'ap-east-1' }));

      // Act
      const out = await eks.send(new ListClustersCommand({}));

      // Assess
      expect(out.clusters).toEqual(owner.regions['ap-east-1']!.clusters.map((c) => c.name));
    } finally {
      await sim.stop();
    }
  });
});
