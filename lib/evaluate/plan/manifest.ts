import semver from 'semver';
import type { PlanStep } from '../../types.js';
import { goParseBool } from '../configuration.js';
import type { CniVersion } from '../version.js';
import { printJson, shellValueWithGuards, type MergedConfiguration } from './configuration.js';
import { dirFor, kubectl, type PlanContext } from './context.js';
import { unreadByManifestText } from './identity.js';
import { ENICONFIG_CRD, manifestCrdIsV1beta1, manifestUrl, upstreamRelease, type ManifestFlavour } from './releases.js';
import { ECR_PUBLIC_REGISTRY, UPSTREAM_DEFAULT_REGISTRY } from './registry.js';
import { shellQuote } from './shell.js';

/**
 * A self-managed vpc-cni installed from the release manifest (`kubectl apply`, or EKS at cluster
 * creation), moved one release at a time. `kubectl apply` of a manifest resets aws-node to the
 * release's settings, and setting them again afterwards lets the rollout start on upstream
 * defaults; so each manifest is edited before it is applied, with kubectl's own kustomize
 * (`kubectl apply -k`, kubectl 1.21 or later): a strategic-merge patch carries the settings into
 * the DaemonSet, and `kubectl diff -k` shows what the apply would still change. Pure.
 *
 * Facts of the release manifests (aws/amazon-vpc-cni-k8s, config/ at each tag v1.7.0 to v1.23.0):
 * the init container is `aws-vpc-cni-init` in every one; since v1.14.0 each also holds the
 * ConfigMap `amazon-vpc-cni` (network policy controller, Windows IPAM: kept out of the apply, so
 * the cluster's own stays) and the network policy agent `aws-eks-nodeagent` with the argument
 * `--enable-network-policy=false`.
 */

const ROLLOUT = '--timeout 15m';
const SINCE_AGENT = '1.14.0';
const MANIFEST_FILE = 'aws-k8s-cni.yaml';

/** The release manifest for the cluster's partition and region, and the registry it names. */
function manifestFor(ctx: PlanContext, release: string): { url: string; registry: string } | undefined {
  const flavour: ManifestFlavour =
    ctx.partition === 'aws-cn' ? 'cn' : ctx.region === 'us-gov-east-1' || ctx.region === 'us-gov-west-1' ? ctx.region : 'commercial';
  const own = manifestUrl(release, flavour);
  const registryOf: Record<ManifestFlavour, string> = {
    commercial: UPSTREAM_DEFAULT_REGISTRY,
    cn: '961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
    'us-gov-east-1': '151742754352.dkr.ecr.us-gov-east-1.amazonaws.com',
    'us-gov-west-1': '013241004608.dkr.ecr.us-gov-west-1.amazonaws.com',
  };
  if (own) return { url: own, registry: registryOf[flavour] };
  // That flavour names another release's images: take the commercial one and point it at the right registry.
  const commercial = manifestUrl(release, 'commercial');
  return commercial ? { url: commercial, registry: UPSTREAM_DEFAULT_REGISTRY } : undefined;
}

/** sed expressions that point a manifest's images at the cluster's registry. */
function registryRewrite(ctx: PlanContext, from: string): string[] {
  if (ctx.images.kind === 'ecr-public') {
    return [`s|${from}/amazon/aws-network-policy-agent|${ECR_PUBLIC_REGISTRY}/aws-network-policy-agent|g`, `s|${from}/|${ECR_PUBLIC_REGISTRY}/|g`];
  }
  return ctx.images.host === from ? [] : [`s|${from}|${ctx.images.host}|g`];
}

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object' && !Array.isArray(value);
const envList = (env: unknown, removed: readonly string[] = []) => [
  ...Object.entries(isNode(env) ? env : {}).map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) })),
  ...removed.map((name) => ({ name, $patch: 'delete' })),
];

/** The settings of the add-on's configuration schema the patch carries, and where each goes in the DaemonSet. */
const CARRIED = ['env', 'init', 'livenessProbeTimeoutSeconds', 'readinessProbeTimeoutSeconds', 'resources', 'podAnnotations', 'podLabels', 'tolerations', 'affinity', 'nodeSelector', 'enableNetworkPolicy'] as const;

export interface ManifestEdit {
  /** The kustomization (JSON, one line), with guarded values as sentinels. */
  kustomization: string;
  /** sed expressions on the downloaded manifest. */
  sed: string[];
  /** Settings of the configuration the edit cannot carry (`nodeAgent`, `eniConfig`), by name. */
  notCarried: string[];
  /** The ENIConfig CustomResourceDefinition (apiextensions.k8s.io/v1beta1) is taken out: the cluster's Kubernetes refuses it. */
  crdOut: boolean;
}

/**
 * The edit of one release manifest that keeps the cluster's settings: the aws-node env (with the
 * fixes' removals), probe timeouts and resources, the init container's env, the pod's annotations,
 * labels, tolerations, affinity and node selector, and the agent's --enable-network-policy.
 */
export function manifestEdit(ctx: PlanContext, release: CniVersion, settings: MergedConfiguration | undefined, registry: string): ManifestEdit {
  const merged = settings?.merged ?? {};
  const removedEnv = envChanges(settings).filter((c) => c.to === null).map((c) => c.name);
  const agent = semver.gte(release.semver, SINCE_AGENT);
  const container: Node = { name: 'aws-node' };
  const env = envList(merged.env, removedEnv);
  if (env.length) container.env = env;
  for (const [key, probe] of [['livenessProbeTimeoutSeconds', 'livenessProbe'], ['readinessProbeTimeoutSeconds', 'readinessProbe']] as const) {
    if (typeof merged[key] === 'number') container[probe] = { timeoutSeconds: merged[key] };
  }
  if (isNode(merged.resources)) container.resources = merged.resources;
  const podSpec: Node = { containers: [container] };
  const initEnv = isNode(merged.init) ? envList(merged.init.env) : [];
  if (initEnv.length) podSpec.initContainers = [{ name: 'aws-vpc-cni-init', env: initEnv }];
  for (const key of ['tolerations', 'affinity', 'nodeSelector'] as const) if (merged[key] !== undefined) podSpec[key] = merged[key];
  const podMeta: Node = {};
  if (isNode(merged.podAnnotations)) podMeta.annotations = merged.podAnnotations;
  if (isNode(merged.podLabels)) podMeta.labels = merged.podLabels;
  const daemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'aws-node', namespace: 'kube-system' },
    spec: { template: { ...(Object.keys(podMeta).length ? { metadata: podMeta } : {}), spec: podSpec } },
  };
  const patches = [{ patch: JSON.stringify(daemonSet) }];
  // Since 1.14 the manifest carries the ConfigMap with upstream defaults: left out, the cluster's stays.
  if (agent) patches.push({ patch: JSON.stringify({ $patch: 'delete', apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' } }) });
  // Before 1.10 the manifest writes the ENIConfig CRD in apiextensions.k8s.io/v1beta1, which Kubernetes 1.22+ refuses: left out, the cluster's stays.
  const crdOut = manifestCrdIsV1beta1(release.upstream, ctx.facts.kubernetesVersion);
  if (crdOut) patches.push({ patch: JSON.stringify({ $patch: 'delete', apiVersion: ENICONFIG_CRD.apiVersion, kind: ENICONFIG_CRD.kind, metadata: { name: ENICONFIG_CRD.name } }) });
  const kustomization = JSON.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [MANIFEST_FILE], patches });
  const sed = registryRewrite(ctx, registry);
  const policy = goParseBool(merged.enableNetworkPolicy);
  if (agent && policy === true) sed.push('s|--enable-network-policy=false|--enable-network-policy=true|');
  const notCarried = Object.keys(merged).filter((key) => !(CARRIED as readonly string[]).includes(key) || (key === 'enableNetworkPolicy' && !agent && policy === true));
  return { kustomization, sed, notCarried, crdOut };
}

/** The commands of one release: prepare (download, edit, review) and apply. */
export interface ManifestRelease {
  release: string;
  prepare: string[];
  apply: string;
  notCarried: string[];
  crdOut: boolean;
}

export function manifestRelease(ctx: PlanContext, version: CniVersion, settings: MergedConfiguration | undefined): ManifestRelease | undefined {
  const manifest = manifestFor(ctx, version.upstream);
  if (!manifest) return undefined;
  const dir = dirFor(ctx, `aws-vpc-cni-v${version.upstream}`);
  const file = shellQuote(`${dir}/${MANIFEST_FILE}`);
  const edit = manifestEdit(ctx, version, settings, manifest.registry);
  const guards = settings ?? { withheld: [], choices: [] };
  const prepare = [
    `mkdir -p ${shellQuote(dir)} && curl -fsSL -o ${file} ${manifest.url}`,
    ...(edit.sed.length ? [`sed -i.bak ${edit.sed.map((e) => `-e ${shellQuote(e)}`).join(' ')} ${file}`] : []),
    `${printJson(edit.kustomization, guards)} > ${shellQuote(`${dir}/kustomization.yaml`)}`,
    kubectl(ctx, `diff -k ${shellQuote(dir)}`),
  ];
  const apply = `${kubectl(ctx, `apply -k ${shellQuote(dir)}`)} && ${rolloutStatus(ctx)}`;
  return { release: version.upstream, prepare, apply, notCarried: edit.notCarried, crdOut: edit.crdOut };
}

export function rolloutStatus(ctx: PlanContext): string {
  return kubectl(ctx, `-n kube-system rollout status daemonset aws-node ${ROLLOUT}`);
}

function agentNote(release: string): string {
  const agent = upstreamRelease(release)?.agent;
  return agent ? ` (network policy agent ${agent})` : '';
}

/** What the title says the edit keeps, what it leaves to the manifest, and what it takes out. */
export function manifestKeepsText(releases: readonly ManifestRelease[], restoredBy = 'set them again after the last step'): string {
  const notCarried = [...new Set(releases.flatMap((r) => r.notCarried))];
  const crdOut = releases.filter((r) => r.crdOut).map((r) => `v${r.release}`);
  return (
    'each manifest is edited before it is applied, so that aws-node starts with your settings (the aws-node and aws-vpc-cni-init env, probe timeouts, resources, ' +
    'pod annotations, labels, tolerations, affinity, node selector, --enable-network-policy; the ConfigMap amazon-vpc-cni is left out, so yours stays); ' +
    'what the audit does not read (the update strategy, the network policy agent\'s other flags and resources, images other than the registry) comes from the release: ' +
    'kubectl diff shows every change before the apply (it exits 1 when there is one)' +
    (crdOut.length
      ? `; the manifests of ${crdOut.join(', ')} define the ENIConfig CustomResourceDefinition with apiextensions.k8s.io/v1beta1, which Kubernetes 1.22 removed: the edit takes it out, and the cluster keeps the ENIConfig CRD it has`
      : '') +
    (notCarried.length ? `; not carried (${restoredBy}): ${notCarried.join(', ')}` : '')
  );
}

export interface ManifestUpdate {
  steps: CniVersion[];
  /** The settings the DaemonSet runs, fixes applied. */
  settings?: MergedConfiguration;
  fixes: string[];
}

/** The manifest path one minor at a time: each release prepared and reviewed, then applied. */
export function manifestSteps(ctx: PlanContext, update: ManifestUpdate): PlanStep[] {
  const releases = update.steps.map((step) => ({ step, release: manifestRelease(ctx, step, update.settings) }));
  const missing = releases.filter((r) => !r.release).map((r) => r.step.upstream);
  const ready = releases.flatMap((r) => (r.release ? [r.release] : []));
  if (ready.length === 0) return [];
  return [
    {
      title:
        `Apply the release manifest one minor at a time: ${update.steps.map((s) => `v${s.upstream}${agentNote(s.upstream)}`).join(' → ')}; ${manifestKeepsText(ready)}${unreadByManifestText(ctx)}` +
        (missing.length ? `; no upstream manifest installs ${missing.join(', ')}` : '') +
        '.',
      commands: ready.flatMap((r) => [...r.prepare, r.apply]),
      fixes: update.fixes,
    },
  ];
}

/** The changes of the aws-node env (`env.NAME`, the variable's name as one key), with their variable names. */
function envChanges(config: MergedConfiguration | undefined): { name: string; to: string | null }[] {
  if (!config) return [];
  return config.changes.flatMap((c, i) => {
    const keys = config.changeKeys[i]!;
    return keys.length === 2 && keys[0] === 'env' ? [{ name: keys[1]!, to: c.to }] : [];
  });
}

/** `kubectl set env` and a probe patch of only the settings the fixes change, in place (no new release). */
export function settingsSteps(ctx: PlanContext, config: MergedConfiguration, fixes: string[]): PlanStep[] {
  const env = (config.merged.env ?? {}) as Record<string, unknown>;
  const assignments = envChanges(config)
    .map((c) => c.name)
    .filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map((name) => (Object.hasOwn(env, name) ? shellValueWithGuards(`${name}=${String(env[name])}`, config) : `${name}-`));
  const commands = assignments.length ? [kubectl(ctx, `-n kube-system set env daemonset aws-node -c aws-node ${assignments.join(' ')}`)] : [];
  const probes: Record<string, number> = {};
  for (const key of ['livenessProbeTimeoutSeconds', 'readinessProbeTimeoutSeconds'] as const) {
    const value = config.merged[key];
    if (config.changes.some((c) => c.path === key) && typeof value === 'number' && Number.isInteger(value)) probes[key === 'livenessProbeTimeoutSeconds' ? 'livenessProbe' : 'readinessProbe'] = value;
  }
  if (Object.keys(probes).length) {
    const container = { name: 'aws-node', ...Object.fromEntries(Object.entries(probes).map(([probe, t]) => [probe, { timeoutSeconds: t }])) };
    commands.push(kubectl(ctx, `-n kube-system patch daemonset aws-node --type strategic -p ${shellQuote(JSON.stringify({ spec: { template: { spec: { containers: [container] } } } }))}`));
  }
  if (commands.length === 0) return [];
  return [{ title: 'Apply the configuration fixes to the aws-node DaemonSet (only the settings they change).', commands: [`${commands.join(' && ')} && ${rolloutStatus(ctx)}`], fixes }];
}
