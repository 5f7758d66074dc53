import type { PlanStep } from '../../types.js';
import type { CniVersion } from '../version.js';
import { configurationArgument, configurationPrefix, type MergedConfiguration } from './configuration.js';
import { fileFor, waitActive, type PlanContext } from './context.js';
import { shellQuote } from './shell.js';

/**
 * The commands of a cluster that runs the EKS managed add-on. `--resolve-conflicts PRESERVE`
 * keeps what was changed on the cluster outside the add-on; the configuration is the merged one,
 * whole (`--configuration-values` replaces the set). eksctl's `--force` overwrites instead: it is
 * never offered as an equivalent.
 */

export function backupAddonStep(ctx: PlanContext): PlanStep {
  return {
    title: 'Keep a copy of the add-on as it is now (version, configuration, role), to compare with or go back to.',
    commands: [`aws eks describe-addon ${ctx.where} --addon-name vpc-cni --output json > ${shellQuote(fileFor(ctx, 'vpc-cni-addon', 'json'))}`],
    fixes: [],
  };
}

export interface ManagedUpdate {
  /** Offered builds to go through, one minor at a time, ending at the target. */
  steps: CniVersion[];
  configuration?: MergedConfiguration;
  /** Rule ids the version change fixes. */
  versionFixes: string[];
  configurationFixes: string[];
}

/** `aws eks update-addon` one minor at a time; the merged configuration goes with the last step. */
export function managedUpdateSteps(ctx: PlanContext, update: ManagedUpdate): PlanStep[] {
  const base = `aws eks update-addon ${ctx.where} --addon-name vpc-cni`;
  const config = update.configuration ? ` --configuration-values ${configurationArgument(update.configuration)}` : '';
  const prefix = configurationPrefix(update.configuration);
  if (update.steps.length === 0) {
    if (!update.configuration) return [];
    return [
      {
        title: 'Apply the merged configuration (the current values with every fix), keeping the version.',
        commands: [`${prefix}${base} --resolve-conflicts PRESERVE${config} && ${waitActive(ctx)}`],
        fixes: update.configurationFixes,
      },
    ];
  }
  const many = update.steps.length > 1;
  const commands = update.steps.map((step, i) => {
    const last = i === update.steps.length - 1;
    return `${last ? prefix : ''}${base} --addon-version ${shellQuote(step.raw)} --resolve-conflicts PRESERVE${last ? config : ''} && ${waitActive(ctx)}`;
  });
  const withConfig = update.configuration ? '; the last update also applies the merged configuration' : '';
  return [
    {
      title: many
        ? `Update the add-on one minor at a time (${update.steps.map((s) => s.raw).join(' → ')}), waiting for ACTIVE between updates${withConfig}.`
        : `Update the add-on to ${update.steps[0]!.raw}${withConfig}.`,
      commands,
      fixes: [...update.versionFixes, ...(update.configuration ? update.configurationFixes : [])],
    },
  ];
}

/** The role step of a managed add-on without its own role: create one (IRSA) and give it to the add-on. */
export function managedRoleStep(ctx: PlanContext, ruleIds: string[]): PlanStep | undefined {
  if (!ctx.accountId) return undefined;
  const roleName = cniRoleName(ctx);
  const roleArn = `arn:${ctx.partition}:iam::${ctx.accountId}:role/${roleName}`;
  return {
    title: `Give vpc-cni its own IAM role (${roleName}, with AmazonEKS_CNI_Policy; an IPv6 cluster needs the IPv6 CNI policy instead) through IRSA; the first command adds the cluster's IAM OIDC provider when it is missing.`,
    commands: [
      `eksctl utils associate-iam-oidc-provider --cluster ${shellQuote(ctx.cluster)} --region ${shellQuote(ctx.region)} --approve`,
      `eksctl create iamserviceaccount --cluster ${shellQuote(ctx.cluster)} --region ${shellQuote(ctx.region)} --namespace kube-system --name aws-node --role-name ${roleName} --attach-policy-arn arn:${ctx.partition}:iam::aws:policy/AmazonEKS_CNI_Policy --role-only --approve`,
      `aws eks update-addon ${ctx.where} --addon-name vpc-cni --service-account-role-arn ${shellQuote(roleArn)} --resolve-conflicts PRESERVE && ${waitActive(ctx)}`,
    ],
    fixes: ruleIds,
  };
}

/** A role name of its own per cluster (an IRSA role trusts one cluster's OIDC provider); IAM allows 64 characters. */
export function cniRoleName(ctx: PlanContext): string {
  return `AmazonEKSVPCCNIRole-${ctx.cluster}`.slice(0, 64).replace(/-$/, '');
}
