import type { HelmRelease, PlanStep } from '../../types.js';
import { parseCniVersion, type CniVersion } from '../version.js';
import { configurationOption, configurationPrefix, shellValueWithGuards, type MergedConfiguration } from './configuration.js';
import { fileFor, kubectl, waitActive, type PlanContext } from './context.js';
import { upstreamRelease, UPSTREAM_RELEASES, type UpstreamRelease } from './releases.js';
import { createAddonIdentity, notCarriedText, identityText } from './identity.js';
import { ECR_PUBLIC_REGISTRY } from './registry.js';
import { describeInvalid, isValid, shellQuote } from './shell.js';

/**
 * The commands of a self-managed vpc-cni installed with Helm: the release is upgraded with the
 * chart of each release (kubectl would fight Helm), its values kept. Since 1.14 the DaemonSet
 * also runs the network policy agent, and both carry the agent of the release. The move to the
 * managed add-on is given after them. Every helm line names the cluster's context; the eks-charts
 * repository is added before the first of them.
 */

export interface SelfManagedUpdate {
  /** Upstream releases to go through, one minor at a time, ending at the target's release. */
  steps: CniVersion[];
  configuration?: MergedConfiguration;
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
  config.changes.forEach((change, i) => {
    const keys = config.changeKeys[i]!;
    const name = helmKey(keys);
    if (change.to === null) removed.push(`${name}=null`);
    else strings.push(`${name}=${helmValue(String(configValue(config, keys)))}`);
  });
  return { strings, removed };
}

/** A Helm `--set` key: keys joined with dots, a dot, comma, `=` or backslash inside a key escaped for Helm's parser. */
function helmKey(keys: readonly string[]): string {
  return keys.map((key) => key.replace(/([\\.,=[\]])/g, '\\$1')).join('.');
}

function configValue(config: MergedConfiguration, keys: readonly string[]): unknown {
  let node: unknown = config.merged;
  for (const key of keys) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
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

/** `helm repo add`: before the first helm line of the plan. */
export function helmRepoStep(): PlanStep {
  return {
    title: 'Add the eks-charts Helm repository and read its newest index (helm 3.14 or later: --reset-then-reuse-values keeps your values and takes the new chart\'s defaults).',
    commands: [`helm repo add eks ${CHART_REPO} --force-update && helm repo update eks`],
    fixes: [],
  };
}

/** Whether a step runs helm (and so needs the repository first). */
export function usesHelm(step: PlanStep): boolean {
  return step.commands.some((c) => usesHelmCommand.test(c));
}

/** A command that installs from the eks-charts repository. */
export const usesHelmCommand = /(^|&&\s*)helm (upgrade|install)\b/;

export function helmSteps(ctx: PlanContext, helm: HelmTarget, update: SelfManagedUpdate): PlanStep[] {
  const upgrade = `helm upgrade ${shellQuote(helm.name)} eks/aws-vpc-cni --kube-context ${shellQuote(ctx.context)} --namespace ${shellQuote(helm.namespace)}`;
  const guards = update.configuration ?? { withheld: [], choices: [] };
  const setArg = (sets: string[], removed: string[] = []) =>
    (sets.length ? ` --set-string ${shellValueWithGuards(sets.join(','), guards)}` : '') + (removed.length ? ` --set ${shellQuote(removed.join(','))}` : '');
  const configSets = update.configuration ? helmConfigurationSets(update.configuration) : { strings: [], removed: [] };
  if (update.steps.length === 0) {
    const current = helm.chartVersion ?? (ctx.facts.cni.version ? upstreamRelease(parseCniVersion(ctx.facts.cni.version)?.upstream ?? '')?.chart : null);
    if (!update.configuration || !current) return [];
    return [
      {
        title: `Apply the configuration fixes to the Helm release, keeping its chart ${current}.`,
        commands: [`${upgrade} --version ${shellQuote(current)} --reuse-values${setArg(configSets.strings, configSets.removed)} --wait ${ROLLOUT}`],
        fixes: update.configurationFixes,
      },
    ];
  }
  const commands: string[] = [];
  const notes: string[] = [];
  const releases: UpstreamRelease[] = [];
  update.steps.forEach((step, i) => {
    const release = chartedRelease(step);
    if (!release) {
      notes.push(`no published chart installs ${step.upstream}`);
      return;
    }
    if (release.version !== step.upstream) notes.push(`no chart was published for ${step.upstream}: chart ${release.chart} installs ${release.version}`);
    releases.push(release);
    const tag = tagOf(release.version);
    const sets = [`image.tag=${tag}`, `init.image.tag=${tag}`, ...(release.agent ? [`nodeAgent.image.tag=${release.agent}`] : []), ...registrySets(ctx, tag, release.agent)];
    const last = i === update.steps.length - 1;
    commands.push(
      `${upgrade} --version ${release.chart} --reset-then-reuse-values${setArg([...sets, ...(last ? configSets.strings : [])], last ? configSets.removed : [])} --wait ${ROLLOUT}`,
    );
  });
  if (commands.length === 0) return [];
  const path = releases.map((r) => `${tagOf(r.version)} (chart ${r.chart}${r.agent ? `, network policy agent ${r.agent}` : ''})`).join(' → ');
  return [
    {
      title:
        `Upgrade the Helm release one minor at a time: ${path}` +
        (update.configuration ? '; the last upgrade also applies the configuration fixes' : '') +
        (notes.length ? ` (${notes.join('; ')})` : '') +
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
  /** The Helm release, when it can be named; `helmUnnamed` when it is Helm's but its name is not usable. */
  helm?: HelmTarget;
  helmUnnamed?: boolean;
  ruleIds: string[];
  /** When self-managed steps run first. */
  after: boolean;
}

/**
 * create-addon with `--resolve-conflicts OVERWRITE` takes the DaemonSet over; the settings go
 * with it as configuration values (backed up first). Then, and only once the add-on is ACTIVE,
 * Helm forgets the release: its release records (the Secrets labelled owner=helm and the
 * release's name) are deleted, never the resources. `helm uninstall` is never the way, even with
 * --keep-history: it deletes the release's resources (the aws-node DaemonSet) and keeps only the
 * history, and pods lose networking.
 */
export function migrateStep(ctx: PlanContext, input: MigrateInput): PlanStep {
  const config = configurationOption(input.configuration);
  // A self-managed aws-node's Pod Identity association is a resource of its own: it stays.
  const identity = createAddonIdentity(ctx, { podIdentity: false });
  const create = `${configurationPrefix(input.configuration)}aws eks create-addon ${ctx.where} --addon-name vpc-cni --addon-version ${shellQuote(input.build.raw)} --resolve-conflicts OVERWRITE${config}${identity.args} && ${waitActive(ctx)}`;
  const left = notCarriedText(ctx);
  const forget = input.helm ? ` && ${kubectl(ctx, `-n ${shellQuote(input.helm.namespace)} delete secret -l ${shellQuote(`owner=helm,name=${input.helm.name}`)}`)}` : '';
  const helmText = input.helm
    ? `; once it is ACTIVE, Helm forgets the release ${input.helm.name} (its release records only, not with helm uninstall, which would delete aws-node even with --keep-history)`
    : input.helmUnnamed
      ? "; then delete the Helm release's records by hand (the Secrets labelled owner=helm and the release name the DaemonSet's meta.helm.sh/release-name annotation gives), never with helm uninstall, which deletes aws-node even with --keep-history"
      : '';
  return {
    title:
      `${input.after ? 'Then move' : 'Move'} to the EKS managed add-on at ${input.build.raw} (recommended): OVERWRITE takes the DaemonSet over${identityText(identity)}; ` +
      (left ? `the settings the audit read go along as configuration values; ${left}` : 'its settings go along as configuration values') +
      `${helmText}.`,
    commands: [`${create}${forget}`],
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
