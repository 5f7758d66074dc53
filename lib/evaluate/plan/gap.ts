import type { PlanStep } from '../../types.js';
import { configurationOption, configurationPrefix, mergeConfiguration, variableScope, type MergedConfiguration } from './configuration.js';
import { waitActive, type PlanContext } from './context.js';
import { createAddonIdentity, identityText } from './identity.js';
import { managedUpdateSteps } from './managed.js';
import { manifestKeepsText, manifestRelease } from './manifest.js';
import { shellQuote } from './shell.js';
import type { PathStep } from './target.js';

/**
 * A managed add-on whose path crosses minors EKS offers no build of for the cluster's Kubernetes
 * version. update-addon refuses a jump of more than one minor, so the missing minors are gone
 * through self-managed: the manifests of those releases are downloaded, edited to keep the
 * add-on's settings and reviewed first (a step that can fail runs while EKS still manages the
 * add-on); then EKS lets go of the add-on and keeps it running (`delete-addon --preserve`), each
 * release is applied, and create-addon with OVERWRITE takes it back at the next offered build,
 * with the settings as configuration values.
 */
export function gapSteps(
  ctx: PlanContext,
  path: readonly PathStep[],
  missingMinors: readonly string[],
  configuration: MergedConfiguration | undefined,
  versionFixes: string[],
  configurationFixes: string[],
): PlanStep[] {
  // The settings the cluster runs, carried through the self-managed stretch (fixes applied at the end).
  const carried = mergeConfiguration(ctx.facts.cni.configurationValues, 'addon', [], true, variableScope(ctx.facts));
  const identity = createAddonIdentity(ctx, { podIdentity: true });
  // The association's role is read once, while the add-on that owns it still exists.
  let reads = identity.reads;
  const steps: PlanStep[] = [];
  let i = 0;
  const managedRun = (): PathStep[] => {
    const run: PathStep[] = [];
    while (i < path.length && !path[i]!.upstreamOnly) run.push(path[i++]!);
    return run;
  };
  const first = managedRun();
  steps.push(...managedUpdateSteps(ctx, { steps: first.map((s) => s.version), versionFixes, configurationFixes: [] }));
  while (i < path.length) {
    const detour: PathStep[] = [];
    while (i < path.length && path[i]!.upstreamOnly) detour.push(path[i++]!);
    const back = managedRun();
    const resume = back[0];
    const releases = detour.flatMap((s) => manifestRelease(ctx, s.version, carried) ?? []);
    const names = releases.map((r) => `v${r.release}`).join(', ');
    steps.push({
      title: `EKS offers no build of ${missingMinors.join(', ')} for Kubernetes ${ctx.facts.kubernetesVersion}, and update-addon moves one minor at a time: prepare the release manifests of ${names} first, while EKS still manages the add-on; ${manifestKeepsText(releases, 'create-addon gives them back')}.`,
      commands: releases.flatMap((r) => r.prepare),
      fixes: versionFixes,
    });
    steps.push({
      title: `Let EKS release the add-on, keeping aws-node running${reads.length ? ' (the role of its Pod Identity association is read first, for create-addon to give back)' : ''}.`,
      commands: [`${reads.map((r) => `${r} && `).join('')}aws eks delete-addon ${ctx.where} --addon-name vpc-cni --preserve && aws eks wait addon-deleted ${ctx.where} --addon-name vpc-cni`],
      fixes: versionFixes,
    });
    reads = [];
    steps.push({ title: `Apply ${names} one minor at a time, as prepared.`, commands: releases.map((r) => r.apply), fixes: versionFixes });
    if (!resume) break;
    const config = configurationOption(carried);
    steps.push({
      title: `Give vpc-cni back to EKS at ${resume.version.raw}: OVERWRITE takes the DaemonSet over, so its settings go along as configuration values${identityText(identity)}.`,
      commands: [`${configurationPrefix(carried)}aws eks create-addon ${ctx.where} --addon-name vpc-cni --addon-version ${shellQuote(resume.version.raw)} --resolve-conflicts OVERWRITE${config}${identity.args} && ${waitActive(ctx)}`],
      fixes: versionFixes,
    });
    const rest = back.slice(1);
    const last = i >= path.length;
    steps.push(
      ...managedUpdateSteps(ctx, {
        steps: rest.map((s) => s.version),
        ...(last && configuration ? { configuration } : {}),
        versionFixes,
        configurationFixes: last ? configurationFixes : [],
      }),
    );
  }
  return steps;
}
