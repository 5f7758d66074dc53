import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInRulesDir, loadRules, parseRule, RuleValidationError } from '../../lib/rules/load.js';

const BODY = ['Impact', 'Root cause', 'Trigger conditions', 'Remediation', 'Mitigation'].map((s) => `## ${s}\ntext\n`).join('\n');

function ruleDoc(frontMatter: string, body = BODY): string {
  return `---\n${frontMatter}\n---\n\n${body}`;
}

const VALID = `id: org-old-cni
title: Our own floor
severity: medium
addon: vpc-cni
affected: "<1.15.0"
fixed: "1.15.0"
remediation:
  preset: upgrade
  text: Upgrade to {{fix.target}}.`;

function problemsOf(file: string, text: string) {
  try {
    parseRule(file, text);
  } catch (error) {
    expect(error).toBeInstanceOf(RuleValidationError);
    return (error as RuleValidationError).problems;
  }
  throw new Error('expected the rule to be rejected');
}

describe('load', () => {
  it('loads every shipped rule, one file per id', async () => {
    // Act
    const rules = await loadRules();
    const files = (await readdir(builtInRulesDir())).filter((f) => f.endsWith('.md'));

    // Assess
    expect(rules.map((r) => `${r.id}.md`).sort()).toEqual(files.sort());
    expect(rules.length).toBeGreaterThanOrEqual(14);
  });

  it('accepts a valid rule', () => {
    expect(parseRule('/x/org-old-cni.md', ruleDoc(VALID))).toMatchObject({ id: 'org-old-cni', affected: '<1.15.0' });
  });

  it.each([
    ['an unknown key', VALID + '\ncolour: red', '(front matter)', /colour/],
    ['a bad severity', VALID.replace('severity: medium', 'severity: urgent'), 'severity', /critical/],
    ['a bad range', VALID.replace('"<1.15.0"', '"< one.fifteen"'), 'affected', /semver range/],
    ['a fixed version with a v', VALID.replace('fixed: "1.15.0"', 'fixed: "v1.15.0-eksbuild.1"'), 'fixed', /without v/],
    ['affected without fixed', VALID.replace('fixed: "1.15.0"\n', ''), 'fixed', /both affected and fixed/],
    ['a fixed version inside the affected range', VALID.replace('fixed: "1.15.0"', 'fixed: "1.14.0"'), 'fixed', /itself in the affected range/],
    ['another add-on', VALID.replace('addon: vpc-cni', 'addon: coredns'), 'addon', /vpc-cni/],
    ['an unknown placeholder', VALID.replace('{{fix.target}}', '{{fix.tagret}}'), 'remediation.text', /unknown placeholder \{\{fix.tagret\}\}/],
  ])('rejects %s, naming the field', (_, frontMatter, field, message) => {
    // Act
    const problems = problemsOf('/x/org-old-cni.md', ruleDoc(frontMatter));

    // Assess
    expect(problems).toContainEqual(expect.objectContaining({ file: '/x/org-old-cni.md', field, message: expect.stringMatching(message) }));
  });

  it('rejects a condition on an unknown fact or with two operators', () => {
    // Prepare
    const base = 'id: r\ntitle: t\nseverity: low\naddon: vpc-cni\nremediation:\n  text: x\n';

    // Act
    const unknownFact = problemsOf('/x/r.md', ruleDoc(base + 'when:\n  fact: addon.colour\n  equals: red'));
    const twoOps = problemsOf('/x/r.md', ruleDoc(base + 'when:\n  fact: addon.status\n  equals: A\n  present: true'));

    // Assess
    expect(JSON.stringify(unknownFact)).toMatch(/unknown fact/);
    expect(JSON.stringify(twoOps)).toMatch(/exactly one of/);
  });

  it('accepts a version-range rule written with the contract\'s front matter only, giving it the upgrade plan', () => {
    // Prepare: id, title, severity, addon, affected, fixed, kubernetes, references; no remediation
    const contract = 'id: org-old-cni\ntitle: Old CNI\nseverity: high\naddon: vpc-cni\naffected: "<1.15.0"\nfixed: "1.15.0"\nkubernetes: ">=1.25"\nreferences:\n  - https://example.com/platform';

    // Act
    const rule = parseRule('/x/org-old-cni.md', ruleDoc(contract));

    // Assess
    expect(rule.remediation).toEqual({ preset: 'upgrade', text: expect.stringContaining('{{fix.target}}') });
  });

  it('still asks a condition rule for its remediation', () => {
    // Act
    const problems = problemsOf('/x/r.md', ruleDoc('id: r\ntitle: t\nseverity: low\naddon: vpc-cni\nwhen:\n  fact: addon.managed\n  equals: false'));

    // Assess
    expect(problems).toContainEqual(expect.objectContaining({ field: 'remediation', message: expect.stringMatching(/condition rule needs remediation/) }));
  });

  it.each([
    ['a boolean setting compared with a string', 'fact: ipamd.ENABLE_POD_ENI\n  equals: "yes"', 'when.equals', /boolean: compare it with true or false/],
    ['a boolean setting compared by size', 'fact: ipamd.ENABLE_POD_ENI\n  gt: 0', 'when.gt', /boolean/],
    ['an integer setting compared with a string', 'fact: ipamd.WARM_IP_TARGET\n  equals: "5"', 'when.equals', /integer: compare it with whole numbers/],
    ['an integer setting matched as a range', 'fact: ipamd.WARM_IP_TARGET\n  semver: ">=1"', 'when.semver', /integer/],
    ['presence of a setting that always has a value', 'fact: ipamd.WARM_IP_TARGET\n  present: true', 'when.present', /addon\.config\.env\.WARM_IP_TARGET/],
    ['a setting ipamd does not have', 'fact: ipamd.WARM_POOL\n  equals: 1', 'when.fact', /unknown fact/],
  ])('rejects %s, naming the field', (_, when, field, message) => {
    // Act
    const problems = problemsOf('/x/r.md', ruleDoc(`id: r\ntitle: t\nseverity: low\naddon: vpc-cni\nremediation:\n  text: x\nwhen:\n  ${when}`));

    // Assess
    expect(problems).toContainEqual(expect.objectContaining({ field, message: expect.stringMatching(message) }));
  });

  it('rejects an id that is not the file name, a missing section and a file without front matter', () => {
    expect(problemsOf('/x/other.md', ruleDoc(VALID))).toContainEqual(expect.objectContaining({ field: 'id' }));
    expect(problemsOf('/x/org-old-cni.md', ruleDoc(VALID, BODY.replace('## Mitigation', '## Notes')))).toContainEqual(
      expect.objectContaining({ field: '## Mitigation' }),
    );
    expect(problemsOf('/x/org-old-cni.md', 'just text')[0]?.message).toMatch(/no front matter/);
  });

  it('adds the rules of an extra directory and rejects an id that clashes with a built-in one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    await writeFile(join(dir, 'org-old-cni.md'), ruleDoc(VALID));
    const clashing = await mkdtemp(join(tmpdir(), 'rules-'));
    await writeFile(join(clashing, 'vpc-cni-self-managed.md'), ruleDoc(VALID.replace('org-old-cni', 'vpc-cni-self-managed')));

    // Act
    const rules = await loadRules([dir]);
    const clash = loadRules([clashing]);

    // Assess
    expect(rules.map((r) => r.id)).toContain('org-old-cni');
    await expect(clash).rejects.toThrow(/"vpc-cni-self-managed" is already defined by .*rules\/vpc-cni-self-managed.md/);
  });

  it('names a rules directory that cannot be read', async () => {
    await expect(loadRules([join(tmpdir(), `missing-rules-${process.pid}`, 'rules')])).rejects.toThrow(/missing-rules-\d+\/rules: cannot read the rules directory/);
  });
});
