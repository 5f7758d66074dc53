import type { ClusterFacts, PlanStep } from '../../types.js';
import { ECR_PUBLIC_REGISTRY, eksRegistryAccount, eksRegistryHost, parseEcrHost, parseImage, partitionOfRegion } from './registry.js';
import { describeInvalid, isValid, shellQuote, type InvalidValue } from './shell.js';

/**
 * What every command of one cluster's plan is built from: only values that passed their shape
 * check. A cluster whose name or region fails gets no commands at all.
 */
export interface PlanContext {
  facts: ClusterFacts;
  cluster: string;
  region: string;
  partition: string;
  /** The 12-digit account id, or null when it is not one (a what-if check without a role). */
  accountId: string | null;
  /** The kubeconfig context of the cluster: `aws eks update-kubeconfig --alias` names it after the cluster. */
  context: string;
  /** `--cluster-name C --region R`, quoted. */
  where: string;
  /** The aws-node role ARN, when it is a valid IAM role ARN. */
  roleArn: string | null;
  images: ImageSource;
  invalid: InvalidValue[];
}

/** Where a self-managed install pulls the vpc-cni images from. */
export type ImageSource =
  /** An ECR registry of AWS: the EKS registry of the cluster's region, as the release manifest for its partition names. */
  | { kind: 'ecr'; host: string; account: string; region: string; domain: string; fips: boolean }
  /** Amazon ECR Public (`public.ecr.aws/eks`), where the cluster pulls from today. */
  | { kind: 'ecr-public' };

/** Where images should come from: ECR Public if the cluster uses it now, else the EKS registry of its region. */
function imageSource(facts: ClusterFacts, region: string): { source: ImageSource; mirror?: string } {
  const current = facts.cni.image ? parseImage(facts.cni.image) : undefined;
  if (current && `${current.registry}/${current.repository}`.startsWith(`${ECR_PUBLIC_REGISTRY}/`)) return { source: { kind: 'ecr-public' } };
  const host = eksRegistryHost(region);
  const parsed = parseEcrHost(host)!;
  const fips = current?.registry.includes('.dkr.ecr-fips.') ?? false;
  const domain = host.slice(host.indexOf('.amazonaws.') + 1);
  const source: ImageSource = { kind: 'ecr', host: fips ? host.replace('.dkr.ecr.', '.dkr.ecr-fips.') : host, account: parsed.account, region, domain, fips };
  const ecr = current ? parseEcrHost(current.registry) : undefined;
  const official = ecr !== undefined && ecr.account === eksRegistryAccount(ecr.region);
  return current && !official ? { source, mirror: current.registry } : { source };
}

export type ContextResult = { ok: true; ctx: PlanContext; mirror?: string } | { ok: false; invalid: InvalidValue[] };

export function planContext(facts: ClusterFacts): ContextResult {
  const invalid: InvalidValue[] = [];
  const check = (kind: Parameters<typeof isValid>[0], source: string, value: string | null | undefined): boolean => {
    if (isValid(kind, value)) return true;
    if (value) invalid.push(describeInvalid(kind, source, value));
    return false;
  };
  const nameOk = check('cluster name', 'cluster', facts.clusterName);
  const regionOk = check('region', 'cluster', facts.region);
  if (!nameOk || !regionOk) return { ok: false, invalid };
  const accountId = isValid('account id', facts.accountId) ? facts.accountId : null;
  const partition = isValid('partition', facts.partition) ? facts.partition : (partitionOfRegion(facts.region) ?? 'aws');
  const role = facts.cni.serviceAccountRoleArn;
  const source = facts.cni.managed ? 'add-on service account role' : 'aws-node ServiceAccount annotation eks.amazonaws.com/role-arn';
  let roleArn = check('IAM role ARN', source, role) ? role : null;
  if (roleArn && roleArn.split(':')[1] !== partition) {
    invalid.push({ what: `IAM role ARN (${source})`, reason: `the role is in the ${roleArn.split(':')[1]} partition, the cluster in ${partition}: it is left out of every command` });
    roleArn = null;
  }
  const { source: images, mirror } = imageSource(facts, facts.region);
  return {
    ok: true,
    ctx: {
      facts,
      cluster: facts.clusterName,
      region: facts.region,
      partition,
      accountId,
      context: facts.clusterName,
      where: `--cluster-name ${shellQuote(facts.clusterName)} --region ${shellQuote(facts.region)}`,
      roleArn,
      images,
      invalid,
    },
    ...(mirror ? { mirror } : {}),
  };
}

/** `kubectl --context C <args>`: every kubectl line names the cluster's context. */
export function kubectl(ctx: PlanContext, args: string): string {
  return `kubectl --context ${shellQuote(ctx.context)} ${args}`;
}

/** Puts `--context` on every kubectl of a command written by a rule (pipes and `&&` included). */
export function withContext(ctx: PlanContext, command: string): string {
  return command.replace(/(^|[|;&]\s*)kubectl(?=\s)(?!\s+--context)/g, `$1kubectl --context ${shellQuote(ctx.context)}`);
}

/** The step that points kubectl and helm at this cluster, under a context named after it. */
export function connectStep(ctx: PlanContext): PlanStep {
  const name = shellQuote(ctx.cluster);
  return {
    title: `Point kubectl at ${ctx.cluster}: the context is named after the cluster, and every kubectl and helm line below names it.`,
    commands: [`aws eks update-kubeconfig --name ${name} --region ${shellQuote(ctx.region)} --alias ${name}`],
    fixes: [],
  };
}

/** `aws eks wait addon-active ...`: the next update is refused while the add-on is still updating. */
export function waitActive(ctx: PlanContext): string {
  return `aws eks wait addon-active ${ctx.where} --addon-name vpc-cni`;
}

/** A file name that belongs to this cluster, so that plans of two clusters never overwrite each other's backups. */
export function fileFor(ctx: PlanContext, stem: string, extension: string): string {
  return `${dirFor(ctx, stem)}.${extension}`;
}

/** A directory name that belongs to this cluster. */
export function dirFor(ctx: PlanContext, stem: string): string {
  return `${stem}-${ctx.cluster}`;
}

/**
 * `aws eks update-addon ...` that returns only when EKS has finished this update and the add-on
 * is ACTIVE. The update's own status is read (DescribeUpdate) until it is no longer InProgress: the
 * AddonActive waiter alone stops at once on a DEGRADED add-on, which is what an add-on being
 * repaired still is right after the call; the waiter then confirms ACTIVE (it fails on DEGRADED).
 */
export function updateAddonAndWait(ctx: PlanContext, updateAddon: string): string {
  const update = `--name ${shellQuote(ctx.cluster)} --region ${shellQuote(ctx.region)} --addon-name vpc-cni --update-id "$update_id"`;
  return (
    `update_id=$(${updateAddon} --query update.id --output text) && ` +
    `while update_status=$(aws eks describe-update ${update} --query update.status --output text) && [ "$update_status" = InProgress ]; do sleep 15; done && ` +
    `[ "$update_status" = Successful ] && ${waitActive(ctx)}`
  );
}
