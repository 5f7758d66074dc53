import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import type { RuleListing } from '../../lib/cli/rules.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), isTty: false });
  return { code, out, err };
}

const BODY = ['Impact', 'Root cause', 'Trigger conditions', 'Remediation', 'Mitigation'].map((s) => `## ${s}\ntext\n`).join('\n');
const CONTRACT = 'id: org-floor\ntitle: Our floor\nseverity: high\naddon: vpc-cni\naffected: "<1.15.0"\nfixed: "1.15.0"\nreferences:\n  - https://example.com/standard';

async function ruleDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rules-cli-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('rules', () => {
  it('lists every shipped rule with severity, range, fixed release, source file and evidence', async () => {
    // Act
    const { code, out } = await run('rules', 'list', '--format', 'json');
    const listed = JSON.parse(out) as RuleListing[];

    // Assess
    expect(code).toBe(0);
    expect(listed.map((r) => `${r.id}.md`).sort()).toEqual((await readdir('rules')).filter((f) => f.endsWith('.md')).sort());
    expect(listed.find((r) => r.id === 'vpc-cni-stale-imds-same-ip-count')).toEqual({
      id: 'vpc-cni-stale-imds-same-ip-count',
      title: expect.any(String),
      severity: 'high',
      affected: '>=1.7.2-rc1 <1.18.4',
      fixed: '1.18.4',
      kubernetes: null,
      conditional: false,
      source: 'rules/vpc-cni-stale-imds-same-ip-count.md',
      evidence: expect.arrayContaining(['https://github.com/aws/amazon-vpc-cni-k8s/issues/3019', 'https://github.com/aws/amazon-vpc-cni-k8s/pull/3033']),
    });
    // every upstream defect carries its evidence
    for (const rule of listed.filter((r) => r.affected)) expect(rule.evidence.length, rule.id).toBeGreaterThan(0);
  });

  it('lists worst first as text, with the rules of an extra directory', async () => {
    // Prepare
    const dir = await ruleDir({ 'org-floor.md': `---\n${CONTRACT}\n---\n${BODY}` });

    // Act
    const { code, out } = await run('rules', 'list', '--rules', dir);

    // Assess
    expect(code).toBe(0);
    expect(out.split('\n')[2]).toMatch(/^CRITICAL +vpc-cni-v1\.16-cni-spec-on-k8s-1\.23$/);
    expect(out).toContain(`  affected <1.15.0, fixed 1.15.0\n  source: ${join(dir, 'org-floor.md')}\n  evidence: https://example.com/standard`);
  });

  it('validates a directory of rules written with the contract\'s front matter: exit 0', async () => {
    // Prepare
    const dir = await ruleDir({ 'org-floor.md': `---\n${CONTRACT}\n---\n${BODY}`, 'README.md': '# not a rule' });

    // Act
    const { code, out } = await run('rules', 'validate', dir);

    // Assess
    expect(code).toBe(0);
    expect(out).toBe(`1 rule(s) valid in ${dir}\n`);
  });

  it('validates the shipped rules directory itself without calling its ids duplicates', async () => {
    const { code, out } = await run('rules', 'validate', 'rules');
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+ rule\(s\) valid in rules\n$/);
  });

  it('exits 2 naming the file and the field of every problem, and an id that clashes with a shipped rule', async () => {
    // Prepare
    const dir = await ruleDir({
      'org-floor.md': `---\n${CONTRACT.replace('severity: high', 'severity: urgent')}\n---\n${BODY}`,
      'vpc-cni-self-managed.md': `---\n${CONTRACT.replace('org-floor', 'vpc-cni-self-managed')}\n---\n${BODY}`,
    });

    // Act
    const { code, out, err } = await run('rules', 'validate', dir);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`${join(dir, 'org-floor.md')}: severity:`);
    expect(err).toContain(`${join(dir, 'vpc-cni-self-managed.md')}: id: "vpc-cni-self-managed" is already defined by`);
  });

  it('exits 2 for a directory that cannot be read', async () => {
    const missing = join(tmpdir(), `missing-rules-${process.pid}`, 'rules');
    const { code, err } = await run('rules', 'validate', missing);
    expect(code).toBe(2);
    expect(err).toContain(`${missing}: cannot read the rules directory`);
  });

  it('exits 2 for a directory with no rule file in it, rather than calling it valid', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'no-rules-'));
    await writeFile(join(dir, 'notes.txt'), 'not a rule');

    // Act
    const { code, err } = await run('rules', 'validate', dir);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain(`no rule file (*.md) in ${dir}`);
  });
});
