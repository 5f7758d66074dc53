import type { ClusterFacts, PlanStep } from '../../types.js';
import { placeholders, type Rule } from '../rule.js';
import { parseCniVersion } from '../version.js';
import { updateAddonAndWait, waitActive, withContext, type PlanContext } from './context.js';
import { rolloutStatus } from './manifest.js';
import { eksRegistryHost } from './registry.js';
import { upstreamRelease } from './releases.js';
import { isValid, type InvalidValue } from './shell.js';

/**
 * A rule's own commands (`remediation.managed` / `selfManaged` templates), filled in for the
 * cluster. A placeholder value enters a command only as one plain shell word (letters, digits and
 * `_ @ % + = : , . / -`): anything else could be read by the shell, so the command is left out
 * and the value named. kubectl lines get the cluster's `--context`; kubeconfig lines are the
 * plan's own connect step.
 */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** A placeholder with the space before it, which goes too when a list of words is empty. */
const PLACEHOLDER = /( ?)\{\{\s*([\w.-]+)\s*\}\}/g;
/** Values the plan computes as a list of words (none, one or more); a fact's list is prose, never words. */
const WORD_LISTS = /^fix\./;

export function ownCommandsStep(ctx: PlanContext, rule: Rule, lookup: (name: string) => unknown, managed: boolean, text: string): PlanStep | undefined {
  const templates = (managed ? rule.remediation.managed : rule.remediation.selfManaged) ?? [];
  const commands: string[] = [];
  for (const template of templates) {
    if (/^\s*aws eks update-kubeconfig\b/.test(template)) continue;
    const refused = placeholders(template).filter((name) => !isPlainWords(name, lookup(name)));
    if (refused.length > 0) {
      for (const name of refused) ctx.invalid.push(refusal(name, lookup(name), rule.id));
      continue;
    }
    const command = withContext(
      ctx,
      template.replace(PLACEHOLDER, (_, space: string, name: string) => {
        const value = lookup(name);
        return Array.isArray(value) ? (value.length ? `${space}${value.join(' ')}` : '') : `${space}${String(value)}`;
      }),
    );
    // Only a version EKS offers for the cluster may follow --addon-version (when the run read what it offers).
    const offered = ctx.facts.offeredVersions;
    const unoffered = offered ? [...command.matchAll(/--addon-version (\S+)/g)].map((m) => m[1]!).filter((v) => !offered.includes(v)) : [];
    if (unoffered.length > 0) {
      ctx.invalid.push({ what: `--addon-version in a command of ${rule.id}`, reason: `${unoffered.join(', ')} is not offered for Kubernetes ${ctx.facts.kubernetesVersion}: that command was left out` });
      continue;
    }
    commands.push(waitingFor(ctx, command));
  }
  if (commands.length === 0) return undefined;
  return { title: text, commands, fixes: [rule.id] };
}

/**
 * A rule's update-addon or create-addon returns before EKS is done: the next update would be
 * refused while this one runs (and a repaired add-on is still DEGRADED right after the call), so
 * the command waits for its update to finish and the add-on to be ACTIVE.
 */
function waitingFor(ctx: PlanContext, command: string): string {
  if (/&&|;|\|/.test(command)) return command;
  if (/^aws eks update-addon\s/.test(command)) return updateAddonAndWait(ctx, command);
  if (/^aws eks create-addon\s/.test(command)) return `${command} && ${waitActive(ctx)}`;
  // The pods roll one node at a time: what comes next must find them all on the new images.
  if (/^kubectl\s.*\bset image (?:daemonset[ /]|ds\/)aws-node\b/.test(command)) return `${command} && ${rolloutStatus(ctx)}`;
  return command;
}

function isPlainWord(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && PLAIN_WORD.test(String(value));
}

function isPlainWords(name: string, value: unknown): boolean {
  return Array.isArray(value) && WORD_LISTS.test(name) ? value.every(isPlainWord) : isPlainWord(value);
}

/**
 * `{{fix.nodeAgentImage}}`: the `kubectl set image` argument that points the network policy agent
 * container (`aws-eks-nodeagent`, in the aws-node pod since v1.14) at the official image of the
 * tag it runs (`<EKS registry>/amazon/aws-network-policy-agent:<tag>`), as one word; no word when
 * the pod runs no agent. A digest-only agent takes the agent of the CNI's release; undefined
 * (the command is left out) when neither is known.
 */
export function nodeAgentImageWords(facts: ClusterFacts): string[] | undefined {
  const agent = facts.cni.networkPolicyAgent;
  if (!agent) return [];
  const release = upstreamRelease(parseCniVersion(facts.cni.version)?.upstream ?? '')?.agent ?? undefined;
  const tag = isValid('image tag', agent.version) ? agent.version : release;
  return tag ? [`aws-eks-nodeagent=${eksRegistryHost(facts.region)}/amazon/aws-network-policy-agent:${tag}`] : undefined;
}

function refusal(name: string, value: unknown, ruleId: string): InvalidValue {
  const text = value === undefined || value === null || value === '' ? 'unknown' : `the value (${String(value).length} characters) is not one plain shell word`;
  return { what: `{{${name}}} in a command of ${ruleId}`, reason: `${text}: that command was left out` };
}
