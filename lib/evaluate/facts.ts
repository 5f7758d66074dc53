import semver from 'semver';
import type { ClusterFacts } from '../types.js';
import { parseConfigurationValues } from './configuration.js';
import { compareCniVersionsDesc, parseCniVersion, type CniVersion } from './version.js';

/** A value a condition can look at. Configuration values arrive as strings ("3", "true"). */
export type FactValue = string | number | boolean | string[] | undefined;

/** The facts a rule may name, with what each holds; `addon.config.*` and `cluster.tags.*` are open. */
export const FACT_NAMES: Record<string, string> = {
  'cluster.name': 'the cluster name',
  'cluster.region': 'the cluster region',
  'cluster.accountId': 'the account id',
  'cluster.accountName': 'the account name',
  'cluster.kubernetesVersion': 'the Kubernetes version (1.29)',
  'cluster.status': 'the cluster status (ACTIVE, ...)',
  'cluster.platformVersion': 'the EKS platform version (eks.7)',
  'addon.managed': 'true for the EKS managed add-on, false for a self-managed CNI',
  'addon.source': 'where the facts came from: addon, daemonset or none',
  'addon.version': 'the raw version (v1.18.0-eksbuild.1 or an image tag)',
  'addon.upstreamVersion': 'the upstream release (1.18.0); absent when unknown',
  'addon.versionKnown': 'false when the version is missing or not a version',
  'addon.status': 'the add-on status (ACTIVE, DEGRADED, UPDATE_FAILED, ...)',
  'addon.healthIssueCodes': 'the codes of the add-on health issues',
  'addon.serviceAccountRoleArn': 'the IRSA role of the aws-node service account',
  'addon.podIdentityAssociations': 'the pod identity associations of the aws-node service account',
  'addon.iamRoleKnown': 'false when the IAM role of aws-node could not be read',
  'addon.image': 'the aws-node image of a self-managed CNI',
  'addon.officialImage': 'false when the image is not from an Amazon EKS registry',
  'addon.daemonSetVersion': 'the image tag the aws-node DaemonSet runs, for a managed add-on read with AUDIT_READ_DAEMONSET=all',
  'addon.configValid': 'false when configurationValues is neither valid JSON nor valid YAML',
  'addon.configError': 'why configurationValues could not be read',
  'catalog.available': 'whether the versions EKS offers for the cluster are known',
  'catalog.latest': 'the newest version EKS offers for the cluster Kubernetes version',
  'catalog.behindLatest': 'true when the add-on is older than catalog.latest',
  'catalog.minorsBehind': 'how many minor releases the add-on is behind catalog.latest',
};
export const OPEN_FACT_PREFIXES = ['addon.config.', 'cluster.tags.'] as const;

export function isKnownFact(name: string): boolean {
  return name in FACT_NAMES || OPEN_FACT_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

/** One cluster's facts, flattened for conditions and templates. */
export interface FactView {
  get(name: string): FactValue;
  version: CniVersion | null;
  /** The offered versions, newest first (empty when unknown). */
  offered: string[];
}

interface ParsedConfig {
  value?: unknown;
  error?: string;
}

function parseConfig(raw: string | null): ParsedConfig {
  const parsed = parseConfigurationValues(raw);
  return parsed.ok ? { value: parsed.value } : { error: parsed.error };
}

function configValue(config: unknown, path: string): FactValue {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return node;
  if (Array.isArray(node)) return node.map(String);
  return node == null ? undefined : JSON.stringify(node);
}

export function buildFactView(facts: ClusterFacts): FactView {
  const { cni } = facts;
  const version = parseCniVersion(cni.version);
  const config = parseConfig(cni.configurationValues);
  const offered = [...(facts.offeredVersions ?? [])].sort(compareCniVersionsDesc);
  const latest = offered.map(parseCniVersion).find((v): v is CniVersion => v !== null);
  const behind = version && latest ? semver.lt(version.semver, latest.semver) : undefined;
  const minorsBehind =
    version && latest && latest.semver.major === version.semver.major
      ? Math.max(0, latest.semver.minor - version.semver.minor)
      : undefined;

  const fixed: Record<string, FactValue> = {
    'cluster.name': facts.clusterName,
    'cluster.region': facts.region,
    'cluster.accountId': facts.accountId,
    'cluster.accountName': facts.accountName,
    'cluster.kubernetesVersion': facts.kubernetesVersion,
    'cluster.status': facts.clusterStatus,
    'cluster.platformVersion': facts.platformVersion,
    'addon.managed': cni.managed,
    'addon.source': cni.source,
    'addon.version': cni.version ?? undefined,
    'addon.upstreamVersion': version?.upstream,
    'addon.versionKnown': version !== null,
    'addon.status': cni.status ?? undefined,
    'addon.healthIssueCodes': cni.healthIssues.map((issue) => issue.code),
    'addon.serviceAccountRoleArn': cni.serviceAccountRoleArn ?? undefined,
    'addon.podIdentityAssociations': cni.podIdentityAssociations.map(
      (a) => a.roleArn ?? a.associationId ?? a.serviceAccount,
    ),
    'addon.iamRoleKnown': cni.iamRoleKnown ?? cni.source !== 'none',
    'addon.image': cni.image,
    'addon.officialImage': cni.officialImage,
    'addon.daemonSetVersion': cni.daemonSetVersion,
    'addon.configValid': config.error === undefined,
    'addon.configError': config.error,
    'catalog.available': latest !== undefined,
    'catalog.latest': latest?.raw,
    'catalog.behindLatest': behind,
    'catalog.minorsBehind': minorsBehind,
  };

  return {
    version,
    offered,
    get(name) {
      if (Object.hasOwn(fixed, name)) return fixed[name];
      if (name.startsWith('addon.config.')) return configValue(config.value, name.slice('addon.config.'.length));
      if (name.startsWith('cluster.tags.')) return facts.tags[name.slice('cluster.tags.'.length)];
      return undefined;
    },
  };
}
