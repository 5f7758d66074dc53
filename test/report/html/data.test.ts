import { describe, expect, it } from 'vitest';
import type { StoredRunReport } from '../../../lib/deliver/history/delta.js';
import { shapeFleetPage, type ShapeOptions } from '../../../lib/report/html/data.js';
import { textOf } from '../../../lib/report/html/texts.js';
import { TrendBuilder } from '../../../lib/report/html/trend.js';
import type { ClusterFacts, ClusterPlan, Finding } from '../../../lib/types.js';
import { aCoverage, aFinding, aReport } from '../../deliver/fixtures.js';

function aCluster(name: string, overrides: { accountId?: string; region?: string; version?: string | null; managed?: boolean; k8s?: string; offered?: string[]; absent?: boolean } = {}): ClusterFacts {
  const accountId = overrides.accountId ?? '111122223333';
  const region = overrides.region ?? 'eu-west-1';
  return {
    accountId,
    accountName: `account-${accountId}`,
    partition: 'aws',
    region,
    clusterName: name,
    clusterArn: `arn:aws:eks:${region}:${accountId}:cluster/${name}`,
    kubernetesVersion: overrides.k8s ?? '1.30',
    clusterStatus: 'ACTIVE',
    tags: {},
    ...(overrides.offered ? { offeredVersions: overrides.offered } : {}),
    cni: {
      managed: overrides.managed ?? true,
      source: overrides.absent ? 'absent' : overrides.managed === false ? 'daemonset' : 'addon',
      version: overrides.version === undefined ? 'v1.18.0-eksbuild.1' : overrides.version,
      status: overrides.managed === false ? null : 'ACTIVE',
      healthIssues: [],
      configurationValues: null,
      serviceAccountRoleArn: null,
      podIdentityAssociations: [],
    },
  };
}

const on = (cluster: ClusterFacts, overrides: Partial<Finding> = {}) =>
  aFinding({ accountId: cluster.accountId, accountName: cluster.accountName, region: cluster.region, clusterName: cluster.clusterName, observedVersion: cluster.cni.version, ...overrides });

function shape(report: StoredRunReport, rules: ShapeOptions['rules'] = [{ id: 'vpc-cni-known-bug', title: 'known bug', severity: 'high' as const, affected: '>=1.18.0 <1.18.3', fixed: '1.18.3' }]) {
  const trend = new TrendBuilder();
  trend.add({ ...report, newIds: report.newIds ?? [] });
  return shapeFleetPage(report, { rules, trend: trend.result(30) });
}

describe('data.ts', () => {
  it("gives the headline the report's own counts", () => {
    // Prepare
    const a = aCluster('a');
    const b = aCluster('b', { region: 'us-east-1' });
    const findings = [on(a), on(b, { ruleId: 'vpc-cni-no-iam-role', severity: 'medium' }), on(b, { ruleId: 'vpc-cni-self-managed', severity: 'low' })];
    const report: StoredRunReport = {
      ...aReport({ findings, clusters: [a, b], coverage: aCoverage({ clusters: { scanned: 2, failed: 1, managedAddon: 2, selfManaged: 0 } }), errors: [{ accountId: '1', stage: 'assume-role', code: 'AccessDenied', message: 'no' }] }),
      newIds: [findings[0]!.id],
      resolved: [{ ...aFinding({ clusterName: 'gone' }), resolvedBecause: 'fixed' }],
      carriedOver: [{ ...aFinding({ clusterName: 'unread' }), carriedBecause: 'aws-node unreadable: 403 Forbidden' }],
    };

    // Act
    const data = shape(report);

    // Assess
    expect(data.headline).toMatchObject({ clusters: 2, clustersFailed: 1, new: 1, resolved: 1, notRechecked: 1, errors: 1 });
    expect(data.headline.open).toEqual({ critical: 0, high: 1, medium: 1, low: 1, informational: 0 });
  });

  it('counts clusters per version, oldest first, managed apart from self-managed, then one bar for an unknown version, and none for another CNI', () => {
    // Prepare
    const clusters = [
      aCluster('a', { version: 'v1.18.0-eksbuild.1' }),
      aCluster('b', { version: 'v1.9.3', managed: false }),
      aCluster('c', { version: 'v1.18.0-eksbuild.1' }),
      aCluster('d', { version: 'v1.10.1-eksbuild.1' }),
      aCluster('e', { version: null, managed: false }),
      aCluster('f', { version: null, absent: true }),
      aCluster('g', { version: null }),
    ];

    // Act
    const data = shape({ ...aReport({ findings: [], clusters }) });

    // Assess
    expect(data.versions).toEqual([
      { version: 'v1.9.3', managed: 0, selfManaged: 1 },
      { version: 'v1.10.1-eksbuild.1', managed: 1, selfManaged: 0 },
      { version: 'v1.18.0-eksbuild.1', managed: 2, selfManaged: 0 },
      { version: 'unknown', unknown: true, managed: 1, selfManaged: 1 },
    ]);
    expect(data.clusters.map((c) => c.install)).toEqual(['managed', 'self-managed', 'managed', 'managed', 'self-managed', 'other CNI', 'managed']);
  });

  it('marks a version for a rule only where a cluster on it has the finding: the Kubernetes range and conditions count', () => {
    // Prepare: the rule's range covers v1.16.0 and v1.16.1, its Kubernetes range only 1.23 and earlier
    const rules = [{ id: 'vpc-cni-v1.16-cni-spec', title: 'CNI spec 1.0.0 on old Kubernetes', severity: 'critical' as const, affected: '>=1.16.0 <1.16.2', fixed: '1.16.2' }];
    const old = aCluster('old', { version: 'v1.16.0-eksbuild.1', k8s: '1.23' });
    const current = aCluster('current', { version: 'v1.16.1-eksbuild.1', k8s: '1.29' });
    const unread = { ...aFinding({ clusterName: 'unread', ruleId: 'vpc-cni-v1.16-cni-spec', observedVersion: 'v1.16.1-eksbuild.1' }), carriedBecause: 'aws-node unreadable' };

    // Act
    const data = shape({ ...aReport({ findings: [on(old, { ruleId: 'vpc-cni-v1.16-cni-spec', severity: 'critical' })], clusters: [old, current] }), carriedOver: [unread] }, rules);

    // Assess
    const rule = data.rules.findIndex((r) => r.id === 'vpc-cni-v1.16-cni-spec');
    expect(data.risks).toEqual([{ rule, versions: ['v1.16.0-eksbuild.1'] }]);
  });

  it("draws no lane for a rule without a finding, and tells each Kubernetes version's newest offered, or that EKS offers none", () => {
    // Prepare
    const clusters = [
      aCluster('a', { version: 'v1.18.0-eksbuild.1', offered: ['v1.18.6-eksbuild.1', 'v1.18.0-eksbuild.1'] }),
      aCluster('b', { version: 'v1.18.2-eksbuild.1', offered: ['v1.18.5-eksbuild.1'], region: 'us-east-1' }),
      aCluster('c', { version: 'v1.18.6-eksbuild.1', k8s: '1.29', offered: ['v1.18.6-eksbuild.1'] }),
      aCluster('legacy', { version: 'v1.7.1-eksbuild.1', k8s: '1.21', offered: [] }),
      aCluster('unread', { version: 'v1.7.1-eksbuild.1', k8s: '1.20' }),
    ];

    // Act
    const data = shape({ ...aReport({ findings: [on(clusters[0]!, { ruleId: 'vpc-cni-no-iam-role' })], clusters }) });

    // Assess
    expect(data.risks).toEqual([]);
    expect(data.offered).toEqual([
      { kubernetes: '1.30', newest: 'v1.18.6-eksbuild.1', clusters: 2, onNewest: 0 },
      { kubernetes: '1.29', newest: 'v1.18.6-eksbuild.1', clusters: 1, onNewest: 1 },
      { kubernetes: '1.21', newest: null, clusters: 1, onNewest: 0 },
    ]);
  });

  it("keeps each finding's fix, the expiry of a suppression that lapsed, and each rule's links", () => {
    // Prepare
    const cluster = aCluster('payments');
    const lapsed = on(cluster, {
      suppressionExpired: '2026-01-31',
      remediation: { text: 'Upgrade vpc-cni on payments.', commands: [], url: 'https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html' },
      references: ['https://github.com/aws/amazon-vpc-cni-k8s/issues/3019', 'javascript:alert(1)'],
    });

    // Act
    const data = shape({ ...aReport({ findings: [lapsed], clusters: [cluster] }) });

    // Assess
    const row = data.clusters[0]!;
    expect(row.findings[0]!.suppressionExpired).toBe('2026-01-31');
    expect(textOf(row.findings[0]!.fix!, data, row)).toBe('Upgrade vpc-cni on payments.');
    expect(data.headline.suppressionsExpired).toBe(1);
    expect(data.rules[row.findings[0]!.rule]!.references).toEqual([
      'https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html',
      'https://github.com/aws/amazon-vpc-cni-k8s/issues/3019',
      'javascript:alert(1)',
    ]);
  });

  it('makes one heatmap row per account with findings, grouped by OU, each cell the clusters a rule affects there', () => {
    // Prepare
    const a1 = aCluster('a1', { accountId: '222222222222' });
    const a2 = aCluster('a2', { accountId: '222222222222', region: 'us-east-1' });
    const b1 = aCluster('b1', { accountId: '333333333333' });
    const quiet = aCluster('q', { accountId: '444444444444' });
    const findings = [on(a1), on(a2), on(a2, { ruleId: 'vpc-cni-no-iam-role', severity: 'medium' }), on(b1)];
    const accounts = [
      { id: '222222222222', name: 'payments', ou: 'ou-prod', ouPath: ['r-1', 'ou-prod'], state: 'ACTIVE' },
      { id: '333333333333', name: 'analytics', ou: 'ou-dev', ouPath: ['r-1', 'ou-dev'], state: 'ACTIVE' },
      { id: '444444444444', name: 'quiet', state: 'ACTIVE' },
    ];

    // Act
    const data = shape({ ...aReport({ findings, clusters: [a1, a2, b1, quiet], accounts }) });

    // Assess
    expect(data.heatmapAccounts.map((i) => data.accounts[i]!.name)).toEqual(['analytics', 'payments']);
    expect(data.accounts.map((a) => a.ou)).toEqual(['r-1 / ou-prod', 'r-1 / ou-dev', '(OU unknown)']);
    const cell = (account: string, rule: string) =>
      data.heatmap.find((c) => data.accounts[c.account]!.id === account && data.rules[c.rule]!.id === rule)?.clusters.map((i) => data.clusters[i]!.name);
    expect(cell('222222222222', 'vpc-cni-known-bug')).toEqual(['a1', 'a2']);
    expect(cell('222222222222', 'vpc-cni-no-iam-role')).toEqual(['a2']);
    expect(cell('333333333333', 'vpc-cni-known-bug')).toEqual(['b1']);
    expect(data.heatmap).toHaveLength(3);
  });

  it("keeps each cluster's commands exactly, though clusters on one version share their texts", () => {
    // Prepare
    const clusters = Array.from({ length: 40 }, (_, i) => aCluster(`payments-${i}`, { region: i % 2 ? 'eu-west-1' : 'us-east-1' }));
    const findings = clusters.map((c) =>
      on(c, {
        remediation: {
          text: 'Update the vpc-cni add-on.',
          commands: [`aws eks update-addon --cluster-name ${c.clusterName} --region ${c.region} --addon-name vpc-cni --addon-version v1.19.2-eksbuild.1`],
        },
      }),
    );

    // Act
    const data = shape({ ...aReport({ findings, clusters }) });

    // Assess
    for (const [i, row] of data.clusters.entries()) {
      const commands = row.plan!.steps.flatMap((s) => s.commands.map((ref) => textOf(ref, data, row)));
      expect(commands).toEqual(findings[i]!.remediation.commands);
    }
    expect(data.texts.length).toBeLessThan(6);
  });

  it('lists a cluster known only from a finding carried over, marked not re-checked', () => {
    // Prepare
    const carried = { ...aFinding({ clusterName: 'unread' }), carriedBecause: 'aws-node unreadable: 403 Forbidden' };

    // Act
    const data = shape({ ...aReport({ findings: [], clusters: [] }), carriedOver: [carried] });

    // Assess
    const row = data.clusters.find((c) => c.name === 'unread')!;
    expect(row.status).toBe('not re-checked');
    expect(textOf(row.findings[0]!.carried!, data, row)).toBe('aws-node unreadable: 403 Forbidden');
    expect(data.heatmap).toEqual([]);
  });

  it("renders the cluster's upgrade plan when the report has one: its notes, its numbered steps and alternatives, their commands", () => {
    // Prepare
    const cluster = aCluster('payments-api');
    const finding = on(cluster, { remediation: { text: 'Upgrade.', commands: ['aws eks update-addon --cluster-name payments-api'], planId: '111122223333/eu-west-1/payments-api' } });
    const plan: ClusterPlan = {
      id: '111122223333/eu-west-1/payments-api',
      accountId: cluster.accountId,
      accountName: cluster.accountName,
      partition: 'aws',
      region: cluster.region,
      clusterName: cluster.clusterName,
      kubernetesVersion: '1.30',
      installMethod: 'addon',
      currentVersion: 'v1.18.0-eksbuild.1',
      target: 'v1.19.2-eksbuild.1',
      targetReason: 'the newest version EKS offers for Kubernetes 1.30',
      path: [{ version: 'v1.19.2-eksbuild.1', selfManaged: false }],
      missingMinors: [],
      risksCarried: [],
      releaseFloor: null,
      kubernetesFirst: null,
      invalid: [],
      steps: [
        { title: 'Point kubectl at payments-api', commands: ['aws eks update-kubeconfig --name payments-api --region eu-west-1'], fixes: [] },
        { title: 'Update the add-on', commands: ['aws eks update-addon --cluster-name payments-api --region eu-west-1 --addon-version v1.19.2-eksbuild.1'], fixes: ['vpc-cni-known-bug'] },
        { title: 'Or with eksctl', commands: ['eksctl update addon --name vpc-cni --cluster payments-api'], fixes: ['vpc-cni-known-bug'], alternative: true },
      ],
      fixes: ['vpc-cni-known-bug'],
    };

    // Act
    const data = shape({ ...aReport({ findings: [finding], clusters: [cluster] }), plans: [plan] });

    // Assess
    const row = data.clusters[0]!;
    const text = (ref: number) => textOf(ref, data, row);
    expect(text(row.plan!.move)).toBe('v1.18.0-eksbuild.1 → v1.19.2-eksbuild.1');
    expect(row.plan!.notes.map(text)).toEqual(['the newest version EKS offers for Kubernetes 1.30.']);
    expect(row.plan!.steps.map((s) => [s.label, text(s.title), s.commands.map(text)])).toEqual(plan.steps.map((s, i) => [['1.', '2.', 'Or'][i], s.title, s.commands]));
  });
});
