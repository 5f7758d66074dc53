import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderText } from '../../lib/report/render.js';
import type { RunOutcome } from '../../lib/run.js';
import { aCoverage } from '../deliver/fixtures.js';

/** A run with no finding, one suppression left unused. */
function outcomeWithUnused(): RunOutcome {
  return {
    report: {
      schemaVersion: 1,
      runId: 'run-1',
      startedAt: '2026-01-31T02:00:00.000Z',
      finishedAt: '2026-01-31T02:05:00.000Z',
      tool: { name: 'eks-fleet-auditor', version: '0.1.0' },
      findings: [],
      suppressed: [],
      coverage: aCoverage(),
      errors: [],
      completedScopes: [],
      accounts: [],
      clusters: [],
      unusedSuppressions: [{ entry: 0, matchers: { cluster: 'decommissioned-*' }, reason: 'going away', expires: '2027-01-31' }],
    },
    delta: { new: [], resolved: [], open: [], unknown: [], suppressed: [], quiet: [], why: {}, departures: [], baseline: { kind: 'first-run' } },
    delivery: { securityHub: 'disabled', notification: 'disabled', history: 'disabled', failures: [] },
  };
}

describe('render.ts', () => {
  it('names the suppressions that matched nothing this run, in the terminal and in Markdown', () => {
    // Act
    const text = renderText(outcomeWithUnused());
    const markdown = renderMarkdown(outcomeWithUnused());

    // Assess
    expect(text).toContain('Unused suppressions (matched nothing this run): suppressions[0] (cluster decommissioned-*)');
    // Markdown escapes its markup in values (\[ \] \*): it renders as the text above.
    expect(markdown).toContain('**Unused suppressions** (matched nothing this run): suppressions\\[0\\] (cluster decommissioned-\\*)');
  });
});
