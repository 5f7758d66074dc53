import { isDowngrade } from './finding-text.js';
import type { ClusterPlan, Finding, PlanPathStep } from './types.js';

/**
 * A cluster's plan as text every output renders the same way (each with its own escaping): the
 * heading, what the plan decided and why, then the numbered steps with their commands. Values
 * here are raw: the renderer escapes them for its output.
 */
export interface PlanView {
  heading: string;
  /** Sentences: the target and why, the path, the configuration, values left out. */
  notes: string[];
  steps: { label: string; title: string; commands: string[] }[];
}

const INSTALL: Record<ClusterPlan['installMethod'], string> = {
  addon: 'EKS managed add-on',
  helm: 'self-managed, Helm',
  manifest: 'self-managed, manifest',
  unknown: 'self-managed, not read',
};

/** `v1.12.0-eksbuild.1 → v1.18.6-eksbuild.1` (`(downgrade)` when it goes down), or the version alone when it stays. */
export function planMove(plan: ClusterPlan): string {
  const from = plan.currentVersion ?? 'unknown version';
  if (!plan.target || plan.target === plan.currentVersion) return from;
  return `${from} → ${plan.target}${isDowngrade(plan.currentVersion, plan.target) ? ' (downgrade)' : ''}`;
}

/** A path step as text: `v1.17.1 (self-managed)` on a managed add-on's path. */
export function pathStepText(step: PlanPathStep, plan: Pick<ClusterPlan, 'installMethod'>): string {
  return step.selfManaged && plan.installMethod === 'addon' ? `${step.version} (self-managed)` : step.version;
}

export function planHeading(plan: ClusterPlan): string {
  const account = plan.accountName === plan.accountId ? plan.accountId : `${plan.accountName} (${plan.accountId})`;
  return `${account} ${plan.region} ${plan.clusterName}: ${planMove(plan)} (${INSTALL[plan.installMethod]}, Kubernetes ${plan.kubernetesVersion || 'unknown'})`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function planView(plan: ClusterPlan): PlanView {
  const notes: string[] = [];
  if (plan.targetReason) notes.push(sentence(plan.targetReason));
  const path = plan.path.map((p) => pathStepText(p, plan));
  const whys = plan.path.flatMap((p) => p.why ?? []);
  if (plan.path.length > 1) notes.push(`One minor at a time: ${[plan.currentVersion ?? '?', ...path].join(' → ')}${whys.length ? ` (${whys.join('; ')})` : ''}.`);
  if (plan.missingMinors.length > 0) {
    notes.push(`EKS offers no build of ${plan.missingMinors.join(', ')} for Kubernetes ${plan.kubernetesVersion}: those steps run the upstream release, self-managed.`);
  }
  const config = plan.configuration;
  if (config) {
    const written = config.source === 'daemonset' ? 'the settings of the aws-node DaemonSet' : config.sourceFormat === 'yaml' ? 'the add-on configuration (written in YAML; printed here as JSON, which EKS accepts too)' : 'the add-on configuration';
    const changes = config.changes.map((c) => `${c.path} ${c.from ?? 'unset'} → ${c.to ?? 'removed'}`).join('; ');
    // Only the add-on keeps what the merged configuration does not name; a manifest apply resets it (the plan's steps say what they carry).
    const rest = config.source === 'addon' ? 'every other setting stays as it is' : 'the steps below say which settings they carry';
    notes.push(`Configuration: ${written}, with ${changes || 'no change'}; ${rest}.`);
    notes.push(`Merged configuration: ${config.values}`);
    for (const choice of config.choices) notes.push(`Set ${choice.variable} before running: ${choice.hint} (the command refuses to run without it).`);
    if (config.withheld.length > 0) {
      notes.push(
        `Withheld from this report (they look like secrets): ${config.withheld.map((w) => w.path).join(', ')}. ` +
          `Read each current value from aws eks describe-addon --query addon.configurationValues (or the DaemonSet backup) into its variable with IFS= read -rs NAME (${config.withheld.map((w) => `${w.variable}${w.json ? ', as JSON' : ''}`).join('; ')}): ` +
          'enter the raw value, as the setting holds it, not JSON-escaped (where describe-addon shows \\", enter "; read takes one line, so set a value with a line break with NAME="$(cat)" and Ctrl-D): ' +
          'the commands put it back in its place, it stays out of the shell history and of other programs\' environment, and unset them after the last command.',
      );
    }
    const variables = [...config.choices, ...config.withheld].map((v) => v.variable);
    if (variables.length > 0) {
      notes.push(`The variables carry this cluster's tag (${variables.join(', ')}): a value set for another cluster is never taken by these commands.`);
      notes.push('A command that puts them into JSON (--configuration-values, a kustomization) builds it with jq, which must be installed where it runs: jq escapes each value, so it goes in exactly as entered.');
    }
    for (const conflict of config.conflicts ?? []) notes.push(`Two fixes disagree: ${conflict}.`);
  }
  for (const value of plan.invalid) notes.push(`Left out of the commands: ${value.what}: ${value.reason}.`);
  notes.push(...roleVariableNotes(plan));
  let n = 0;
  const steps = plan.steps.map((step) => ({ label: step.alternative ? 'Or' : `${++n}.`, title: step.title, commands: step.commands }));
  return { heading: planHeading(plan), notes, steps };
}

/** The role variables create-addon refuses to run without (lib/evaluate/plan/identity.ts), named before step 1 like the configuration's. */
function roleVariableNotes(plan: ClusterPlan): string[] {
  const commands = plan.steps.filter((s) => !s.alternative).flatMap((s) => s.commands);
  const needed = new Set<string>();
  for (const command of commands) for (const m of command.matchAll(/\$\{(AWS_NODE_(?:POD_IDENTITY_)?ROLE_ARN_[A-Z0-9]+):\?/g)) needed.add(m[1]!);
  return [...needed].map((variable) =>
    commands.some((c) => c.includes(`${variable}=$(`))
      ? `${variable} is read by the plan's own command before EKS lets go of the add-on, and printed: keep that value, a new terminal needs it set again for create-addon (the command refuses to run without it).`
      : `Set ${variable} before running: the IAM role ARN aws-node runs with, which the audit could not put in the command (the command refuses to run without it).`,
  );
}

/**
 * The plan in one line, for fields with little room (Security Hub's recommendation, chat): the
 * move, the install method and how many commands; the full plan is in the report.
 */
export function planSummary(plan: ClusterPlan): string {
  const parts = [`${planMove(plan)} (${INSTALL[plan.installMethod]})`];
  if (plan.path.length > 1) parts.push(`one minor at a time through ${plan.path.slice(0, -1).map((p) => pathStepText(p, plan)).join(', ')}`);
  if (plan.configuration) parts.push('merged configuration');
  const commands = plan.steps.reduce((sum, s) => sum + s.commands.length, 0);
  parts.push(`${commands} command${commands === 1 ? '' : 's'} in ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}`);
  return parts.join('; ');
}

/** The plans that serve these findings, in the order the findings come. */
export function plansFor(findings: readonly Finding[], plans: readonly ClusterPlan[] | undefined): ClusterPlan[] {
  if (!plans?.length) return [];
  const byId = new Map(plans.map((p) => [p.id, p]));
  const seen = new Set<string>();
  const out: ClusterPlan[] = [];
  for (const f of findings) {
    const id = f.remediation.planId;
    if (id === undefined || seen.has(id)) continue;
    const plan = byId.get(id);
    if (!plan) continue;
    seen.add(id);
    out.push(plan);
  }
  return out;
}
