import type { ClusterFacts, Finding, ScanError, SkippedRule } from '../types.js';
import { describeEvidence, explain, holds } from './conditions.js';
import { whyNotEvaluable } from './dependencies.js';
import { buildFactView, type FactView } from './facts.js';
import { buildRemediation, fixContext, type FixContext } from './remediation.js';
import { renderTemplate, type Rule } from './rule.js';
import { inRange, kubernetesInRange } from './version.js';

export function findingId(ruleId: string, facts: Pick<ClusterFacts, 'accountId' | 'region' | 'clusterName'>): string {
  return `${ruleId}/${facts.accountId}/${facts.region}/${facts.clusterName}`;
}

function templateLookup(rule: Rule, view: FactView, facts: ClusterFacts, fix: FixContext) {
  const extra: Record<string, unknown> = {
    'fix.target': fix.target,
    'fix.roleArn': fix.roleArn,
    'rule.fixed': rule.fixed,
    'rule.affected': rule.affected,
    'cluster.partition': facts.partition,
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
 * The findings of one cluster. Pure: same rules and facts, same findings. A rule that needs a fact
 * the scan could not read is not judged: it goes to `skipped` (when given) with the reason.
 */
export function evaluateCluster(rules: readonly Rule[], facts: ClusterFacts, skipped?: SkippedRule[]): Finding[] {
  if (facts.cni.source === 'absent') return []; // another CNI: there is no vpc-cni to judge
  const view = buildFactView(facts);
  // The risks a fix must clear: version rules that apply to this cluster's Kubernetes version and
  // configuration; an informational rule (whose trigger the auditor cannot read) moves no target.
  const versionRules = rules.filter(
    (r) =>
      r.affected &&
      r.severity !== 'informational' &&
      (!r.kubernetes || kubernetesInRange(facts.kubernetesVersion, r.kubernetes)) &&
      (!r.when || holds(r.when, view)),
  );
  const findings: Finding[] = [];
  for (const rule of rules) {
    // Outside the rule's Kubernetes range it cannot match, whatever else is unknown.
    const gap = rule.kubernetes && !kubernetesInRange(facts.kubernetesVersion, rule.kubernetes) ? undefined : whyNotEvaluable(rule, facts);
    if (gap !== undefined) {
      skipped?.push({ accountId: facts.accountId, region: facts.region, cluster: facts.clusterName, ruleId: rule.id, reason: gap });
      continue;
    }
    if (!matches(rule, view, facts)) continue;
    const fix = fixContext(rule, view, facts, versionRules);
    const lookup = templateLookup(rule, view, facts, fix);
    const why = rule.why ? renderTemplate(rule.why, lookup) : `${whyClauses(rule, view, facts).join('; ')}.`;
    const fixedIn = rule.fixed ?? (rule.remediation.preset === 'upgrade' ? fix.target : null);
    findings.push({
      id: findingId(rule.id, facts),
      ruleId: rule.id,
      title: rule.title,
      severity: rule.severity,
      accountId: facts.accountId,
      accountName: facts.accountName,
      ...(facts.ou ? { ou: facts.ou } : {}),
      ...(facts.ouPath ? { ouPath: facts.ouPath } : {}),
      partition: facts.partition,
      region: facts.region,
      clusterName: facts.clusterName,
      clusterArn: facts.clusterArn,
      kubernetesVersion: facts.kubernetesVersion,
      managed: facts.cni.managed,
      observedVersion: facts.cni.version,
      fixedIn,
      targetVersion: rule.remediation.preset === 'upgrade' || rule.remediation.preset === 'migrate-to-managed' ? fix.target : null,
      why,
      remediation: buildRemediation(rule, facts, lookup, fix),
      references: rule.references,
    });
  }
  return findings;
}

/**
 * Evaluates every cluster; one cluster that cannot be evaluated becomes an error, not a failed
 * run, and every rule counts as not evaluated on it (its earlier findings are carried).
 */
export function evaluateFleet(
  rules: readonly Rule[],
  clusters: readonly ClusterFacts[],
): { findings: Finding[]; errors: ScanError[]; skipped: SkippedRule[] } {
  const findings: Finding[] = [];
  const errors: ScanError[] = [];
  const skipped: SkippedRule[] = [];
  for (const facts of clusters) {
    const skippedHere: SkippedRule[] = [];
    try {
      findings.push(...evaluateCluster(rules, facts, skippedHere));
      skipped.push(...skippedHere);
    } catch (error) {
      const code = (error as Error).name || 'Error';
      errors.push({ accountId: facts.accountId, region: facts.region, cluster: facts.clusterName, stage: 'evaluate', code, message: (error as Error).message });
      const where = { accountId: facts.accountId, region: facts.region, cluster: facts.clusterName };
      skipped.push(...rules.map((rule) => ({ ...where, ruleId: rule.id, reason: `evaluation failed (${code})` })));
    }
  }
  return { findings, errors, skipped };
}
