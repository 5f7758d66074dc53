import type { ClusterFacts, ClusterPlan, Finding, PlanStep } from '../../types.js';
import { severityRank } from '../../severity.js';
import type { Rule } from '../rule.js';
import { inRange, parseCniVersion, type CniVersion } from '../version.js';
import { mergeConfiguration, variableScope, type FixSource, type MergedConfiguration } from './configuration.js';
import { connectStep, planContext, type PlanContext } from './context.js';
import { gapSteps } from './gap.js';
import { backupAddonStep, cniRoleName, managedRoleStep, managedUpdateSteps } from './managed.js';
import { manifestSteps, settingsSteps } from './manifest.js';
import { ownCommandsStep } from './own.js';
import { chartInstallableOn, releasesOfMinor } from './releases.js';
import { backupDaemonSetStep, helmRepoStep, helmSteps, helmTarget, migrateStep, selfManagedRoleStep, usesHelm, usesHelmCommand, type HelmTarget } from './self-managed.js';
import { isValid, shellQuote } from './shell.js';
import { chooseTarget, nextKubernetesMinor, offeredBuilds, releaseFloor, risksAt, safest, sameVersion, upgradePath, versionRules, type PathStep } from './target.js';
import { moveTexts, unreadCatalogTexts } from './texts.js';

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
  /** Remediation texts the plan writes instead of a rule's template (a downgrade, a version that stays), by rule id. */
  texts: Map<string, string>;
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

/** `1.12 → 1.13 → … → 1.18`: the minors from one release to another. */
function minorsBetween(from: CniVersion, to: string): string {
  const target = parseCniVersion(to);
  if (!target || target.semver.major !== from.semver.major || target.semver.minor - from.semver.minor < 2) return '';
  const minors: string[] = [];
  for (let m = from.semver.minor; m <= target.semver.minor; m++) minors.push(`${from.semver.major}.${m}`);
  return minors.join(' → ');
}

/** Kubernetes minors from one to another (`1.21 → 1.22 → 1.23`), or undefined. */
function kubernetesPath(from: string, to: string): string | undefined {
  const a = /^1\.(\d+)$/.exec(from);
  const b = /^1\.(\d+)$/.exec(to);
  if (!a || !b || Number(b[1]) <= Number(a[1])) return undefined;
  return Array.from({ length: Number(b[1]) - Number(a[1]) + 1 }, (_, i) => `1.${Number(a[1]) + i}`).join(' → ');
}

/**
 * The releases of a Helm path whose chart cannot be installed on the cluster's Kubernetes version
 * (the v1beta1 CustomResourceDefinition on Kubernetes 1.22 or later). A release manifest has the
 * same document, but the plan's edit takes it out (manifest.ts), so only Helm paths are blocked.
 */
function uninstallable(steps: readonly PathStep[], method: 'helm' | 'manifest', kubernetesVersion: string): string[] {
  if (method !== 'helm') return [];
  return steps.filter((s) => !chartInstallableOn(s.version.upstream, kubernetesVersion)).map((s) => `v${s.version.upstream}`);
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
  const texts = new Map<string, string>();
  const resolved = planContext(facts);
  if (!resolved.ok) {
    return {
      plan: { ...base, invalid: resolved.invalid, targetReason: 'The cluster name or region is not valid: no command is given for this cluster' },
      targetText: 'a build EKS offers',
      versionFixes,
      texts,
    };
  }
  const ctx = resolved.ctx;
  const migrate = ordered.filter((r) => r.remediation.preset === 'migrate-to-managed').map((r) => r.id);
  const iam = ordered.filter((r) => r.remediation.preset === 'iam-role').map((r) => r.id);
  const configFixes: FixSource[] = ordered.filter((r) => r.remediation.configuration).map((rule) => ({ rule, fix: rule.remediation.configuration! }));
  const risks = versionRules(rules, facts);
  const risksOf = (v: CniVersion) => risksAt(v, risks, facts);
  const current = parseCniVersion(facts.cni.version);
  const offered = offeredBuilds(facts);
  const needsVersion = versionFixes.size > 0 || migrate.length > 0;
  const selfMethod: 'helm' | 'manifest' = installMethod === 'helm' ? 'helm' : 'manifest';
  const steps: PlanStep[] = [];
  const notes: string[] = [];

  // ---- the target and the way there
  let target: CniVersion | null = null;
  let path: PathStep[] = [];
  let downgrade = false;
  /** A move the plan cannot give commands for (a Helm chart Kubernetes refuses). */
  let blockedMove = false;
  /** A self-managed aws-node whose less risky builds are all older: it is never moved down. */
  let noDowngrade = false;
  let targetText = current?.raw ?? 'a build EKS offers';
  let targetReason = 'No finding on this cluster needs another version';
  if (needsVersion && installMethod !== 'unknown' && current) {
    if (offered === undefined) {
      base.releaseFloor = releaseFloor(current, risks, facts);
      const unread = unreadCatalogTexts({ facts, current, floor: base.releaseFloor, minors: base.releaseFloor ? minorsBetween(current, base.releaseFloor) : '', k8s: kubernetesName(facts.kubernetesVersion), risksOf });
      targetText = unread.targetText;
      targetReason = unread.reason;
      steps.push({ title: unread.stepTitle, commands: [listOfferedCommand(ctx)], fixes: [...versionFixes, ...migrate] });
    } else if (offered.length === 0) {
      const since = facts.offeredSince && kubernetesPath(facts.kubernetesVersion, facts.offeredSince) ? facts.offeredSince : undefined;
      const next = since ?? nextKubernetesMinor(facts.kubernetesVersion);
      base.kubernetesFirst = next ?? null;
      targetText = 'a build EKS offers after a Kubernetes upgrade';
      const way = since ? kubernetesPath(facts.kubernetesVersion, since)! : `${facts.kubernetesVersion} → ${next ?? 'the next minor'} → …`;
      targetReason =
        `EKS offers no vpc-cni build for Kubernetes ${facts.kubernetesVersion} in ${facts.region}` +
        (since ? ` (the catalog read offers nothing before Kubernetes ${since})` : '') +
        `: upgrade Kubernetes first, one minor at a time (${way}), then run the audit again`;
    } else {
      const choice = chooseTarget(current, offered, risks, facts, migrate.length > 0 && !managed);
      targetReason = choice.reason;
      base.risksCarried = choice.carried.map((r) => r.ruleId);
      target = choice.target;
      downgrade = choice.downgrade;
      if (target && downgrade && installMethod !== 'addon') {
        // A self-managed aws-node is never moved down: the way out of its risks is a newer upstream release.
        base.releaseFloor = releaseFloor(current, risks, facts);
        targetReason =
          `${current.raw} carries ${risksOf(current).map((r) => r.ruleId).join(', ')}, and every build EKS offers for Kubernetes ${facts.kubernetesVersion} in ${facts.region} that is less risky is older (the least bad is ${target.raw}): ` +
          `a self-managed aws-node is never moved down, so no downgrade is given. ` +
          `Upgrade it self-managed to release ${base.releaseFloor ?? 'a release clear of them'} or later, or wait until EKS offers a build clear of them, and move to the managed add-on then`;
        base.risksCarried = [];
        target = null;
        downgrade = false;
        noDowngrade = true;
      }
      if (!target && !choice.held && !noDowngrade && migrate.length > 0) target = offered.find((v) => sameVersion(v, current)) ?? null;
      if (choice.held && migrate.length > 0) {
        targetReason += `: stay self-managed until EKS offers ${current.upstream} or later for Kubernetes ${facts.kubernetesVersion}, and move to the managed add-on then`;
      }
      if (choice.carried.length > 0 && !noDowngrade) {
        const next = nextKubernetesMinor(facts.kubernetesVersion);
        if (next) notes.push(`Kubernetes ${next} may be offered a build clear of ${base.risksCarried.join(', ')}: check again after a Kubernetes upgrade`);
      }
      // A matched risk that moves no target (an informational one) and that the end version still carries.
      const endsOn = target ?? current;
      for (const rule of ordered.filter((r) => r.affected && r.fixed && r.severity === 'informational')) {
        if (inRange(endsOn, rule.affected!)) notes.push(`${rule.id} (informational) is fixed in ${rule.fixed}, which EKS does not offer for Kubernetes ${facts.kubernetesVersion} yet`);
      }
      if (target) {
        const upstreamOf = (major: number, minor: number) => releasesOfMinor(major, minor, selfMethod).map((r) => parseCniVersion(r.version)!);
        const way = upgradePath(current, target, offered, upstreamOf, risksOf);
        const blocked = uninstallable(way.steps, selfMethod, facts.kubernetesVersion);
        if (blocked.length > 0) {
          targetReason +=
            `. No path one minor at a time: the Helm charts of ${blocked.join(', ')} define the ENIConfig CustomResourceDefinition with apiextensions.k8s.io/v1beta1, which Kubernetes 1.22 removed, so helm cannot install them on Kubernetes ${facts.kubernetesVersion}` +
            `. What to do: test the move to ${target.raw} on a non-production cluster first (each minor skipped is a risk), then move this cluster the same way; no command is given for the move`;
          blockedMove = true;
          target = null;
          downgrade = false;
        } else {
          path = way.steps;
          base.missingMinors = way.missingMinors;
          targetText = downgrade ? `${target.raw} (a downgrade from ${current.raw})` : target.raw;
          if (downgrade) targetReason += ` (a downgrade from ${current.raw})`;
        }
      }
      for (const [ruleId, text] of moveTexts({ ordered, facts, current, target, downgrade, held: choice.held, noDowngrade, blocked: blockedMove, offered, risksOf, carried: base.risksCarried })) texts.set(ruleId, text);
      // Catching up with the newest build is never a reason to go down.
      if (!target || downgrade) for (const rule of ordered) if (!rule.affected && rule.remediation.preset === 'upgrade') versionFixes.delete(rule.id);
    }
  } else if (needsVersion) {
    targetReason = 'The running version is unknown: read it first (the commands below), then run the audit again';
  }

  // ---- the configuration
  const configSource = managed ? 'addon' : 'daemonset';
  const readable = installMethod !== 'unknown';
  const configuration = readable ? mergeConfiguration(facts.cni.configurationValues, configSource, configFixes, false, variableScope(facts)) : undefined;
  const configurationFixes = configuration ? [...new Set(configuration.changes.map((c) => c.ruleId))] : [];
  const versionFixList = [...versionFixes];

  // ---- the commands: the rules' own first (look, repair what is broken), then by install method
  const own: PlanStep[] = [];
  for (const rule of ordered) pushIf(own, ownCommandsStep(ctx, rule, lookup(rule), managed, texts.get(rule.id) ?? textOf(rule, targetText)));
  const changes: PlanStep[] = [];
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
    const helm: HelmTarget | undefined = installMethod === 'helm' ? helmTarget(ctx, facts.cni.helmRelease) : undefined;
    const selfManaged = installMethod === 'manifest' || helm !== undefined;
    const selfPath = path.filter((s) => !sameVersion(upstream(s.version), upstream(current!)));
    backup = backupDaemonSetStep(ctx, helm);
    if (iam.length) pushIf(changes, selfManagedRoleStep(ctx, helm, cniRoleName(ctx), iam));
    const running = configuration ?? mergeConfiguration(facts.cni.configurationValues, 'daemonset', [], true, variableScope(facts));
    const versions = selfPath.map((s) => upstream(s.version));
    // The move to the managed add-on comes after these steps: pasted alone, it would skip their minors.
    const movesFirst = [...versionFixList, ...(migrate.length > 0 && target ? migrate : [])];
    const fixes = [...movesFirst, ...(configuration ? configurationFixes : [])];
    if (installMethod === 'helm' && helm) {
      changes.push(...helmSteps(ctx, helm, { steps: versions, ...(configuration ? { configuration } : {}), versionFixes: movesFirst, configurationFixes }));
    } else if (installMethod === 'helm') {
      notes.push('The Helm release could not be identified: no helm command is given');
    } else if (versions.length > 0) {
      changes.push(...manifestSteps(ctx, { steps: versions, ...(running ? { settings: running } : {}), fixes }));
    } else if (configuration) {
      changes.push(...settingsSteps(ctx, configuration, configurationFixes));
    }
    if (migrate.length > 0 && target) {
      const common = { ...(running ? { configuration: running } : {}), ...(helm ? { helm } : {}), helmUnnamed: installMethod === 'helm' && !helm, ruleIds: migrate };
      if (selfManaged || selfPath.length === 0) {
        changes.push(migrateStep(ctx, { ...common, build: target, after: selfPath.length > 0 }));
      } else {
        // No self-managed command can move it: the add-on is created at the build of the running
        // minor (one minor at a time from there, as update-addon).
        const createAt = safest(offered!.filter((v) => v.semver.major === current!.semver.major && v.semver.minor === current!.semver.minor), risksOf) ?? path[0]!.version;
        const rest = path.filter((s) => s.version.semver.compare(createAt.semver) > 0 && !s.upstreamOnly).map((s) => s.version);
        changes.push(migrateStep(ctx, { ...common, build: createAt, after: false }));
        changes.push(...managedUpdateSteps(ctx, { steps: rest, versionFixes: [...versionFixList, ...migrate], configurationFixes: [] }));
      }
    }
  }
  if (iam.length && !ctx.accountId) notes.push('The account id is not known, so no IAM role can be named: no role command is given');
  // Back up first, only when something changes; the rules' own look-and-repair commands come before the changes.
  steps.push(...(backup && changes.some((c) => c.fixes.length > 0) ? [backup] : []), ...own, ...changes);
  const firstHelm = steps.findIndex(usesHelm);
  if (firstHelm >= 0) steps.splice(firstHelm, 0, helmRepoStep());
  const usesKubectl = steps.some((s) => s.commands.some((c) => /(^|[|;&]\s*)(kubectl|helm) /.test(c)));
  if (usesKubectl) steps.unshift(connectStep(ctx));
  if (resolved.mirror) notes.push(`The aws-node images come from ${JSON.stringify(resolved.mirror)}; the commands pull from ${ctx.images.kind === 'ecr' ? ctx.images.host : 'ECR Public'}: copy the release there first if the nodes cannot reach it`);
  if (configuration?.conflicts) notes.push(...configuration.conflicts);

  const selfManagedPath = installMethod !== 'addon';
  const plan: ClusterPlan = {
    ...base,
    partition: ctx.partition,
    target: target?.raw ?? null,
    targetReason: [targetReason, ...notes].join('. '),
    path: path.map((s) => ({ version: selfManagedPath || s.upstreamOnly ? `v${s.version.upstream}` : s.version.raw, selfManaged: selfManagedPath || s.upstreamOnly, ...(s.why ? { why: s.why } : {}) })),
    ...(configuration ? { configuration: publicConfiguration(configuration) } : {}),
    invalid: uniqueInvalid(ctx.invalid),
    steps: dedupe(steps),
  };
  return { plan, targetText, versionFixes: new Set([...versionFixes, ...migrate]), texts };
}

function pushIf(steps: PlanStep[], step: PlanStep | undefined): void {
  if (step) steps.push(step);
}

function uniqueInvalid(values: ClusterPlan['invalid']): ClusterPlan['invalid'] {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(`${v.what}\n${v.reason}`) && seen.add(`${v.what}\n${v.reason}`));
}

function publicConfiguration(config: MergedConfiguration): NonNullable<ClusterPlan['configuration']> {
  const { template: _template, merged: _merged, changeKeys: _changeKeys, ...rest } = config;
  return rest;
}

/**
 * The plan's commands for one finding, in order: the steps that fix it, with the steps before
 * them that make them work (pointing kubectl at the cluster, the backup before anything is
 * overwritten or deleted, the Helm repository when they run helm); never an alternative.
 */
export function commandsFor(plan: ClusterPlan, ruleId: string): string[] {
  const last = plan.steps.findLastIndex((s) => !s.alternative && s.fixes.includes(ruleId));
  if (last < 0) return [];
  const own = plan.steps.slice(0, last + 1).filter((s) => !s.alternative && s.fixes.includes(ruleId));
  const runs = (re: RegExp) => own.some((s) => s.commands.some((c) => re.test(c)));
  // The Helm repository goes with a finding's commands only when they run helm; the context and the
  // backup always do, so every finding's commands start as its plan does (Slack and Security Hub show that first command).
  const needed = (s: PlanStep) => !s.commands.every((c) => c.startsWith('helm repo')) || runs(usesHelmCommand);
  return plan.steps
    .slice(0, last + 1)
    .filter((s) => !s.alternative && (s.fixes.includes(ruleId) || (s.fixes.length === 0 && needed(s))))
    .flatMap((s) => s.commands);
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
    remediation: { ...finding.remediation, ...(outcome.texts.has(finding.ruleId) ? { text: outcome.texts.get(finding.ruleId)! } : {}), commands: commandsFor(plan, finding.ruleId), planId: plan.id },
  };
}
