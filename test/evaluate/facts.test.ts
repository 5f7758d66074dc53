import { describe, expect, it } from 'vitest';
import { evaluateCluster } from '../../lib/evaluate/evaluate.js';
import { buildFactView, FACT_NAMES, factType, factViewAt, isKnownFact } from '../../lib/evaluate/facts.js';
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

describe('factViewAt', () => {
  it('tells of a cluster at another version exactly what its facts would with that version, and follows facts set anew', () => {
    // Prepare: a self-managed cluster with settings, tags and a catalog
    const facts = clusterFacts({
      cni: { version: 'v1.12.0-eksbuild.1', configurationValues: '{"env":{"WARM_IP_TARGET":"5","ENABLE_PREFIX_DELEGATION":"yes"}}' },
      offeredVersions: ['v1.19.0-eksbuild.1', 'v1.12.6-eksbuild.2', 'v1.12.0-eksbuild.1'],
      tags: { team: 'payments' },
    });
    const names = [...Object.keys(FACT_NAMES), 'ipamd.WARM_IP_TARGET', 'addon.config.env.WARM_IP_TARGET', 'cluster.tags.team'];

    // Act
    const own = buildFactView(facts);
    const moved = factViewAt(facts, 'v1.19.0-eksbuild.1');
    const copied = buildFactView({ ...facts, cni: { ...facts.cni, version: 'v1.19.0-eksbuild.1' } });
    facts.cni = { ...facts.cni, configurationValues: '{"env":{"WARM_IP_TARGET":"9"}}' };
    const after = buildFactView(facts);

    // Assess
    for (const name of names) expect([name, moved.get(name)]).toEqual([name, copied.get(name)]);
    expect(moved.get('catalog.behindLatest')).toBe(false);
    expect(own.get('catalog.behindLatest')).toBe(true);
    expect(moved.version?.raw).toBe('v1.19.0-eksbuild.1');
    expect(own.get('ipamd.WARM_IP_TARGET')).toBe(5);
    expect(after.get('ipamd.WARM_IP_TARGET')).toBe(9);
  });
});
