import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../lib/config.js';
import { loadRules } from '../lib/rules/load.js';

describe('README', () => {
  it('documents every configuration variable and every shipped rule', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const rules = await loadRules();

    // Assess
    for (const name of Object.keys(CONFIG_VARIABLES)) expect(readme, name).toContain(`\`${name}\``);
    for (const rule of rules) expect(readme, rule.id).toContain(`\`${rule.id}\``);
  });

  it('gives the two first commands', async () => {
    const readme = await readFile('README.md', 'utf8');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
  });
});
