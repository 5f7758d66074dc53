import semver from 'semver';
import type { ClusterFacts } from '../types.js';
import { parseConfigurationValues } from './configuration.js';
import { describeIgnored, describeIpamdValue, IPAMD_SETTINGS, isIpamdSetting, readIpamdSetting, type IpamdSetting } from './ipamd.js';
import { compareCniVersionsDesc, parseCniVersion, type CniVersion } from './version.js';
import { looksSecret, WITHHELD } from './secrets.js';

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
  'addon.nodeAgentImage': 'the image of the aws-eks-nodeagent container (network policy agent), for a self-managed CNI',
  'addon.nodeAgentVersion': 'the image tag of the network policy agent (v1.4.1), for a self-managed CNI',
  'addon.configValid': 'false when configurationValues is neither valid JSON nor valid YAML',
  'addon.configError': 'why configurationValues could not be read',
  'catalog.available': 'whether the versions EKS offers for the cluster are known',
  'catalog.latest': 'the newest version EKS offers for the cluster Kubernetes version',
  'catalog.behindLatest': 'true when the add-on is older than catalog.latest',
  'catalog.minorsBehind': 'how many minor releases the add-on is behind catalog.latest',
  'ipamd.ignored': 'the env settings ipamd ignores because their value does not parse (WARM_IP_TARGET=abc ...)',
};
/** `addon.config.<path>` (as written) and `cluster.tags.<key>` take any name; `ipamd.<NAME>` the settings of IPAMD_SETTINGS. */
export const OPEN_FACT_PREFIXES = ['addon.config.', 'cluster.tags.'] as const;
const IPAMD_PREFIX = 'ipamd.';

/** The setting behind `ipamd.<NAME>`, when the name is one. */
function ipamdSettingOf(name: string): [string, IpamdSetting] | undefined {
  if (!name.startsWith(IPAMD_PREFIX)) return undefined;
  const setting = name.slice(IPAMD_PREFIX.length);
  return isIpamdSetting(setting) ? [setting, IPAMD_SETTINGS[setting]!] : undefined;
}

export function isKnownFact(name: string): boolean {
  return (
    Object.hasOwn(FACT_NAMES, name) ||
    ipamdSettingOf(name) !== undefined ||
    OPEN_FACT_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length)
  );
}

/** The type of a typed fact (`ipamd.<NAME>`): what a condition on it must compare with. */
export function factType(name: string): 'bool' | 'int' | undefined {
  return ipamdSettingOf(name)?.[1].type;
}

/** One cluster's facts, flattened for conditions and templates. */
export interface FactView {
  /** The value a condition compares. */
  get(name: string): FactValue;
  /** The value as a finding's text shows it (`not set (off)` for an unset ipamd boolean). */
  show(name: string): FactValue;
  version: CniVersion | null;
  /** The offered versions, newest first (empty when unknown). */
  offered: string[];
}

interface ParsedConfig {
  value?: unknown;
  error?: string;
}

/** A configuration as the view reads it (parseConfigurationValues parses each text once per run). */
function parseConfig(raw: string | null): ParsedConfig {
  const parsed = parseConfigurationValues(raw);
  return parsed.ok ? { value: parsed.value } : { error: parsed.error };
}

/** The offered versions newest first and the newest parseable one, once per catalog list (the views of one cluster share it). */
const offeredOrders = new WeakMap<readonly string[], { offered: string[]; latest: CniVersion | undefined }>();

function offeredOrder(list: readonly string[] | undefined): { offered: string[]; latest: CniVersion | undefined } {
  if (!list) return { offered: [], latest: undefined };
  let order = offeredOrders.get(list);
  if (!order) {
    const offered = [...list].sort(compareCniVersionsDesc);
    order = { offered, latest: offered.map(parseCniVersion).find((v): v is CniVersion => v !== null) };
    offeredOrders.set(list, order);
  }
  return { offered: [...order.offered], latest: order.latest };
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

function envOf(config: unknown): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || !Object.hasOwn(config, 'env')) return {};
  const env = (config as { env?: unknown }).env;
  return env !== null && typeof env === 'object' && !Array.isArray(env) ? (env as Record<string, unknown>) : {};
}

/** Own properties only: a name from outside (`constructor`, `__proto__`) never reaches Object.prototype. */
function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** What a cluster's views share whatever add-on version they look at (FactBase, once per cluster). */
interface FactBase {
  config: ParsedConfig;
  ipamd: (name: string) => { name: string; setting: IpamdSetting; read: ReturnType<typeof readIpamdSetting> } | undefined;
  offered: string[];
  latest: CniVersion | undefined;
  /** The fixed facts that do not depend on the add-on version. */
  fixed: Record<string, FactValue>;
  /** What it was made from (inputsOf): a field of the facts set anew since makes another. */
  inputs: unknown[];
}

const bases = new WeakMap<ClusterFacts, FactBase>();

/** Every field a FactBase reads, by reference. */
function inputsOf(facts: ClusterFacts): unknown[] {
  const { cni } = facts;
  return [
    facts.clusterName, facts.region, facts.accountId, facts.accountName, facts.kubernetesVersion, facts.clusterStatus, facts.platformVersion,
    facts.offeredVersions, facts.tags, cni, cni.configurationValues, cni.managed, cni.source, cni.status, cni.healthIssues,
    cni.serviceAccountRoleArn, cni.podIdentityAssociations, cni.iamRoleKnown, cni.image, cni.officialImage, cni.daemonSetVersion, cni.networkPolicyAgent,
  ];
}

function factBase(facts: ClusterFacts): FactBase {
  const inputs = inputsOf(facts);
  const known = bases.get(facts);
  if (known && known.inputs.every((input, i) => input === inputs[i])) return known;
  const { cni } = facts;
  const config = parseConfig(cni.configurationValues);
  const env = envOf(config.value);
  const ipamd = (name: string) => {
    const found = ipamdSettingOf(name);
    return found && { name: found[0], setting: found[1], read: readIpamdSetting(found[1], own(env, found[0])) };
  };
  const ignored = Object.entries(IPAMD_SETTINGS).flatMap(([name, setting]) => {
    const read = readIpamdSetting(setting, own(env, name));
    return read.ignored ? [describeIgnored(name, setting, read)] : [];
  });
  const { offered, latest } = offeredOrder(facts.offeredVersions);
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
    'addon.nodeAgentImage': cni.networkPolicyAgent?.image,
    'addon.nodeAgentVersion': cni.networkPolicyAgent?.version ?? undefined,
    'addon.configValid': config.error === undefined,
    'addon.configError': config.error,
    'catalog.available': latest !== undefined,
    'catalog.latest': latest?.raw,
    'ipamd.ignored': ignored,
  };
  const base = { config, ipamd, offered, latest, fixed, inputs };
  bases.set(facts, base);
  return base;
}

export function buildFactView(facts: ClusterFacts): FactView {
  return factViewAt(facts, facts.cni.version);
}

/**
 * The view of `facts` with the add-on at `versionRaw` instead of its own: what a rule would say
 * of the cluster after a move (the target search asks it of every offered version). What does
 * not depend on the version is computed once per cluster.
 */
export function factViewAt(facts: ClusterFacts, versionRaw: string | null | undefined): FactView {
  const { config, ipamd, offered, latest, fixed: shared } = factBase(facts);
  const version = parseCniVersion(versionRaw);
  const behind = version && latest ? semver.lt(version.semver, latest.semver) : undefined;
  const minorsBehind =
    version && latest && latest.semver.major === version.semver.major
      ? Math.max(0, latest.semver.minor - version.semver.minor)
      : undefined;
  const fixed: Record<string, FactValue> = {
    'addon.version': versionRaw ?? undefined,
    'addon.upstreamVersion': version?.upstream,
    'addon.versionKnown': version !== null,
    'catalog.behindLatest': behind,
    'catalog.minorsBehind': minorsBehind,
  };

  const get = (name: string): FactValue => {
    if (Object.hasOwn(fixed, name)) return fixed[name];
    if (Object.hasOwn(shared, name)) return shared[name];
    const setting = ipamd(name);
    if (setting) return setting.read.value;
    if (name.startsWith('addon.config.')) return configValue(config.value, name.slice('addon.config.'.length));
    if (name.startsWith('cluster.tags.')) return own(facts.tags, name.slice('cluster.tags.'.length));
    return undefined;
  };
  return {
    version,
    offered: [...offered],
    get,
    show(name) {
      const setting = ipamd(name);
      if (setting) return describeIpamdValue(setting.setting, setting.read);
      const value = get(name);
      // A text shows no configuration value the secret detector withholds (lib/evaluate/secrets.ts).
      return name.startsWith('addon.config.') && looksSecret(name.split('.').at(-1)!, value) ? WITHHELD : value;
    },
  };
}
