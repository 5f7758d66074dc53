import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../lib/config.js';
import { loadRules, parseRule } from '../lib/rules/load.js';

/** Every fenced markdown block of the README that is a rule document (starts with front matter). */
function ruleExamples(readme: string): string[] {
  return [...readme.matchAll(/^```markdown\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).filter((block) => block.startsWith('---\n'));
}

describe('README', () => {
  it('documents every configuration variable and every shipped rule', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const rules = await loadRules();

    // Assess
    for (const name of Object.keys(CONFIG_VARIABLES)) expect(readme, name).toContain(`\`${name}\``);
    for (const rule of rules) expect(readme, rule.id).toContain(`\`${rule.id}\``);
  });

  it('gives rule examples that validate exactly as written', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const examples = ruleExamples(readme);

    // Act
    const parsed = examples.map((text) => parseRule(`README.md/${/^id:\s*(\S+)/m.exec(text)?.[1] ?? 'missing-id'}.md`, text));

    // Assess: both kinds are shown, a version-range rule without remediation and a condition rule
    expect(parsed.map((r) => r.id)).toEqual(['org-minimum-v1-15', 'org-warm-ip-without-minimum']);
    expect(parsed[0]?.remediation.preset).toBe('upgrade');
    expect(parsed[1]?.when).toBeDefined();
  });

  it('gives the two first commands', async () => {
    const readme = await readFile('README.md', 'utf8');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
  });
});
