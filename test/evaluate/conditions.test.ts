import { describe, expect, it } from 'vitest';
import { conditionSchema, holds } from '../../lib/evaluate/conditions.js';
import type { FactValue, FactView } from '../../lib/evaluate/facts.js';
import { parseRule, RuleValidationError } from '../../lib/rules/load.js';

const BODY = ['Impact', 'Root cause', 'Trigger conditions', 'Remediation', 'Mitigation'].map((s) => `## ${s}\ntext\n`).join('\n');

function factsWith(values: Record<string, FactValue>): FactView {
  return { get: (name) => values[name], show: (name) => values[name], version: null, offered: [] };
}

describe('conditions.ts', () => {
  it('matches a glob with many stars against a long value without backtracking', () => {
    // Prepare: the image is set by any cluster admin; 12 stars took picomatch minutes on this
    const condition = conditionSchema.parse({ fact: 'addon.status', matches: `${'*A'.repeat(12)}*_FAILED` });
    const hostile = 'A'.repeat(2000);

    // Act
    const results = [holds(condition, factsWith({ 'addon.status': hostile })), holds(condition, factsWith({ 'addon.status': `${hostile}_FAILED` }))];

    // Assess
    expect(results).toEqual([false, true]);
  });

  it('refuses a rule whose matches is not a valid glob, naming the file and the field', () => {
    // Prepare
    const text = `---\nid: r\ntitle: t\nseverity: low\naddon: vpc-cni\nwhen:\n  any:\n    - fact: addon.status\n      matches: "@(CREATE|UPDATE)_FAILED"\nremediation:\n  text: x\n---\n\n${BODY}`;

    // Act
    const parse = () => parseRule('/rules/r.md', text);

    // Assess
    expect(parse).toThrow(RuleValidationError);
    expect(parse).toThrow(/\/rules\/r\.md: when.*matches.*not a valid glob: "\(" at 2: extglobs and regex syntax are not supported/);
  });
});
