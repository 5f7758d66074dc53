import type { ClusterFacts, ClusterPlan, Finding, PlanStep } from '../../types.js';
import { severityRank } from '../../severity.js';
import type { Rule } from '../rule.js';
import { inRange, parseCniVersion, type CniVersion } from '../version.js';
import { mergeConfiguration, type FixSource, type MergedConfiguration } from './configuration.js';
import { connectStep, planContext, type PlanContext } from './context.js';
import { backupAddonStep, cniRoleName, managedRoleStep, managedUpdateSteps } from './managed.js';
import { ownCommandsStep } from './own.js';
import { newestReleaseOfMinor } from './releases.js';
import { backupDaemonSetStep, helmSteps, helmTarget, manifestSteps, migrateStep, selfManagedRoleStep, type HelmTarget } from './self-managed.js';
import { isValid, shellQuote } from './shell.js';
import { chooseTarget, nextKubernetesMinor, offeredBuilds, releaseFloor, sameVersion, upgradePath, versionRules, type PathStep } from './target.js';
import { gapSteps } from './gap.js';

/**
 * One plan per cluster, for all its findings at once: the target they share, the path there, the
 * merged configuration and the commands for how aws-node is installed. Pure: same rules, facts
 * and findings, same plan.
 */

export function planId(facts: Pick<ClusterFacts, 'accountId' | 'region' | 'clusterName'>): string {
  return `${facts.accountId}/${facts.region}/${facts.clusterName}`;
}

/** What the plan tells each finding's template and fields. */
export interface PlanOutcome {
  plan: ClusterPlan;
  /** `{{fix.target}}` in prose: the target, or what stands for it when there is none. */
  targetText: string;
  /** Rule ids whose findings move to the target (version fixes and the move to the managed add-on). */
  versionFixes: Set<string>;
}

const upstream = (v: CniVersion): CniVersion => parseCniVersion(v.upstream)!;

/** The builds EKS offers for the cluster's Kubernetes version as it is when the command runs. */
function listOfferedCommand(ctx: PlanContext): string {
  const version = `"$(aws eks describe-cluster --name ${shellQuote(ctx.cluster)} --region ${shellQuote(ctx.region)} --query cluster.version --output text)"`;
  return `aws eks describe-addon-versions --addon-name vpc-cni --kubernetes-version ${version} --region ${shellQuote(ctx.region)} --query 'addons[].addonVersions[].addonVersion' --output text`;
}

/** `Kubernetes 1.29`, or words for a version that is not known. */
function kubernetesName(version: string): string {
  return isValid('Kubernetes version', version) ? `Kubernetes ${version}` : "the cluster's Kubernetes version";
}

function dedupe(steps: PlanStep[]): PlanStep[] {
  const seen = new Set<string>();
  return steps
    .map((step) => ({ ...step, commands: step.commands.filter((c) => !seen.has(c) && seen.add(c)) }))
    .filter((step) => step.commands.length > 0 || step.title !== '');
}

/** The plan of one cluster for the rules its findings came from; undefined when there is none. */
export function buildPlan(rules: readonly Rule[], facts: ClusterFacts, matched: readonly Rule[], lookup: (rule: Rule) => (name: string) => unknown, textOf: (rule: Rule, targetText: string) => string): PlanOutcome | undefined {
  if (matched.length === 0) return undefined;
  const ordered = [...matched].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.id.localeCompare(b.id));
  const managed = facts.cni.managed;
  const installMethod: ClusterPlan['installMethod'] = managed ? 'addon' : (facts.cni.installMethod ?? (facts.cni.source === 'daemonset' ? 'manifest' : 'unknown'));
  const base: ClusterPlan = {
    id: planId(facts),
    accountId: facts.accountId,
    accountName: facts.accountName,
    partition: facts.partition,
    region: facts.region,
    clusterName: facts.clusterName,
    kubernetesVersion: facts.kubernetesVersion,
    installMethod,
    currentVersion: facts.cni.version,
    target: null,
    targetReason: '',
    path: [],
    missingMinors: [],
    risksCarried: [],
    releaseFloor: null,
    kubernetesFirst: null,
    invalid: [],
    steps: [],
    fixes: ordered.map((r) => r.id),
  };
  const versionFixes = new Set(ordered.filter((r) => r.affected || r.remediation.preset === 'upgrade').map((r) => r.id));
  const resolved = planContext(facts);
  if (!resolved.ok) {
    return {
      plan: { ...base, invalid: resolved.invalid, targetReason: 'The cluster name or region is not valid: no command is given for this cluster' },
      targetText: 'a build EKS offers',
      versionFixes,
    };
  }
  const ctx = resolved.ctx;
  const migrate = ordered.filter((r) => r.remediation.preset === 'migrate-to-managed').map((r) => r.id);
  const iam = ordered.filter((r) => r.remediation.preset === 'iam-role').map((r) => r.id);
  const configFixes: FixSource[] = ordered.filter((r) => r.remediation.configuration).map((rule) => ({ rule, fix: rule.remediation.configuration! }));
  const risks = versionRules(rules, facts);
  const current = parseCniVersion(facts.cni.version);
  const offered = offeredBuilds(facts);
  const needsVersion = versionFixes.size > 0 || migrate.length > 0;
  const steps: PlanStep[] = [];
  const notes: string[] = [];

  // ---- the target and the way there
  let target: CniVersion | null = null;
  let path: PathStep[] = [];
  let targetText = current?.raw ?? 'a build EKS offers';
  let targetReason = 'No finding on this cluster needs another version';
  if (needsVersion && installMethod !== 'unknown' && current) {
    const asked = [...versionFixes, ...migrate];
    if (offered === undefined) {
      base.releaseFloor = current ? releaseFloor(current, risks, facts) : null;
      targetText = base.releaseFloor ? `release ${base.releaseFloor} or later` : 'the newest build EKS offers';
      targetReason = `The builds EKS offers for ${kubernetesName(facts.kubernetesVersion)} in ${facts.region} were not read: move to ${targetText}, as a build EKS lists for the cluster`;
      steps.push({ title: `List the builds EKS offers for ${kubernetesName(facts.kubernetesVersion)}, and pick the newest of ${targetText}.`, commands: [listOfferedCommand(ctx)], fixes: asked });
    } else if (offered.length === 0) {
      const next = nextKubernetesMinor(facts.kubernetesVersion);
      base.kubernetesFirst = next ?? null;
      targetText = 'a build EKS offers after a Kubernetes upgrade';
      targetReason = `EKS offers no vpc-cni build for Kubernetes ${facts.kubernetesVersion} in ${facts.region}: upgrade Kubernetes first, one minor at a time (${facts.kubernetesVersion} → ${next ?? 'the next minor'} → …), then run the audit again`;
    } else {
      const choice = chooseTarget(current, offered, risks, facts, migrate.length > 0 && !managed);
      targetReason = choice.reason;
      base.risksCarried = choice.carried.map((r) => r.ruleId);
      target = choice.target;
      if (!target && migrate.length > 0 && current) target = offered.find((v) => sameVersion(v, current)) ?? null;
      if (choice.carried.length > 0) {
        const next = nextKubernetesMinor(facts.kubernetesVersion);
        if (next) notes.push(`Kubernetes ${next} may be offered a build clear of ${base.risksCarried.join(', ')}: check again after a Kubernetes upgrade`);
      }
      // A matched risk that moves no target (an informational one) and that the end version still carries.
      const endsOn = target ?? current;
      for (const rule of ordered.filter((r) => r.affected && r.fixed && r.severity === 'informational')) {
        if (inRange(endsOn, rule.affected!)) notes.push(`${rule.id} (informational) is fixed in ${rule.fixed}, which EKS does not offer for Kubernetes ${facts.kubernetesVersion} yet`);
      }
      if (target) {
        const upstreamOf = (major: number, minor: number) => {
          const release = newestReleaseOfMinor(major, minor);
          return release ? parseCniVersion(release.version)! : undefined;
        };
        const way = upgradePath(current, target, offered, upstreamOf);
        path = way.steps;
        base.missingMinors = way.missingMinors;
        targetText = target.raw;
        if (choice.downgrade) targetReason += ` (a downgrade from ${current!.raw})`;
      } else {
        targetText = current?.raw ?? targetText;
      }
    }
  } else if (needsVersion) {
    targetReason = 'The running version is unknown: read it first (the commands below), then run the audit again';
  }

  // ---- the configuration
  const configSource = managed ? 'addon' : 'daemonset';
  const readable = installMethod !== 'unknown';
  const configuration = readable ? mergeConfiguration(facts.cni.configurationValues, configSource, configFixes) : undefined;
  const configurationFixes = configuration ? [...new Set(configuration.changes.map((c) => c.ruleId))] : [];
  const versionFixList = [...versionFixes];

  // ---- the commands: the rules' own first (look, repair what is broken), then by install method
  const own: PlanStep[] = [];
  for (const rule of ordered) pushIf(own, ownCommandsStep(ctx, rule, lookup(rule), managed, textOf(rule, targetText)));
  const changes: PlanStep[] = [];
  let helm: HelmTarget | undefined;
  let backup: PlanStep | undefined;
  if (installMethod === 'addon') {
    backup = backupAddonStep(ctx);
    if (iam.length) pushIf(changes, managedRoleStep(ctx, iam));
    if (base.missingMinors.length > 0) {
      changes.push(...gapSteps(ctx, path, base.missingMinors, configuration, versionFixList, configurationFixes));
    } else {
      changes.push(...managedUpdateSteps(ctx, { steps: path.map((s) => s.version), ...(configuration ? { configuration } : {}), versionFixes: versionFixList, configurationFixes }));
    }
  } else if (installMethod === 'helm' || installMethod === 'manifest') {
    helm = installMethod === 'helm' ? helmTarget(ctx, facts.cni.helmRelease) : undefined;
    const selfPath = path.filter((s) => !(current && sameVersion(upstream(s.version), upstream(current))));
    backup = backupDaemonSetStep(ctx, helm);
    if (iam.length) pushIf(changes, selfManagedRoleStep(ctx, helm, cniRoleName(ctx), iam));
    const running = configuration ?? mergeConfiguration(facts.cni.configurationValues, 'daemonset', [], true);
    const update = {
      steps: selfPath.map((s) => ({ version: upstream(s.version), upstreamOnly: s.upstreamOnly })),
      ...(configuration ? { configuration } : {}),
      ...(running ? { settings: running } : {}),
      versionFixes: versionFixList,
      configurationFixes,
    };
    if (installMethod === 'helm' && helm) changes.push(...helmSteps(ctx, helm, update));
    else if (installMethod === 'helm') notes.push('The Helm release could not be identified: no helm command is given');
    else changes.push(...manifestSteps(ctx, update));
    if (migrate.length > 0 && target) {
      changes.push(migrateStep(ctx, { build: target, ...(running ? { configuration: running } : {}), ...(helm ? { helm } : {}), ruleIds: migrate, after: selfPath.length > 0 }));
    }
  }
  if (iam.length && !ctx.accountId) notes.push('The account id is not known, so no IAM role can be named: no role command is given');
  // Back up first, only when something changes; the rules' own look-and-repair commands come before the changes.
  steps.push(...(backup && changes.some((c) => c.fixes.length > 0) ? [backup] : []), ...own, ...changes);
  const usesKubectl = steps.some((s) => s.commands.some((c) => /(^|[|;&]\s*)(kubectl|helm) /.test(c)));
  if (usesKubectl) steps.unshift(connectStep(ctx));
  if (resolved.mirror) notes.push(`The aws-node images come from ${JSON.stringify(resolved.mirror)}; the commands pull from ${ctx.images.kind === 'ecr' ? ctx.images.host : 'ECR Public'}: copy the release there first if the nodes cannot reach it`);
  if (configuration?.conflicts) notes.push(...configuration.conflicts);

  const plan: ClusterPlan = {
    ...base,
    partition: ctx.partition,
    target: target?.raw ?? null,
    targetReason: [targetReason, ...notes].join('. '),
    path: path.map((s) => (installMethod !== 'addon' ? `v${s.version.upstream}` : s.upstreamOnly ? `v${s.version.upstream} (self-managed)` : s.version.raw)),
    ...(configuration ? { configuration: publicConfiguration(configuration) } : {}),
    invalid: ctx.invalid,
    steps: dedupe(steps),
  };
  return { plan, targetText, versionFixes: new Set([...versionFixes, ...migrate]) };
}

function pushIf(steps: PlanStep[], step: PlanStep | undefined): void {
  if (step) steps.push(step);
}

function publicConfiguration(config: MergedConfiguration): NonNullable<ClusterPlan['configuration']> {
  const { template: _template, merged: _merged, ...rest } = config;
  return rest;
}

/** The plan's commands that fix one finding: its steps, without connecting, backing up or alternatives. */
export function commandsFor(plan: ClusterPlan, ruleId: string): string[] {
  return plan.steps.filter((s) => !s.alternative && s.fixes.includes(ruleId)).flatMap((s) => s.commands);
}

/** Points a finding at its cluster's plan. */
export function attachPlan(finding: Finding, outcome: PlanOutcome | undefined): Finding {
  if (!outcome) return finding;
  const { plan } = outcome;
  const inPlan = plan.fixes.includes(finding.ruleId);
  if (!inPlan) return finding;
  return {
    ...finding,
    // No no-op move: a self-managed v1.18.6-eksbuild.1 adopted as the add-on build of the same name stays.
    targetVersion: outcome.versionFixes.has(finding.ruleId) && plan.target !== finding.observedVersion ? plan.target : null,
    remediation: { ...finding.remediation, commands: commandsFor(plan, finding.ruleId), planId: plan.id },
  };
}
