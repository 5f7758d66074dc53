import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { archived, ASFF_LIMITS, toAsff } from '../../../lib/deliver/securityhub/asff.js';
import { SEVERITIES } from '../../../lib/types.js';
import { evaluateClusterWithPlan } from '../../../lib/evaluate/evaluate.js';
import { loadRules } from '../../../lib/rules/load.js';
import { K8S_129_SPRING_2024, K8S_133_2026 } from '../../fixtures/catalogs.js';
import { clusterFacts } from '../../fixtures/cluster.js';
import { aFinding } from '../fixtures.js';

const ctx = { now: '2026-01-31T02:00:00.000Z', firstObservedAt: '2026-01-01T02:00:00.000Z', productVersion: '0.1.0' };
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('asff.ts', () => {
  it('fills every field BatchImportFindings requires, for the cluster of the finding', () => {
    // Prepare
    const finding = aFinding();

    // Act
    const asff = toAsff(finding, ctx);

    // Assess
    expect(asff).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: 'vpc-cni-known-bug/111122223333/eu-west-1/payments-prod',
      ProductArn: 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default',
      GeneratorId: 'eks-fleet-auditor/vpc-cni-known-bug',
      AwsAccountId: '111122223333',
      CreatedAt: ctx.now,
      UpdatedAt: ctx.now,
      FirstObservedAt: ctx.firstObservedAt,
      LastObservedAt: ctx.now,
      Severity: { Label: 'HIGH', Original: 'high' },
      FindingProviderFields: { Severity: { Label: 'HIGH' }, Types: asff.Types },
      RecordState: 'ACTIVE',
      Resources: [
        {
          Type: 'AwsEksCluster',
          Id: finding.clusterArn,
          Partition: 'aws',
          Region: 'eu-west-1',
          Details: { AwsEksCluster: { Name: 'payments-prod', Arn: finding.clusterArn, Version: '1.30' } },
        },
      ],
    });
    expect(asff.Title).toBe(finding.title);
    expect(asff.Description).toContain(finding.why);
    expect(asff.Description).toContain(finding.remediation.text);
    expect(asff.Remediation?.Recommendation?.Text).toContain('aws eks update-addon --cluster-name payments-prod');
    expect(asff.Remediation?.Recommendation?.Url).toBe(finding.remediation.url);
    expect(asff.ProductFields).toMatchObject({
      ProviderName: 'eks-fleet-auditor',
      ProviderVersion: '0.1.0',
      'eks-fleet-auditor/RuleId': 'vpc-cni-known-bug',
      'eks-fleet-auditor/AddonVersion': 'v1.18.0-eksbuild.1',
      'eks-fleet-auditor/FixedIn': 'v1.18.3',
      'eks-fleet-auditor/Managed': 'true',
    });
    expect(asff.Workflow).toBeUndefined();
  });

  it('marks a finding back from an expired suppression in its ProductFields', () => {
    // Act
    const back = toAsff(aFinding({ suppressionExpired: '2026-01-30' }), ctx);
    const plain = toAsff(aFinding(), ctx);

    // Assess
    expect(back.ProductFields?.['eks-fleet-auditor/SuppressionExpired']).toBe('2026-01-30');
    expect(plain.ProductFields).not.toHaveProperty('eks-fleet-auditor/SuppressionExpired');
  });

  it('is deterministic: the same finding gives the same ASFF, with the finding id as Id', () => {
    // Prepare
    const finding = aFinding();

    // Act
    const first = toAsff(finding, ctx);
    const second = toAsff(structuredClone(finding), ctx);

    // Assess
    expect(second).toEqual(first);
    expect(first.Id).toBe(finding.id);
  });

  it('keeps CreatedAt and the cluster facts the caller passes', () => {
    // Prepare
    const finding = aFinding();

    // Act
    const asff = toAsff(finding, { ...ctx, createdAt: '2025-12-01T00:00:00.000Z', clusterStatus: 'ACTIVE', clusterTags: { team: 'payments' } });

    // Assess
    expect(asff.CreatedAt).toBe('2025-12-01T00:00:00.000Z');
    expect(asff.Resources?.[0]?.Details?.AwsEksCluster?.ClusterStatus).toBe('ACTIVE');
    expect(asff.Resources?.[0]?.Tags).toEqual({ team: 'payments' });
  });

  it('cuts long texts cleanly within the ASFF limits', () => {
    // Prepare
    const finding = aFinding({
      title: 'Very long title '.repeat(100),
      why: '😀'.repeat(3000),
      ruleId: `rule-${'x'.repeat(600)}`,
      remediation: { text: 'Upgrade now.', commands: Array.from({ length: 20 }, (_, i) => `aws eks update-addon --cluster-name c${i} --addon-name vpc-cni`) },
    });

    // Act
    const asff = toAsff(finding, ctx);

    // Assess
    expect(asff.Title?.length).toBeLessThanOrEqual(ASFF_LIMITS.title);
    expect(asff.Title?.endsWith('…')).toBe(true);
    expect(asff.Description?.length).toBeLessThanOrEqual(ASFF_LIMITS.description);
    expect(asff.Description).not.toMatch(LONE_SURROGATE);
    expect(asff.Remediation?.Recommendation?.Text?.length).toBeLessThanOrEqual(ASFF_LIMITS.recommendationText);
    // Commands are whole or left out, never cut: half a command pasted on a cluster is worse than none.
    const text = asff.Remediation!.Recommendation!.Text!;
    expect(text).toMatch(/… \d+ more command\(s\) in the run report\.$/);
    const shown = text.match(/aws eks update-addon --cluster-name c\d+[^;…]*/g) ?? [];
    expect(shown.length).toBeGreaterThan(0);
    for (const command of shown) expect(finding.remediation.commands).toContain(command.trim());
    expect(asff.Id?.length).toBeLessThanOrEqual(ASFF_LIMITS.id);
    expect(asff.GeneratorId?.length).toBeLessThanOrEqual(ASFF_LIMITS.generatorId);
    for (const [key, value] of Object.entries(asff.ProductFields ?? {})) {
      expect(key.length).toBeLessThanOrEqual(128);
      expect(value.length).toBeLessThanOrEqual(2048);
    }
  });

  it('shows the commands of a real plan in order, from its first, and never a take-over or delete without what follows it', async () => {
    // Prepare: a managed add-on whose path crosses minors EKS no longer offers (delete-addon, then create-addon with OVERWRITE),
    // and a Helm install moved to the managed add-on
    const rules = await loadRules();
    const plans = [
      evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.16.4-eksbuild.2', configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}' }, offeredVersions: K8S_133_2026 })),
      evaluateClusterWithPlan(
        rules,
        clusterFacts({
          kubernetesVersion: '1.29',
          offeredVersions: K8S_129_SPRING_2024,
          cni: { managed: false, source: 'daemonset', status: null, installMethod: 'helm', helmRelease: { name: 'aws-vpc-cni', namespace: 'kube-system', chartVersion: '1.16.4' }, version: 'v1.16.4', configurationValues: '{"env":{"WARM_ENI_TARGET":"1"}}' },
        }),
      ),
    ];

    for (const { findings, plan } of plans) {
      const first = plan!.steps[0]!.commands[0]!;
      for (const finding of findings.filter((f) => f.remediation.commands.length > 0)) {
        // Act
        const asff = toAsff(finding, ctx);

        // Assess: within the limit, the same first command as the plan, the same target, a prefix of the finding's commands
        const text = asff.Remediation!.Recommendation!.Text!;
        expect(text.length).toBeLessThanOrEqual(ASFF_LIMITS.recommendationText);
        expect(finding.remediation.commands[0]).toBe(first);
        if (finding.targetVersion !== null) {
          expect(finding.targetVersion).toBe(plan!.target);
          expect(asff.Description).toContain(`Target version: ${plan!.target}`);
        }
        const run = /Run: (.*?)(?: Full plan: |$)/.exec(text)?.[1];
        if (run === undefined) continue;
        const shown = run.split(' ; ');
        expect(shown[0]).toBe(first);
        expect(shown).toEqual(finding.remediation.commands.slice(0, shown.length));
        if (shown.length < finding.remediation.commands.length) expect(shown.join('\n')).not.toMatch(/delete-addon|OVERWRITE|delete secret/);
      }
    }
  });

  it('lets no control character of a cluster tag, a tag key or an observed version reach Security Hub', () => {
    // Prepare: a self-managed image tag is the observed version; tags are written by any cluster admin
    const finding = aFinding({ observedVersion: 'v1.18.0\u2028ALL CLEAR\u0085', clusterName: 'prod\u202eevil' });

    // Act
    const asff = toAsff(finding, { ...ctx, clusterTags: { 'team\u2029x': 'ops\u0007\u009b31m\r\nrm -rf /', env: 'prod\u2066' } });

    // Assess
    const strings = [...Object.entries(asff.Resources![0]!.Tags ?? {}).flat(), ...Object.entries(asff.ProductFields ?? {}).flat(), asff.Description!, asff.Title!];
    for (const s of strings) expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(asff.Resources![0]!.Tags).toEqual({ 'team\\nx': 'ops \\nrm -rf /', env: 'prod' });
    expect(asff.ProductFields!['eks-fleet-auditor/AddonVersion']).toBe('v1.18.0\\nALL CLEAR\\n');
  });

  it('keeps cut ids distinct when long ids differ only at the end', () => {
    // Prepare
    const a = aFinding({ ruleId: `r-${'x'.repeat(600)}`, clusterName: 'a' });
    const b = aFinding({ ruleId: `r-${'x'.repeat(600)}`, clusterName: 'b' });

    // Act
    const ids = [toAsff(a, ctx).Id, toAsff(b, ctx).Id];

    // Assess
    expect(ids[0]).not.toBe(ids[1]);
    expect(toAsff(a, ctx).Id).toBe(ids[0]);
  });

  it('maps every severity to its ASFF label', () => {
    // Act
    const labels = SEVERITIES.map((severity) => toAsff(aFinding({ severity }), ctx).Severity?.Label);

    // Assess
    expect(labels).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']);
  });

  it('types version rules as vulnerabilities (CVE only with a CVE reference) and other rules as best practices', () => {
    // Prepare
    const versionRule = aFinding();
    const cveRule = aFinding({ references: ['https://nvd.nist.gov/vuln/detail/CVE-2024-12345'] });
    const configRule = aFinding({ fixedIn: null, targetVersion: null, ruleId: 'vpc-cni-no-irsa' });

    // Act
    const types = [versionRule, cveRule, configRule].map((f) => toAsff(f, ctx).Types);

    // Assess
    expect(types).toEqual([
      ['Software and Configuration Checks/Vulnerabilities'],
      ['Software and Configuration Checks/Vulnerabilities/CVE'],
      ['Software and Configuration Checks/AWS Security Best Practices'],
    ]);
  });

  it('archives a finding read from Security Hub: ARCHIVED, UpdatedAt now, observation times kept, service fields dropped', () => {
    // Prepare
    const read: AwsSecurityFinding = {
      ...toAsff(aFinding(), ctx),
      CreatedAt: '2026-01-01T02:00:00.000Z',
      LastObservedAt: '2026-01-30T02:00:00.000Z',
      ProcessedAt: '2026-01-30T02:00:05.000Z',
      Region: 'eu-west-1',
      CompanyName: 'Personal',
      ProductName: 'Default',
      Workflow: { Status: 'NOTIFIED' },
      WorkflowState: 'NEW',
      Note: { Text: 'ticket SEC-1', UpdatedBy: 'alice', UpdatedAt: '2026-01-15T00:00:00.000Z' },
      Severity: { Label: 'HIGH', Original: 'high', Normalized: 70, Product: 70 },
      ProductFields: { ProviderName: 'eks-fleet-auditor', 'aws/securityhub/FindingId': 'arn:...', 'aws/securityhub/ProductName': 'Default' },
    };

    // Act
    const result = archived(read, '2026-02-01T02:00:00.000Z');

    // Assess
    expect(result).toMatchObject({
      Id: read.Id,
      RecordState: 'ARCHIVED',
      UpdatedAt: '2026-02-01T02:00:00.000Z',
      CreatedAt: '2026-01-01T02:00:00.000Z',
      FirstObservedAt: ctx.firstObservedAt,
      LastObservedAt: '2026-01-30T02:00:00.000Z',
      Severity: { Label: 'HIGH', Original: 'high' },
      ProductFields: { ProviderName: 'eks-fleet-auditor' },
    });
    for (const field of ['ProcessedAt', 'Region', 'CompanyName', 'ProductName', 'Workflow', 'WorkflowState', 'Note'] as const) {
      expect(result[field]).toBeUndefined();
    }
    expect(Object.keys(result.ProductFields ?? {})).toEqual(['ProviderName']);
    expect(result.Severity?.Normalized).toBeUndefined();
  });
});
