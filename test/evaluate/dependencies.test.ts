import { describe, expect, it } from 'vitest';
import { whyNotEvaluable } from '../../lib/evaluate/dependencies.js';
import { evaluateCluster, evaluateFleet } from '../../lib/evaluate/evaluate.js';
import { loadRules } from '../../lib/rules/load.js';
import type { ClusterFacts, SkippedRule } from '../../lib/types.js';
import { clusterFacts } from '../fixtures/cluster.js';

const rules = await loadRules();
const rule = (id: string) => rules.find((r) => r.id === id)!;

/** A self-managed CNI whose aws-node DaemonSet answered 403: only what EKS itself says is known. */
function unreadSelfManaged(): ClusterFacts {
  return clusterFacts({
    cni: { managed: false, source: 'none', version: null, configurationValues: null, serviceAccountRoleArn: null, status: null },
    unread: [{ source: 'aws-node', reason: 'aws-node unreadable: 403 Forbidden' }],
  });
}

describe('dependencies.ts', () => {
  it('does not judge the rules that need aws-node on a self-managed CNI it could not read', () => {
    // Act
    const skipped: SkippedRule[] = [];
    const findings = evaluateCluster(rules, unreadSelfManaged(), skipped);

    // Assess: the version, configuration and IAM rules wait; what is known is judged
    const skippedIds = skipped.map((s) => s.ruleId);
    expect(skippedIds).toEqual(expect.arrayContaining(['vpc-cni-below-v1.8.0', 'vpc-cni-no-iam-role', 'vpc-cni-warm-ip-target-without-minimum']));
    expect(skipped.every((s) => s.reason === 'aws-node unreadable: 403 Forbidden')).toBe(true);
    expect(skippedIds).not.toContain('vpc-cni-self-managed');
    expect(skippedIds).not.toContain('vpc-cni-version-unknown');
    expect(findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['vpc-cni-self-managed', 'vpc-cni-version-unknown']));
  });

  it('judges every rule of a managed add-on whose catalog was read, and only the catalog rules wait when it was not', () => {
    // Prepare
    const facts = clusterFacts({ offeredVersions: ['v1.18.6-eksbuild.1'] });
    const noCatalog: ClusterFacts = { ...facts, unread: [{ source: 'catalog', reason: 'the vpc-cni versions EKS offers could not be read (AccessDeniedException)' }] };

    // Act + Assess
    expect(rules.map((r) => whyNotEvaluable(r, facts)).filter(Boolean)).toEqual([]);
    expect(whyNotEvaluable(rule('vpc-cni-behind-latest'), noCatalog)).toContain('AccessDeniedException');
    expect(whyNotEvaluable(rule('vpc-cni-below-v1.8.0'), noCatalog)).toBeUndefined();
  });

  it('counts every rule as not evaluated on a cluster whose evaluation failed, so none of its findings is resolved', () => {
    // Prepare: facts that break evaluation (a getter that throws stands for any bug in a rule)
    const broken = clusterFacts({ clusterName: 'broken' });
    Object.defineProperty(broken.cni, 'version', { get: () => { throw new TypeError('boom'); } });

    // Act
    const result = evaluateFleet(rules, [broken, clusterFacts({ clusterName: 'fine' })]);

    // Assess
    expect(result.errors).toEqual([expect.objectContaining({ cluster: 'broken', stage: 'evaluate', code: 'TypeError' })]);
    expect(new Set(result.skipped.filter((s) => s.cluster === 'broken').map((s) => s.ruleId))).toEqual(new Set(rules.map((r) => r.id)));
    expect(result.skipped.filter((s) => s.cluster === 'fine')).toEqual([]);
  });
});
