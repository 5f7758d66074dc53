import type { HelmRelease, PlanStep } from '../../types.js';
import { parseCniVersion, type CniVersion } from '../version.js';
import { configurationOption, shellValueWithGuards, type MergedConfiguration } from './configuration.js';
import { fileFor, kubectl, waitActive, type PlanContext } from './context.js';
import { manifestUrl, upstreamRelease, UPSTREAM_RELEASES, type ManifestFlavour, type UpstreamRelease } from './releases.js';
import { ECR_PUBLIC_REGISTRY, UPSTREAM_DEFAULT_REGISTRY } from './registry.js';
import { describeInvalid, isValid, shellQuote } from './shell.js';

/**
 * The commands of a self-managed vpc-cni, for how it was installed: a Helm release is upgraded
 * with the chart of each release (kubectl would fight Helm); a manifest install takes the release
 * manifest for the cluster's partition and region. Since 1.14 the DaemonSet also runs the network
 * policy agent, and both carry the agent of the release. The move to the managed add-on is given
 * after them. Every kubectl and helm line names the cluster's context.
 */

export interface SelfManagedUpdate {
  /** Upstream releases to go through, one minor at a time, ending at the target's release. */
  steps: { version: CniVersion; upstreamOnly: boolean }[];
  configuration?: MergedConfiguration;
  /** The settings the DaemonSet runs (fixes applied), set again after each manifest apply. */
  settings?: MergedConfiguration;
  versionFixes: string[];
  configurationFixes: string[];
}

const CHART_REPO = 'https://aws.github.io/eks-charts';
const ROLLOUT = '--timeout 15m';

function tagOf(release: string): string {
  return `v${release}`;
}

function agentNote(release: UpstreamRelease | undefined): string {
  return release?.agent ? ` (network policy agent ${release.agent})` : '';
}

export function backupDaemonSetStep(ctx: PlanContext, helm?: { name: string; namespace: string }): PlanStep {
  const commands = [`${kubectl(ctx, '-n kube-system get daemonset aws-node -o yaml')} > ${shellQuote(fileFor(ctx, 'aws-node', 'yaml'))}`];
  if (helm) {
    commands.push(`helm --kube-context ${shellQuote(ctx.context)} -n ${shellQuote(helm.namespace)} get values ${shellQuote(helm.name)} -o yaml > ${shellQuote(fileFor(ctx, 'aws-vpc-cni-values', 'yaml'))}`);
  }
  return { title: helm ? 'Back up the aws-node DaemonSet and the values of its Helm release as they are now.' : 'Back up the aws-node DaemonSet as it is now.', commands, fixes: [] };
}

// ---- Helm -----------------------------------------------------------------------------------

/** A Helm `--set` value: commas and backslashes are escaped for Helm's own parser. */
function helmValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

function registrySets(ctx: PlanContext, tag: string, agent: string | null): string[] {
  const images: [string, string][] = [
    ['image', 'amazon-k8s-cni'],
    ['init.image', 'amazon-k8s-cni-init'],
    ...(agent ? ([['nodeAgent.image', 'aws-network-policy-agent']] as [string, string][]) : []),
  ];
  const source = ctx.images;
  if (source.kind === 'ecr-public') {
    return images.map(([key, repo]) => `${key}.override=${ECR_PUBLIC_REGISTRY}/${repo}:${key === 'nodeAgent.image' ? agent : tag}`);
  }
  return images.flatMap(([key]) => [
    `${key}.account=${source.account}`,
    `${key}.region=${source.region}`,
    ...(source.domain === 'amazonaws.com' ? [] : [`${key}.domain=${source.domain}`]),
    ...(source.fips ? [`${key}.endpoint=ecr-fips`] : []),
  ]);
}

/** Chart values for the configuration changes (the rest is reused from the release): set as strings, or removed with null. */
function helmConfigurationSets(config: MergedConfiguration): { strings: string[]; removed: string[] } {
  const strings: string[] = [];
  const removed: string[] = [];
  for (const change of config.changes) {
    if (change.to === null) removed.push(`${change.path}=null`);
    else strings.push(`${change.path}=${helmValue(String(configValue(config, change.path)))}`);
  }
  return { strings, removed };
}

function configValue(config: MergedConfiguration, path: string): unknown {
  let node: unknown = config.merged;
  for (const key of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

/** The newest release of a step's minor, at or below it, that a published chart installs. */
function chartedRelease(version: CniVersion): UpstreamRelease | undefined {
  const { major, minor } = version.semver;
  return UPSTREAM_RELEASES.filter((r) => {
    const v = parseCniVersion(r.version)!;
    return r.chart !== null && v.semver.major === major && v.semver.minor === minor && v.semver.compare(version.semver) <= 0;
  }).at(-1);
}

export interface HelmTarget {
  name: string;
  namespace: string;
  /** The chart version the release runs now (its `helm.sh/chart` label), for an update that keeps the version. */
  chartVersion: string | null;
}

/** The Helm release, when the DaemonSet names it validly; refused values are recorded on the context. */
export function helmTarget(ctx: PlanContext, release: HelmRelease | undefined): HelmTarget | undefined {
  const name = release?.name ?? 'aws-vpc-cni';
  const namespace = release?.namespace ?? 'kube-system';
  let ok = true;
  for (const [kind, value] of [
    ['Helm release name', name],
    ['namespace', namespace],
  ] as const) {
    if (!isValid(kind, value)) {
      ctx.invalid.push(describeInvalid(kind, 'aws-node DaemonSet Helm annotations', value));
      ok = false;
    }
  }
  const chartVersion = release?.chartVersion && /^\d+\.\d+\.\d+$/.test(release.chartVersion) ? release.chartVersion : null;
  return ok ? { name, namespace, chartVersion } : undefined;
}

export function helmSteps(ctx: PlanContext, helm: HelmTarget, update: SelfManagedUpdate): PlanStep[] {
  const upgrade = `helm upgrade ${shellQuote(helm.name)} eks/aws-vpc-cni --kube-context ${shellQuote(ctx.context)} --namespace ${shellQuote(helm.namespace)}`;
  const guards = update.configuration ?? { withheld: [], choices: [] };
  const setArg = (sets: string[], removed: string[] = []) =>
    (sets.length ? ` --set-string ${shellValueWithGuards(sets.join(','), guards)}` : '') + (removed.length ? ` --set ${shellQuote(removed.join(','))}` : '');
  const steps: PlanStep[] = [
    {
      title: `Add the eks-charts Helm repository (helm 3.14 or later: --reset-then-reuse-values keeps your values and takes the new chart's defaults).`,
      commands: [`helm repo add eks ${CHART_REPO} --force-update`],
      fixes: [],
    },
  ];
  const configSets = update.configuration ? helmConfigurationSets(update.configuration) : { strings: [], removed: [] };
  if (update.steps.length === 0) {
    const current = helm.chartVersion ?? (ctx.facts.cni.version ? upstreamRelease(parseCniVersion(ctx.facts.cni.version)?.upstream ?? '')?.chart : null);
    if (!update.configuration || !current) return [];
    steps.push({
      title: `Apply the configuration fixes to the Helm release, keeping its chart ${current}.`,
      commands: [`${upgrade} --version ${shellQuote(current)} --reuse-values${setArg(configSets.strings, configSets.removed)} --wait ${ROLLOUT}`],
      fixes: update.configurationFixes,
    });
    return steps;
  }
  const commands: string[] = [];
  const notes: string[] = [];
  update.steps.forEach((step, i) => {
    const release = chartedRelease(step.version);
    if (!release) {
      notes.push(`no published chart installs ${step.version.upstream}`);
      return;
    }
    if (release.version !== step.version.upstream) notes.push(`no chart was published for ${step.version.upstream}: chart ${release.chart} installs ${release.version}`);
    const tag = tagOf(release.version);
    const sets = [`image.tag=${tag}`, `init.image.tag=${tag}`, ...(release.agent ? [`nodeAgent.image.tag=${release.agent}`] : []), ...registrySets(ctx, tag, release.agent)];
    const last = i === update.steps.length - 1;
    commands.push(
      `${upgrade} --version ${release.chart} --reset-then-reuse-values${setArg([...sets, ...(last ? configSets.strings : [])], last ? configSets.removed : [])} --wait ${ROLLOUT}`,
    );
  });
  if (commands.length === 0) return [];
  const releases = update.steps.map((s) => `${tagOf(s.version.upstream)}${agentNote(upstreamRelease(s.version.upstream))}`).join(' → ');
  steps.push({
    title:
      `Upgrade the Helm release one minor at a time: ${releases}` +
      (update.configuration ? '; the last upgrade also applies the configuration fixes' : '') +
      (notes.length ? ` (${notes.join('; ')})` : '') +
      '.',
    commands,
    fixes: [...update.versionFixes, ...(update.configuration ? update.configurationFixes : [])],
  });
  return steps;
}

// ---- Manifest -------------------------------------------------------------------------------

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

/** `kubectl set env` of the settings the cluster runs (fixes applied), and the probe timeouts. */
function settingsCommands(ctx: PlanContext, config: MergedConfiguration | undefined, only?: readonly string[]): string[] {
  if (!config) return [];
  const env = (config.merged.env ?? {}) as Record<string, unknown>;
  const wanted = only ? only.filter((p) => p.startsWith('env.')).map((p) => p.slice(4)) : Object.keys(env);
  const assignments = wanted
    .filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map((name) => (Object.hasOwn(env, name) ? shellValueWithGuards(`${name}=${String(env[name])}`, config) : `${name}-`));
  const commands = assignments.length ? [kubectl(ctx, `-n kube-system set env daemonset aws-node -c aws-node ${assignments.join(' ')}`)] : [];
  const probes: Record<string, number> = {};
  for (const key of ['livenessProbeTimeoutSeconds', 'readinessProbeTimeoutSeconds'] as const) {
    const value = config.merged[key];
    // Re-applied after a manifest only when it differs from the manifest's own 10 seconds.
    const changed = only ? only.includes(key) : value !== 10;
    if (changed && typeof value === 'number' && Number.isInteger(value)) probes[key === 'livenessProbeTimeoutSeconds' ? 'livenessProbe' : 'readinessProbe'] = value;
  }
  if (Object.keys(probes).length) {
    const container = { name: 'aws-node', ...Object.fromEntries(Object.entries(probes).map(([probe, t]) => [probe, { timeoutSeconds: t }])) };
    const patch = JSON.stringify({ spec: { template: { spec: { containers: [container] } } } });
    commands.push(kubectl(ctx, `-n kube-system patch daemonset aws-node --type strategic -p ${shellQuote(patch)}`));
  }
  return commands;
}

export function manifestSteps(ctx: PlanContext, update: SelfManagedUpdate): PlanStep[] {
  const rollout = kubectl(ctx, `-n kube-system rollout status daemonset aws-node ${ROLLOUT}`);
  if (update.steps.length === 0) {
    if (!update.configuration) return [];
    const commands = settingsCommands(ctx, update.configuration, update.configuration.changes.map((c) => c.path));
    if (commands.length === 0) return [];
    return [{ title: 'Apply the configuration fixes to the aws-node DaemonSet.', commands: [`${commands.join(' && ')} && ${rollout}`], fixes: update.configurationFixes }];
  }
  const commands: string[] = [];
  const missing: string[] = [];
  const settings = settingsCommands(ctx, update.configuration ?? update.settings);
  for (const step of update.steps) {
    const manifest = manifestFor(ctx, step.version.upstream);
    if (!manifest) {
      missing.push(step.version.upstream);
      continue;
    }
    const file = shellQuote(fileFor(ctx, `aws-k8s-cni-v${step.version.upstream}`, 'yaml'));
    commands.push(`curl -fsSL -o ${file} ${manifest.url}`);
    const rewrite = registryRewrite(ctx, manifest.registry);
    if (rewrite.length) commands.push(`sed -i.bak ${rewrite.map((e) => `-e ${shellQuote(e)}`).join(' ')} ${file}`);
    commands.push([kubectl(ctx, `apply -f ${file}`), ...settings, rollout].join(' && '));
  }
  const releases = update.steps.map((s) => `${tagOf(s.version.upstream)}${agentNote(upstreamRelease(s.version.upstream))}`).join(' → ');
  return [
    {
      title:
        `Apply the release manifest one minor at a time: ${releases}; each apply resets aws-node to the release's settings, so the same line sets yours again` +
        (update.configuration?.changes.length ? ' (with the configuration fixes)' : '') +
        (missing.length ? `; no upstream manifest installs ${missing.join(', ')}` : '') +
        '.',
      commands,
      fixes: [...update.versionFixes, ...(update.configuration ? update.configurationFixes : [])],
    },
  ];
}

// ---- Move to the managed add-on -------------------------------------------------------------

export interface MigrateInput {
  /** The offered build to create the add-on at. */
  build: CniVersion;
  configuration?: MergedConfiguration;
  helm?: HelmTarget;
  ruleIds: string[];
  /** When the self-managed steps run first. */
  after: boolean;
}

/**
 * create-addon with `--resolve-conflicts OVERWRITE` takes the DaemonSet over; the settings go
 * with it as configuration values (backed up first). A Helm release is then forgotten (its
 * release records deleted, not the resources), so that a later `helm upgrade` does not fight EKS.
 */
export function migrateStep(ctx: PlanContext, input: MigrateInput): PlanStep {
  const config = configurationOption(input.configuration);
  const role = ctx.roleArn ? ` --service-account-role-arn ${shellQuote(ctx.roleArn)}` : '';
  const commands = [
    `aws eks create-addon ${ctx.where} --addon-name vpc-cni --addon-version ${shellQuote(input.build.raw)} --resolve-conflicts OVERWRITE${config}${role} && ${waitActive(ctx)}`,
  ];
  if (input.helm) commands.push(kubectl(ctx, `-n ${shellQuote(input.helm.namespace)} delete secret -l owner=helm,name=${input.helm.name}`));
  return {
    title:
      `${input.after ? 'Then move' : 'Move'} to the EKS managed add-on at ${input.build.raw} (recommended): OVERWRITE takes the DaemonSet over, so its settings go along as configuration values` +
      (input.helm ? `, and Helm forgets the release ${input.helm.name} (its records only; the resources stay with the add-on)` : '') +
      '.',
    commands,
    fixes: input.ruleIds,
  };
}

/** The role step of a self-managed aws-node: IRSA with the annotation where the install keeps it. */
export function selfManagedRoleStep(ctx: PlanContext, helm: HelmTarget | undefined, roleName: string, ruleIds: string[]): PlanStep | undefined {
  if (!ctx.accountId) return undefined;
  const roleArn = `arn:${ctx.partition}:iam::${ctx.accountId}:role/${roleName}`;
  const cluster = `--cluster ${shellQuote(ctx.cluster)} --region ${shellQuote(ctx.region)}`;
  const create = `eksctl create iamserviceaccount ${cluster} --namespace kube-system --name aws-node --role-name ${roleName} --attach-policy-arn arn:${ctx.partition}:iam::aws:policy/AmazonEKS_CNI_Policy`;
  const restart = kubectl(ctx, '-n kube-system rollout restart daemonset aws-node');
  const commands = [`eksctl utils associate-iam-oidc-provider ${cluster} --approve`];
  if (helm && helm.chartVersion) {
    // The annotation lives in the Helm values, or the next helm upgrade takes it away.
    commands.push(`${create} --role-only --approve`);
    commands.push(
      `helm upgrade ${shellQuote(helm.name)} eks/aws-vpc-cni --kube-context ${shellQuote(ctx.context)} --namespace ${shellQuote(helm.namespace)} --version ${helm.chartVersion} --reuse-values --set-string ${shellQuote(`serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=${roleArn}`)} --wait ${ROLLOUT}`,
    );
  } else {
    commands.push(`${create} --override-existing-serviceaccounts --approve`);
  }
  commands.push(restart);
  return {
    title: `Give vpc-cni its own IAM role (${roleName}, with AmazonEKS_CNI_Policy; an IPv6 cluster needs the IPv6 CNI policy instead) through IRSA, then restart aws-node to take it.`,
    commands,
    fixes: ruleIds,
  };
}
