import type { EnvNotCarried } from '../../types.js';
import { variableScope } from './configuration.js';
import { fileFor, type PlanContext } from './context.js';
import { isValid, shellQuote } from './shell.js';

/**
 * What `aws eks create-addon` needs besides the version and configuration when it takes aws-node
 * over, or takes it back after a self-managed stretch: the IAM role aws-node runs with (IRSA's
 * `--service-account-role-arn`, an add-on's Pod Identity association) and the env settings the
 * configuration does not carry. A role that cannot enter a command (refused as invalid, or not
 * read) is never silently dropped: the command reads it from a per-cluster shell variable that
 * refuses to be empty, as the plans' other values a person supplies. Pure.
 */
export interface AddonIdentity {
  /** ` --service-account-role-arn ...` and/or ` --pod-identity-associations ...`; '' when aws-node has no role of its own. */
  args: string;
  /** Shell assignments that read a role into its variable, to run while the add-on (and its association) still exists. */
  reads: string[];
  /** The variables a person sets before create-addon runs, with why; empty when none. */
  toSet: { variable: string; hint: string }[];
}

const AWS_NODE = 'aws-node';

/** `"${VAR:?message}"` around `prefix` and the variable: the shell stops with the message when VAR is unset or empty. */
function guarded(variable: string, message: string, prefix = ''): string {
  return `"${prefix}\${${variable}:?${message.replace(/[^A-Za-z0-9 ,.()_-]/g, ' ')}}"`;
}

/**
 * The role arguments of create-addon for this cluster. `podIdentity`: give back the add-on's own
 * Pod Identity association (the add-on owned it; a self-managed aws-node's association is its own
 * resource and stays as it is). DescribeAddon lists association ARNs only, so a scan rarely knows
 * the association's role: it is read by id before EKS lets go of the add-on.
 */
export function createAddonIdentity(ctx: PlanContext, options: { podIdentity: boolean }): AddonIdentity {
  const scope = variableScope(ctx.facts);
  const identity: AddonIdentity = { args: '', reads: [], toSet: [] };
  const declared = ctx.facts.cni.serviceAccountRoleArn;
  if (ctx.roleArn) {
    identity.args += ` --service-account-role-arn ${shellQuote(ctx.roleArn)}`;
  } else if (declared) {
    const variable = `AWS_NODE_ROLE_ARN_${scope}`;
    identity.args += ` --service-account-role-arn ${guarded(variable, `set ${variable} to the IAM role ARN of aws-node`)}`;
    identity.toSet.push({ variable, hint: 'the IAM role ARN aws-node runs with, as the one found was left out' });
  }
  const association = options.podIdentity
    ? ctx.facts.cni.podIdentityAssociations.find((a) => a.serviceAccount === AWS_NODE && (a.namespace ?? 'kube-system') === 'kube-system')
    : undefined;
  if (association) {
    const arn = association.roleArn;
    if (isValid('IAM role ARN', arn) && arn.split(':')[1] === ctx.partition) {
      identity.args += ` --pod-identity-associations ${shellQuote(`serviceAccount=${AWS_NODE},roleArn=${arn}`)}`;
    } else {
      const variable = `AWS_NODE_POD_IDENTITY_ROLE_ARN_${scope}`;
      identity.args += ` --pod-identity-associations ${guarded(variable, `set ${variable} to the IAM role ARN of the aws-node Pod Identity association`, `serviceAccount=${AWS_NODE},roleArn=`)}`;
      const id = association.associationId && /^a-[0-9a-z]{1,64}$/.test(association.associationId) ? association.associationId : undefined;
      if (id) {
        // Printed once read: after delete-addon nothing in EKS gives it back, and a new terminal needs it.
        identity.reads.push(`${variable}=$(aws eks describe-pod-identity-association ${ctx.where} --association-id ${id} --query association.roleArn --output text) && printf '%s\\n' "${variable}=$${variable}"`);
        identity.toSet.push({ variable, hint: `the role of the add-on's Pod Identity association ${id}, read before EKS let go of the add-on` });
      } else {
        identity.toSet.push({ variable, hint: "the role of the add-on's Pod Identity association for aws-node (aws eks list-pod-identity-associations gives it), read before EKS lets go of the add-on" });
      }
    }
  }
  return identity;
}

/** `, with the IAM role aws-node runs with (X: ...)` for a step's title, or '' when aws-node has no role of its own. */
export function identityText(identity: AddonIdentity): string {
  if (!identity.args) return '';
  const toSet = identity.toSet.map((t) => `${t.variable} holds ${t.hint}`).join('; ');
  return `, with the IAM role aws-node runs with${toSet ? ` (${toSet})` : ''}`;
}

/** A name as it may appear in prose: an env name as Kubernetes allows it, else only its length. */
function shownName(entry: EnvNotCarried): string {
  const name = /^[A-Za-z_][A-Za-z0-9_.*/ -]{0,252}$/.test(entry.name) ? entry.name : `a name of ${entry.name.length} characters`;
  const where = entry.container === AWS_NODE ? '' : ` of ${/^[a-z0-9-]{1,63}$/.test(entry.container) ? entry.container : 'another container'}`;
  const why = entry.why === 'valueFrom' ? ' (valueFrom)' : entry.why === 'envFrom' ? ' (envFrom)' : '';
  return `${name}${where}${why}`;
}

/**
 * What create-addon with OVERWRITE leaves behind of a self-managed aws-node's env, and how to get it
 * back; '' when nothing. The vpc-cni add-on's configuration schema accepts literal values of the
 * CNI's documented variables only (its `Env` allows no other property: proxy variables are not
 * among them, aws/containers-roadmap#2480), so a variable outside it is set again on the DaemonSet.
 */
export function notCarriedText(ctx: PlanContext): string {
  const entries = ctx.facts.cni.envNotCarried ?? [];
  if (entries.length === 0) return '';
  const inSchema = entries.filter((e) => e.why === 'valueFrom' && e.container === AWS_NODE).length > 0;
  return (
    `not carried into the add-on configuration: ${entries.map(shownName).join(', ')} (the audit never reads their values; their definitions are in ${fileFor(ctx, 'aws-node', 'yaml')}): ` +
    (inSchema ? 'add those the add-on schema accepts to --configuration-values env as literal values (aws eks describe-addon-configuration lists them), ' : '') +
    'set the others on the aws-node DaemonSet again once the add-on is ACTIVE (the add-on schema has no proxy or custom variables)'
  );
}

/**
 * For a manifest apply: the env settings the audit did not read are not in the edited manifest,
 * and `kubectl apply` removes those its last-applied configuration holds; '' when none.
 */
export function unreadByManifestText(ctx: PlanContext): string {
  const entries = ctx.facts.cni.envNotCarried ?? [];
  if (entries.length === 0) return '';
  return `; the settings the audit does not read (${entries.map(shownName).join(', ')}) are not in the edited manifest: the apply removes those a previous kubectl apply set (kubectl diff shows it); their definitions are in ${fileFor(ctx, 'aws-node', 'yaml')}, to set again after the last step`;
}
