import { describe, expect, it } from 'vitest';
import { generateOrg, vpcCniCatalog } from './generate.js';
import { parseOrg } from './schema.js';

describe('generate.ts', () => {
  it('builds 1000 valid accounts with unique ids and the management account first', () => {
    // Act
    const org = generateOrg({ accounts: 1000, regions: 4, clustersPerAccount: 2.5, seed: 42 });

    // Assess
    expect(org.accounts).toHaveLength(1000);
    expect(new Set(org.accounts.map((a) => a.id)).size).toBe(1000);
    expect(org.accounts[0]!.id).toBe(org.managementAccountId);
    expect(() => parseOrg(org)).not.toThrow();
    expect(Object.keys(org.accounts[1]!.regions)).toEqual(['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2']);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    // Act
    const a = generateOrg({ accounts: 1000, seed: 7 });
    const b = generateOrg({ accounts: 1000, seed: 7 });
    const c = generateOrg({ accounts: 1000, seed: 8 });

    // Assess
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it('has a realistic mix of CNI setups, versions, states and account settings', () => {
    // Act
    const org = generateOrg({ accounts: 1000, regions: 4, clustersPerAccount: 2.5, seed: 42 });
    const clusters = org.accounts.flatMap((a) => Object.values(a.regions).flatMap((r) => r.clusters));
    const addons = clusters.flatMap((c) => (c.addons['vpc-cni'] ? [c.addons['vpc-cni']] : []));
    const share = (n: number, of: number) => n / of;

    // Assess
    expect(share(clusters.length, 1000)).toBeGreaterThan(2.2);
    expect(share(clusters.length, 1000)).toBeLessThan(2.8);
    expect(share(clusters.length - addons.length, clusters.length)).toBeGreaterThan(0.08);
    expect(share(clusters.length - addons.length, clusters.length)).toBeLessThan(0.25);
    expect(addons.some((a) => a.addonVersion.startsWith('v1.7.'))).toBe(true);
    expect(addons.some((a) => a.addonVersion === 'v1.18.6-eksbuild.1')).toBe(true);
    expect(addons.some((a) => a.status === 'DEGRADED' && a.health.issues.length > 0)).toBe(true);
    expect(addons.some((a) => !a.serviceAccountRoleArn && a.podIdentityAssociations.length === 0)).toBe(true);
    expect(org.accounts.some((a) => a.state === 'SUSPENDED')).toBe(true);
    expect(org.accounts.some((a) => !a.auditRole)).toBe(true);
    expect(org.accounts.some((a) => !a.securityHub)).toBe(true);
    expect(new Set(clusters.map((c) => c.version)).size).toBeGreaterThan(5);
  });

  it('spreads clustersPerRegion over every enabled region (the 5,000 × 4 × 2.5 benchmark shape)', () => {
    // Act
    const org = generateOrg({ accounts: 1000, regions: 4, clustersPerRegion: 2.5, seed: 3 });
    const clusters = org.accounts.reduce((n, a) => n + Object.values(a.regions).reduce((m, r) => m + r.clusters.length, 0), 0);

    // Assess
    expect(clusters / 1000).toBeGreaterThan(9);
    expect(clusters / 1000).toBeLessThan(11);
  });

  it('keeps an opt-in region disabled for most accounts', () => {
    // Act
    const org = generateOrg({ accounts: 500, regions: ['us-east-1', 'ap-east-1'], clustersPerAccount: 2, seed: 5 });
    const enabled = org.accounts.filter((a) => a.regions['ap-east-1']?.enabled).length;

    // Assess
    expect(enabled).toBeGreaterThan(50);
    expect(enabled).toBeLessThan(200);
  });

  it('offers a vpc-cni catalog of about 30 versions covering Kubernetes 1.23 to 1.30, newest first', () => {
    // Act
    const catalog = vpcCniCatalog();
    const k8s = new Set(catalog.flatMap((e) => e.compatibilities.map((c) => c.clusterVersion)));

    // Assess
    expect(catalog.length).toBeGreaterThanOrEqual(25);
    expect(catalog.length).toBeLessThanOrEqual(35);
    expect(catalog[0]!.addonVersion).toBe('v1.18.6-eksbuild.1');
    expect([...k8s].sort()).toEqual(['1.23', '1.24', '1.25', '1.26', '1.27', '1.28', '1.29', '1.30']);
    for (const version of k8s) {
      expect(catalog.filter((e) => e.compatibilities.some((c) => c.clusterVersion === version && c.defaultVersion))).toHaveLength(1);
    }
  });
});
