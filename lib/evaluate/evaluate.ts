import type { ClusterFacts, ClusterPlan, Finding, ScanError, SkippedRule } from '../types.js';
import { describeEvidence, explain, holds } from './conditions.js';
import { whyNotEvaluable } from './dependencies.js';
import { buildFactView, type FactView } from './facts.js';
import { attachPlan, buildPlan, planId, type PlanOutcome } from './plan/build.js';
import { nodeAgentImageWords } from './plan/own.js';
import { eksRegistryHost } from './plan/registry.js';
import { remediationTemplate, renderTemplate, type Rule } from './rule.js';
import { inRange, kubernetesInRange, parseCniVersion } from './version.js';

export function findingId(ruleId: string, facts: Pick<ClusterFacts, 'accountId' | 'region' | 'clusterName'>): string {
  return `${ruleId}/${facts.accountId}/${facts.region}/${facts.clusterName}`;
}

export { planId };

function templateLookup(rule: Rule, view: FactView, facts: ClusterFacts, targetText: string) {
  const extra: Record<string, unknown> = {
    'fix.target': targetText,
    'fix.roleArn': facts.cni.serviceAccountRoleArn ?? `arn:${facts.partition}:iam::${facts.accountId}:role/AmazonEKSVPCCNIRole`,
    'rule.fixed': rule.fixed,
    'rule.affected': rule.affected,
    'cluster.partition': facts.partition,
    'cluster.registry': eksRegistryHost(facts.region),
    'fix.nodeAgentImage': nodeAgentImageWords(facts),
  };
  return (name: string): unknown => (Object.hasOwn(extra, name) ? extra[name] : view.show(name));
}

/** The clauses of the "why": the version match, the Kubernetes match and the condition evidence. */
function whyClauses(rule: Rule, view: FactView, facts: ClusterFacts): string[] {
  const clauses: string[] = [];
  if (rule.affected && view.version) {
    const raw = view.version.raw;
    const release = raw.replace(/^v/, '') === view.version.upstream ? '' : ` (release ${view.version.upstream})`;
    clauses.push(`vpc-cni ${raw}${release} is in the affected range ${rule.affected}, fixed in ${rule.fixed}`);
  }
  if (rule.kubernetes) clauses.push(`Kubernetes ${facts.kubernetesVersion} is in ${rule.kubernetes}`);
  if (rule.when) clauses.push(...explain(rule.when, view).map(describeEvidence));
  return clauses;
}

function matches(rule: Rule, view: FactView, facts: ClusterFacts): boolean {
  if (rule.kubernetes && !kubernetesInRange(facts.kubernetesVersion, rule.kubernetes)) return false;
  // An unknown version is never "not affected": the version-unknown rule reports it instead.
  if (rule.affected && (!view.version || !inRange(view.version, rule.affected))) return false;
  return rule.when ? holds(rule.when, view) : true;
}

/**
 * The rules that hold for one cluster. A rule that needs a fact the scan could not read is not
 * judged: it goes to `skipped` (when given) with the reason.
 */
export function matchingRules(rules: readonly Rule[], facts: ClusterFacts, skipped?: SkippedRule[], view?: FactView): Rule[] {
  if (facts.cni.source === 'absent') return []; // another CNI: there is no vpc-cni to judge
  const factView = view ?? buildFactView(facts);
  return rules.filter((rule) => {
    // Outside the rule's Kubernetes range it cannot match, whatever else is unknown.
    const gap = rule.kubernetes && !kubernetesInRange(facts.kubernetesVersion, rule.kubernetes) ? undefined : whyNotEvaluable(rule, facts);
    if (gap !== undefined) {
      skipped?.push({ accountId: facts.accountId, region: facts.region, cluster: facts.clusterName, ruleId: rule.id, reason: gap });
      return false;
    }
    return matches(rule, factView, facts);
  });
}

function planFor(rules: readonly Rule[], facts: ClusterFacts, matched: readonly Rule[], view: FactView): PlanOutcome | undefined {
  return buildPlan(
    rules,
    facts,
    matched,
    (rule) => templateLookup(rule, view, facts, ''),
    (rule, targetText) => renderTemplate(remediationTemplate(rule, facts.cni.managed), templateLookup(rule, view, facts, targetTextFor(rule, facts, undefined, targetText))),
  );
}

/**
 * `{{fix.target}}` for one rule: the plan's target, unless the version the cluster ends on still
 * carries this rule's risk (an informational rule moves no target; the least bad build may still
 * carry it): then the release that fixes it, said as not offered yet.
 */
function targetTextFor(rule: Rule, facts: ClusterFacts, outcome: PlanOutcome | undefined, text = outcome?.targetText ?? facts.cni.version ?? 'a build EKS offers'): string {
  if (!rule.affected || !rule.fixed || facts.offeredVersions === undefined || facts.offeredVersions.length === 0) return text;
  const endsOn = parseCniVersion(outcome?.plan.target ?? (text.startsWith('v') ? text : null) ?? facts.cni.version);
  if (!endsOn || !inRange(endsOn, rule.affected)) return text;
  return `release ${rule.fixed} or later, not yet offered for Kubernetes ${facts.kubernetesVersion}`;
}

/**
 * The findings of one cluster and its plan. Pure: same rules and facts, same result. Each finding
 * points to the plan (`remediation.planId`) and carries the plan's commands that fix it.
 */
export function evaluateClusterWithPlan(rules: readonly Rule[], facts: ClusterFacts, skipped?: SkippedRule[]): { findings: Finding[]; plan?: ClusterPlan } {
  // Built once: matching, the plan and every finding's text read the same view.
  const view = buildFactView(facts);
  const matched = matchingRules(rules, facts, skipped, view);
  if (matched.length === 0) return { findings: [] };
  const outcome = planFor(rules, facts, matched, view);
  const findings = matched.map((rule) => {
    const lookup = templateLookup(rule, view, facts, targetTextFor(rule, facts, outcome));
    const why = rule.why ? renderTemplate(rule.why, lookup) : `${whyClauses(rule, view, facts).join('; ')}.`;
    const finding: Finding = {
      id: findingId(rule.id, facts),
      ruleId: rule.id,
      title: rule.title,
      severity: rule.severity,
      accountId: facts.accountId,
      accountName: facts.accountName,
      ...(facts.ou ? { ou: facts.ou } : {}),
      ...(facts.ouPath ? { ouPath: facts.ouPath } : {}),
      partition: outcome?.plan.partition ?? facts.partition,
      region: facts.region,
      clusterName: facts.clusterName,
      clusterArn: facts.clusterArn,
      kubernetesVersion: facts.kubernetesVersion,
      managed: facts.cni.managed,
      observedVersion: facts.cni.version,
      fixedIn: rule.fixed ?? (rule.remediation.preset === 'upgrade' ? (outcome?.plan.target ?? null) : null),
      targetVersion: null,
      why,
      remediation: {
        text: renderTemplate(remediationTemplate(rule, facts.cni.managed), lookup),
        commands: [],
        ...(rule.remediation.url ? { url: rule.remediation.url } : rule.references[0] ? { url: rule.references[0] } : {}),
      },
      references: rule.references,
    };
    return attachPlan(finding, outcome);
  });
  return { findings, ...(outcome ? { plan: outcome.plan } : {}) };
}

/** The findings of one cluster, each pointing to the cluster's plan; rules it could not judge go to `skipped`. */
export function evaluateCluster(rules: readonly Rule[], facts: ClusterFacts, skipped?: SkippedRule[]): Finding[] {
  return evaluateClusterWithPlan(rules, facts, skipped).findings;
}

export interface FleetEvaluation {
  findings: Finding[];
  /** One per cluster with findings. */
  plans: ClusterPlan[];
  errors: ScanError[];
  /** Rules not evaluated on a cluster (a fact unread, or the evaluation failed): their earlier findings are carried. */
  skipped: SkippedRule[];
}

function evaluationError(facts: ClusterFacts, error: unknown): ScanError {
  return {
    accountId: facts.accountId,
    region: facts.region,
    cluster: facts.clusterName,
    stage: 'evaluate',
    code: (error as Error).name || 'Error',
    message: (error as Error).message,
  };
}

/**
 * Evaluates every cluster; one cluster that cannot be evaluated becomes an error, not a failed
 * run, and every rule counts as not evaluated on it (its earlier findings are carried).
 */
export function evaluateFleet(rules: readonly Rule[], clusters: readonly ClusterFacts[]): FleetEvaluation {
  const result: FleetEvaluation = { findings: [], plans: [], errors: [], skipped: [] };
  for (const facts of clusters) {
    const skippedHere: SkippedRule[] = [];
    try {
      const { findings, plan } = evaluateClusterWithPlan(rules, facts, skippedHere);
      result.findings.push(...findings);
      if (plan) result.plans.push(plan);
      result.skipped.push(...skippedHere);
    } catch (error) {
      const failure = evaluationError(facts, error);
      result.errors.push(failure);
      const where = { accountId: facts.accountId, region: facts.region, cluster: facts.clusterName };
      result.skipped.push(...rules.map((rule) => ({ ...where, ruleId: rule.id, reason: `evaluation failed (${failure.code})` })));
    }
  }
  return result;
}

/**
 * The plans again for a subset of the findings (the ones left after suppressions): a suppressed
 * finding's fix leaves the plan (its configuration change, its move to the managed add-on), and
 * the remaining findings point to the new plans.
 */
export function planFleet(rules: readonly Rule[], clusters: readonly ClusterFacts[], findings: readonly Finding[]): FleetEvaluation {
  const byCluster = new Map<string, Finding[]>();
  for (const f of findings) byCluster.set(planId(f), [...(byCluster.get(planId(f)) ?? []), f]);
  const result: FleetEvaluation = { findings: [], plans: [], errors: [], skipped: [] };
  for (const facts of clusters) {
    const own = byCluster.get(planId(facts));
    if (!own) continue;
    byCluster.delete(planId(facts));
    try {
      const ids = new Set(own.map((f) => f.ruleId));
      const matched = rules.filter((r) => ids.has(r.id));
      const outcome = planFor(rules, facts, matched, buildFactView(facts));
      result.findings.push(...own.map((f) => attachPlan({ ...f, remediation: { ...f.remediation, commands: [] } }, outcome)));
      if (outcome) result.plans.push(outcome.plan);
    } catch (error) {
      result.errors.push(evaluationError(facts, error));
      result.findings.push(...own);
    }
  }
  // Findings of clusters without facts here (should not happen) pass through unchanged.
  for (const rest of byCluster.values()) result.findings.push(...rest);
  return result;
}
