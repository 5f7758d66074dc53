import { describe, expect, it } from 'vitest';
import { evaluateCluster } from '../../lib/evaluate/evaluate.js';
import { buildFactView, factType, isKnownFact } from '../../lib/evaluate/facts.js';
import { parseRule, RuleValidationError } from '../../lib/rules/load.js';
import { clusterFacts } from '../fixtures/cluster.js';

const BODY = ['Impact', 'Root cause', 'Trigger conditions', 'Remediation', 'Mitigation'].map((s) => `## ${s}\ntext\n`).join('\n');
const HOSTILE = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function tagRule(why: string, when = 'when:\n  fact: cluster.status\n  equals: ACTIVE') {
  return parseRule('/x/org-tag.md', `---\nid: org-tag\ntitle: t\nseverity: low\naddon: vpc-cni\n${when}\nwhy: "${why}"\nremediation:\n  text: x\n---\n${BODY}`);
}

describe('facts.ts', () => {
  it.each(HOSTILE)('reads a tag named %s from the cluster only, never from Object.prototype', (key) => {
    // Prepare
    const rule = tagRule(`tag: {{cluster.tags.${key}}}`);
    const bare = clusterFacts({ tags: {} });
    const tagged = clusterFacts({ tags: JSON.parse(`{"${key}": "team-a"}`) as Record<string, string> });

    // Act
    const [untaggedFinding] = evaluateCluster([rule], bare);
    const [taggedFinding] = evaluateCluster([rule], tagged);

    // Assess
    expect(untaggedFinding?.why).toBe('tag: unknown');
    expect(taggedFinding?.why).toBe('tag: team-a');
    expect(buildFactView(bare).get(`cluster.tags.${key}`)).toBeUndefined();
  });

  it.each(HOSTILE)('never matches a condition on a tag or a configuration key named %s that the cluster does not have', (key) => {
    // Prepare
    const present = tagRule('x', `when:\n  any:\n    - fact: cluster.tags.${key}\n      present: true\n    - fact: addon.config.env.${key}\n      present: true`);

    // Act & Assess
    expect(evaluateCluster([present], clusterFacts({ cni: { configurationValues: '{"env":{}}' } }))).toEqual([]);
  });

  it.each(HOSTILE)('refuses %s as a fact, a placeholder or an ipamd setting', (key) => {
    // Act & Assess
    expect(isKnownFact(key)).toBe(false);
    expect(isKnownFact(`ipamd.${key}`)).toBe(false);
    expect(() => tagRule(`{{${key}}}`)).toThrow(RuleValidationError);
    expect(() => tagRule('x', `when:\n  fact: ${key}\n  present: true`)).toThrow(/unknown fact/);
  });

  it('types the ipamd facts and shows them as findings say them', () => {
    // Prepare
    const view = buildFactView(clusterFacts({ cni: { configurationValues: 'env:\n  WARM_IP_TARGET: "7"\n  ENABLE_POD_ENI: "on"\n' } }));

    // Act & Assess
    expect(factType('ipamd.WARM_IP_TARGET')).toBe('int');
    expect(factType('ipamd.ENABLE_POD_ENI')).toBe('bool');
    expect(factType('addon.config.env.WARM_IP_TARGET')).toBeUndefined();
    expect(view.get('ipamd.WARM_IP_TARGET')).toBe(7);
    expect(view.get('ipamd.ENABLE_POD_ENI')).toBe(false);
    expect(view.show('ipamd.ENABLE_POD_ENI')).toBe('on (ignored: ipamd uses off)');
    expect(view.show('ipamd.ENABLE_PREFIX_DELEGATION')).toBe('not set (off)');
    expect(view.get('ipamd.ignored')).toEqual(['ENABLE_POD_ENI=on (not a Go boolean: ipamd uses off)']);
    expect(view.get('addon.config.env.WARM_IP_TARGET')).toBe('7');
  });

  it('gives the network policy agent of a self-managed CNI as facts', () => {
    // Prepare
    const view = buildFactView(
      clusterFacts({ cni: { managed: false, source: 'daemonset', networkPolicyAgent: { image: 'r/amazon/aws-network-policy-agent:v1.4.0', version: 'v1.4.0' } } }),
    );

    // Act & Assess
    expect(view.get('addon.nodeAgentVersion')).toBe('v1.4.0');
    expect(view.get('addon.nodeAgentImage')).toBe('r/amazon/aws-network-policy-agent:v1.4.0');
    expect(buildFactView(clusterFacts()).get('addon.nodeAgentVersion')).toBeUndefined();
  });
});
