import { describe, expect, it } from 'vitest';
import { renderSlack, SLACK_LIMITS } from '../../../lib/deliver/notify/slack.js';
import { evaluateClusterWithPlan } from '../../../lib/evaluate/evaluate.js';
import { loadRules } from '../../../lib/rules/load.js';
import { K8S_129_SPRING_2024 } from '../../fixtures/catalogs.js';
import { clusterFacts } from '../../fixtures/cluster.js';
import { aFinding } from '../fixtures.js';
import { anInput, fleet, REPORT } from './input-fixture.js';

const critical = aFinding({ clusterName: 'ledger', severity: 'critical', ruleId: 'vpc-cni-ipamd-crash', title: 'ipamd crash loop' });
const stillHigh = aFinding({ clusterName: 'checkout', accountId: '222233334444', accountName: 'Shop' });
const newMedium = aFinding({ clusterName: 'search', severity: 'medium' });
const fixed = aFinding({ clusterName: 'old-batch' });

describe('slack.ts', () => {
  it('follows the custom notification schema of Amazon Q Developer in chat applications', () => {
    // Act
    const message = renderSlack(anInput([critical, newMedium], [critical, fixed]));

    // Assess
    expect(message).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: 'run-42',
      content: { textType: 'client-markdown', title: expect.any(String), description: expect.any(String), nextSteps: expect.any(Array), keywords: expect.any(Array) },
      metadata: { eventType: 'audit.summary', summary: expect.any(String) },
    });
    expect(Object.keys(message.content).sort()).toEqual(['description', 'keywords', 'nextSteps', 'textType', 'title']);
    expect(Object.values(message.metadata?.additionalContext ?? {}).every((v) => typeof v === 'string')).toBe(true);
  });

  it('names the affected clusters: what changed first (new, then resolved), then the worst open', () => {
    // Act
    const { content } = renderSlack(anInput([stillHigh, critical, newMedium], [stillHigh, critical, fixed]));

    // Assess
    const order = ['*New*', 'search', '*Resolved*', 'old-batch', '*Worst open*', 'ledger', 'checkout'];
    const positions = order.map((text) => content.description.indexOf(text));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(content.nextSteps?.[0]).toContain('aws eks update-addon --cluster-name search');
    expect(content.nextSteps).toContain(`Full report: ${REPORT}`);
  });

  it('keeps the resolved clusters when the worst open fill the message', () => {
    // Prepare: 2,000 clusters still open, 10 fixed since the last message
    const open = fleet(2000);
    const fixedNow = fleet(2010).slice(2000);

    // Act
    const { content } = renderSlack(anInput(open, [...open, ...fixedNow]));

    // Assess
    expect(content.description).toContain('*Resolved*');
    for (const f of fixedNow) expect(content.description).toContain(f.clusterName);
  });

  it('keeps the description under the limit, saying how many more and where the rest is', () => {
    // Prepare
    const findings = fleet(5000);

    // Act
    const { content } = renderSlack(anInput(findings, undefined));

    // Assess
    expect(content.description.length).toBeLessThanOrEqual(SLACK_LIMITS.description);
    const shown = content.description.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(content.description).toContain(`… and ${5000 - shown} more, see the full report at ${REPORT}`);
  });

  it('gives the first command of the cluster plan whole, within the next-step limit, or says where the commands are', async () => {
    // Prepare: a managed add-on three minors behind (its plan starts with the backup), and a cluster whose first command is too long to show
    const rules = await loadRules();
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1' }, offeredVersions: K8S_129_SPRING_2024 }));
    const long = aFinding({ remediation: { text: 'x', commands: [`aws eks update-addon --cluster-name payments-prod ${'--tag x '.repeat(60)}`], planId: 'p' } });

    // Act
    const shown = renderSlack(anInput([findings[0]!], undefined)).content.nextSteps?.[0];
    const cut = renderSlack(anInput([long], undefined)).content.nextSteps?.[0];

    // Assess
    expect(shown).toBe(`Fix \`payments\` (us-east-1), starting with: \`${plan!.steps[0]!.commands[0]!.replace(/>/g, '&gt;')}\``);
    expect(shown?.length).toBeLessThanOrEqual(SLACK_LIMITS.nextStep);
    expect(cut).toBe('Fix `payments-prod` (eu-west-1): the commands are in the full report');
  });

  it("escapes Slack's control characters in names", () => {
    // Prepare
    const odd = aFinding({ accountName: 'R&D <lab>' });

    // Act
    const { content } = renderSlack(anInput([odd], undefined));

    // Assess
    expect(content.description).toContain('R&amp;D &lt;lab&gt;');
  });

  it('links the fleet page in the description, and leaves out a link whose URL would break the markup', () => {
    // Prepare
    const link = { url: 'https://b.s3.amazonaws.com/run-42.html?X-Amz-Signature=abc', kind: 'presigned' as const, expiresAt: '2026-02-07T02:05:00.000Z', console: 'https://console.aws.amazon.com/s3/object/b' };

    // Act
    const linked = renderSlack(anInput([critical], undefined, { reportLink: link }));
    const broken = renderSlack(anInput([critical], undefined, { reportLink: { ...link, url: 'https://x/a|<b>' } }));

    // Assess
    expect(linked.content.description).toContain(`<${link.url}|Open the fleet report> (link valid until 2026-02-07 at the latest)`);
    expect(broken.content.description).not.toContain('Open the fleet report');
  });

});
