import { fileURLToPath } from 'node:url';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
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

function env(cni: SimAddon | undefined): Record<string, string> {
  try {
    return (JSON.parse(cni?.configurationValues ?? '{}') as { env?: Record<string, string> }).env ?? {};
  } catch {
    return {};
  }
}

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
    const latest = org.addonVersions['vpc-cni']![0]!.addonVersion;

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
      invalidJson: has((p) => p.cni?.configurationValues !== undefined && !isJson(p.cni.configurationValues)),
      podIdentityOnly: has((p) => !!p.cni && !p.cni.serviceAccountRoleArn && p.cni.podIdentityAssociations.length > 0),
    };
    const clean = has((p) => p.cni?.addonVersion === latest && !!p.cni.serviceAccountRoleArn && p.cni.status === 'ACTIVE' && !p.cni.configurationValues);

    // Assess
    for (const [rule, clusters] of Object.entries(rules)) expect({ rule, found: clusters.length > 0 }).toEqual({ rule, found: true });
    expect(clean.length).toBeGreaterThanOrEqual(3);
    expect(placed.length).toBeGreaterThanOrEqual(18);
    expect(placed.length).toBeLessThanOrEqual(24);
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

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
