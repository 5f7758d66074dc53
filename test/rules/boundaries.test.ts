import semver from 'semver';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateCluster } from '../../lib/evaluate/evaluate.js';
import type { Rule } from '../../lib/evaluate/rule.js';
import { loadRules } from '../../lib/rules/load.js';
import { clusterFacts } from '../fixtures/cluster.js';
import { UPSTREAM_TAGS } from '../fixtures/upstream-tags.js';

/**
 * The boundaries of every version-range rule, pinned against the real upstream tag list: the
 * first and last affected tags, the first tag clear of the risk (a release candidate where one
 * carries the change), and the rc tags on either side. `config` makes a configuration-dependent
 * rule's condition hold; `k8s` puts the cluster in a rule's Kubernetes range.
 */
interface Boundary {
  first: string;
  last: string;
  firstClear: string;
  rcAffected?: string[];
  rcClear?: string[];
  config?: string;
  k8s?: string;
}

const BOUNDARIES: Record<string, Boundary> = {
  'vpc-cni-below-v1.7.2': { first: 'v1.0.0', last: 'v1.7.1', firstClear: 'v1.7.2-rc1', rcAffected: ['v1.6.0-rc1', 'v1.7.0-rc2'], rcClear: ['v1.7.2-rc1'] },
  'vpc-cni-below-v1.8.0': { first: 'v1.0.0', last: 'v1.7.10', firstClear: 'v1.8.0', rcAffected: ['v1.7.2-rc1', 'v1.7.10-rc1'] },
  'vpc-cni-ipamd-reconcile-regression': {
    first: 'v1.11.4-rc1',
    last: 'v1.12.2',
    firstClear: 'v1.12.5',
    rcAffected: ['v1.11.4-rc1', 'v1.12.1-rc1', 'v1.12.1-rc2', 'v1.12.1-rc3'],
  },
  'vpc-cni-v1.16-cni-spec-on-k8s-1.23': { first: 'v1.16.0', last: 'v1.16.0', firstClear: 'v1.16.2', k8s: '1.23' },
  'vpc-cni-calico-v1.7.0-routes-deleted': { first: 'v1.7.0-rc1', last: 'v1.7.0', firstClear: 'v1.7.1', rcAffected: ['v1.7.0-rc1', 'v1.7.0-rc2'] },
  'vpc-cni-stale-imds-same-ip-count': { first: 'v1.7.2-rc1', last: 'v1.18.3', firstClear: 'v1.18.4', rcAffected: ['v1.7.2-rc1', 'v1.11.4-rc1', 'v1.12.1-rc3'] },
  'vpc-cni-annotate-pod-ip-panic': { first: 'v1.9.3', last: 'v1.11.2', firstClear: 'v1.11.3', rcClear: ['v1.11.4-rc1'], config: '{"env":{"ANNOTATE_POD_IP":"true"}}' },
  'vpc-cni-v1.10.0-requires-imdsv1': { first: 'v1.10.0', last: 'v1.10.0', firstClear: 'v1.10.1' },
  'vpc-cni-custom-networking-eniconfig-without-security-groups': {
    first: 'v1.13.0',
    last: 'v1.13.0',
    firstClear: 'v1.13.2',
    config: 'env:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true"\n',
  },
  'vpc-cni-unmanaged-eni-security-groups-overwritten': { first: 'v1.13.2', last: 'v1.13.3', firstClear: 'v1.13.4' },
  'vpc-cni-v1.13.2-memory-growth': { first: 'v1.13.2', last: 'v1.13.2', firstClear: 'v1.13.3' },
  'vpc-cni-custom-networking-without-cninode': { first: 'v1.15.0', last: 'v1.15.0', firstClear: 'v1.15.1', config: '{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"TRUE"}}' },
  'vpc-cni-v1.16.3-datastore-livelock': { first: 'v1.16.3', last: 'v1.16.3', firstClear: 'v1.16.4' },
  'vpc-cni-network-policy-standard-mode-return-traffic': {
    first: 'v1.14.0',
    last: 'v1.19.2',
    firstClear: 'v1.19.3-rc1',
    rcClear: ['v1.19.3-rc1'],
    config: 'enableNetworkPolicy: "true"\n',
  },
  'vpc-cni-plugin-panic-on-pod-delete': { first: 'v1.19.3-rc1', last: 'v1.19.6', firstClear: 'v1.20.0', rcAffected: ['v1.19.3-rc1'] },
  'vpc-cni-custom-networking-sgpp-node-init': {
    first: 'v1.19.4',
    last: 'v1.19.4',
    firstClear: 'v1.19.5',
    config: '{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true","ENABLE_POD_ENI":"1"}}',
  },
  'vpc-cni-describe-security-groups-required': { first: 'v1.22.0', last: 'v1.22.1', firstClear: 'v1.22.2' },
  'vpc-cni-kube-proxy-nftables-secondary-eni': { first: 'v1.0.0', last: 'v1.22.4', firstClear: 'v1.23.0', k8s: '1.31' },
};

const ordered = [...UPSTREAM_TAGS].sort((a, b) => semver.compare(a, b));
let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules();
});

function affects(rule: Rule, version: string, boundary: Pick<Boundary, 'config' | 'k8s'>): boolean {
  const facts = clusterFacts({ kubernetesVersion: boundary.k8s ?? '1.29', cni: { version, configurationValues: boundary.config ?? null } });
  return evaluateCluster([rule], facts).some((f) => f.ruleId === rule.id);
}

describe('rule boundaries against the upstream tag list', () => {
  it('pins every version-range rule (a new rule needs its boundaries here)', () => {
    expect(rules.filter((r) => r.affected).map((r) => r.id).sort()).toEqual(Object.keys(BOUNDARIES).sort());
  });

  it.each(Object.entries(BOUNDARIES))('%s: exactly the tags from its first to its last affected tag', (id, boundary) => {
    // Prepare
    const rule = rules.find((r) => r.id === id)!;
    for (const tag of [boundary.first, boundary.last, boundary.firstClear, `v${rule.fixed}`]) expect(UPSTREAM_TAGS, tag).toContain(tag);

    // Act
    const affected = ordered.filter((tag) => affects(rule, tag, boundary));

    // Assess: one unbroken run, from first to last, then the first clear tag
    const from = ordered.indexOf(boundary.first);
    const to = ordered.indexOf(boundary.last);
    expect(affected).toEqual(ordered.slice(from, to + 1));
    expect(ordered[to + 1]).toBe(boundary.firstClear);
    // `fixed` is the first release (not a candidate) clear of the risk
    expect(ordered.slice(to + 1).find((tag) => semver.prerelease(tag) === null)).toBe(`v${rule.fixed}`);
  });

  it.each(Object.entries(BOUNDARIES))('%s: release candidates and EKS builds land on the right side', (id, boundary) => {
    // Prepare
    const rule = rules.find((r) => r.id === id)!;

    // Act & Assess
    for (const rc of boundary.rcAffected ?? []) expect(affects(rule, rc, boundary), `${rc} affected`).toBe(true);
    for (const rc of boundary.rcClear ?? []) expect(affects(rule, rc, boundary), `${rc} clear`).toBe(false);
    expect(affects(rule, `${boundary.last}-eksbuild.3`.replace(/-rc\d+-eksbuild/, '-eksbuild'), boundary)).toBe(semver.prerelease(boundary.last) === null);
    if (semver.prerelease(boundary.firstClear) === null) expect(affects(rule, `${boundary.firstClear}-eksbuild.1`, boundary)).toBe(false);
  });

  it.each(Object.entries(BOUNDARIES).filter(([, b]) => b.config))('%s: not raised at an affected tag when its setting is off', (id, boundary) => {
    // Prepare
    const rule = rules.find((r) => r.id === id)!;

    // Act & Assess: the same tag with the upstream defaults (no configuration values)
    expect(affects(rule, boundary.last, { k8s: boundary.k8s })).toBe(false);
  });

  it('vpc-cni-describe-security-groups-required: v1.22.1 spares custom networking, v1.22.0 does not; provisioning off spares both', () => {
    // Prepare
    const rule = rules.find((r) => r.id === 'vpc-cni-describe-security-groups-required')!;
    const custom = { config: '{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"}}' };
    const noDiscovery = { config: '{"env":{"ENABLE_SUBNET_DISCOVERY":"false"}}' };
    const noProvisioning = { config: '{"env":{"DISABLE_NETWORK_RESOURCE_PROVISIONING":"true"}}' };

    // Act & Assess
    expect(affects(rule, 'v1.22.0', custom)).toBe(true);
    expect(affects(rule, 'v1.22.1-eksbuild.2', custom)).toBe(false);
    expect(affects(rule, 'v1.22.1', noDiscovery)).toBe(false);
    expect(affects(rule, 'v1.22.0', noProvisioning)).toBe(false);
    // a value ipamd cannot parse leaves subnet discovery at its default, on
    expect(affects(rule, 'v1.22.1', { config: '{"env":{"ENABLE_SUBNET_DISCOVERY":"no"}}' })).toBe(true);
  });

  it('vpc-cni-network-policy-standard-mode-return-traffic: strict mode and a self-managed agent flag', () => {
    // Prepare
    const rule = rules.find((r) => r.id === 'vpc-cni-network-policy-standard-mode-return-traffic')!;

    // Act & Assess
    expect(affects(rule, 'v1.18.6', { config: '{"enableNetworkPolicy":"true","env":{"NETWORK_POLICY_ENFORCING_MODE":"strict"}}' })).toBe(false);
    expect(affects(rule, 'v1.18.6', { config: '{"enableNetworkPolicy":"false"}' })).toBe(false);
    expect(affects(rule, 'v1.18.6', { config: '{"enableNetworkPolicy":"true","env":{"NETWORK_POLICY_ENFORCING_MODE":"standard"}}' })).toBe(true);
  });
});
