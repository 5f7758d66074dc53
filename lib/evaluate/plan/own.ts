import type { PlanStep } from '../../types.js';
import { placeholders, type Rule } from '../rule.js';
import { updateAddonAndWait, waitActive, withContext, type PlanContext } from './context.js';
import type { InvalidValue } from './shell.js';

/**
 * A rule's own commands (`remediation.managed` / `selfManaged` templates), filled in for the
 * cluster. A placeholder value enters a command only as one plain shell word (letters, digits and
 * `_ @ % + = : , . / -`): anything else could be read by the shell, so the command is left out
 * and the value named. kubectl lines get the cluster's `--context`; kubeconfig lines are the
 * plan's own connect step.
 */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

export function ownCommandsStep(ctx: PlanContext, rule: Rule, lookup: (name: string) => unknown, managed: boolean, text: string): PlanStep | undefined {
  const templates = (managed ? rule.remediation.managed : rule.remediation.selfManaged) ?? [];
  const commands: string[] = [];
  for (const template of templates) {
    if (/^\s*aws eks update-kubeconfig\b/.test(template)) continue;
    const refused = placeholders(template).filter((name) => !isPlainWord(lookup(name)));
    if (refused.length > 0) {
      for (const name of refused) ctx.invalid.push(refusal(name, lookup(name), rule.id));
      continue;
    }
    const command = withContext(ctx, template.replace(PLACEHOLDER, (_, name: string) => String(lookup(name))));
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
  return command;
}

function isPlainWord(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && PLAIN_WORD.test(String(value));
}

function refusal(name: string, value: unknown, ruleId: string): InvalidValue {
  const text = value === undefined || value === null || value === '' ? 'unknown' : `the value (${String(value).length} characters) is not one plain shell word`;
  return { what: `{{${name}}} in a command of ${ruleId}`, reason: `${text}: that command was left out` };
}
