import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateCluster, evaluateFleet } from '../../lib/evaluate/evaluate.js';
import type { Rule } from '../../lib/evaluate/rule.js';
import { loadRules } from '../../lib/rules/load.js';
import type { ClusterFacts } from '../../lib/types.js';
import { clusterFacts, OFFERED } from '../fixtures/cluster.js';

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules();
});

function ruleIds(facts: ClusterFacts): string[] {
  return evaluateCluster(rules, facts).map((f) => f.ruleId).sort();
}

function withVersion(version: string | null, k8s = '1.29'): ClusterFacts {
  return clusterFacts({ kubernetesVersion: k8s, cni: { version } });
}

describe('evaluate', () => {
  it('finds nothing on a healthy, current, managed cluster with its own role', () => {
    expect(ruleIds(clusterFacts({ offeredVersions: OFFERED }))).toEqual([]);
  });

  describe('vpc-cni-below-v1.7.2 and vpc-cni-below-v1.8.0', () => {
    it.each([
      ['v1.7.1-eksbuild.1', true, true],
      ['v1.7.1', true, true],
      ['v1.6.3-eksbuild.2', true, true],
      ['v1.7.2-eksbuild.1', false, true],
      ['v1.7.2', false, true],
      ['v1.7.5-eksbuild.1', false, true],
      ['v1.7.10', false, true],
      ['v1.8.0-rc1', false, true],
      ['v1.8.0-eksbuild.1', false, false],
      ['v1.8.0', false, false],
    ])('%s: below 1.7.2 %s, below 1.8.0 %s', (version, below172, below180) => {
      // Act
      const ids = ruleIds(withVersion(version, '1.21'));

      // Assess
      expect(ids.includes('vpc-cni-below-v1.7.2')).toBe(below172);
      expect(ids.includes('vpc-cni-below-v1.8.0')).toBe(below180);
    });
  });

  describe('vpc-cni-ipamd-reconcile-regression', () => {
    it.each([
      ['v1.11.3-eksbuild.1', false], // the seed's own mitigation target
      ['v1.11.4', true],
      ['v1.11.4-eksbuild.1', true],
      ['v1.11.5-eksbuild.3', true],
      ['v1.12.0-eksbuild.1', true],
      ['v1.12.2-eksbuild.1', true],
      ['v1.12.5-eksbuild.1', false], // first release with the fix
      ['v1.12.6-eksbuild.2', false],
    ])('%s affected: %s', (version, affected) => {
      expect(ruleIds(withVersion(version)).includes('vpc-cni-ipamd-reconcile-regression')).toBe(affected);
    });
  });

  describe('vpc-cni-v1.16-cni-spec-on-k8s-1.23', () => {
    it.each([
      ['v1.16.0-eksbuild.1', '1.23', true],
      ['v1.16.1-eksbuild.1', '1.22', true],
      ['v1.16.1', '1.24', false],
      ['v1.16.2-eksbuild.1', '1.23', false],
      ['v1.15.5-eksbuild.1', '1.23', false],
    ])('%s on Kubernetes %s: %s', (version, k8s, affected) => {
      expect(ruleIds(withVersion(version, k8s)).includes('vpc-cni-v1.16-cni-spec-on-k8s-1.23')).toBe(affected);
    });
  });

  it('flags an unparseable version as unknown and none of the version rules', () => {
    // Act
    const ids = ruleIds(withVersion('latest'));

    // Assess
    expect(ids).toEqual(['vpc-cni-version-unknown']);
  });

  it('reports a self-managed CNI that was not read as self-managed with an unknown version', () => {
    // Prepare
    const facts = clusterFacts({
      cni: { managed: false, source: 'none', version: null, status: null, serviceAccountRoleArn: null },
    });

    // Act
    const ids = ruleIds(facts);

    // Assess: no IAM-role finding, since the service account could not be read
    expect(ids).toEqual(['vpc-cni-self-managed', 'vpc-cni-version-unknown']);
  });

  it('applies the version rules to a self-managed CNI read from its image', () => {
    // Prepare
    const facts = clusterFacts({
      cni: {
        managed: false,
        source: 'daemonset',
        version: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.7.5',
        status: null,
      },
    });

    // Act
    const findings = evaluateCluster(rules, facts);

    // Assess
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['vpc-cni-below-v1.8.0', 'vpc-cni-self-managed']);
    const below180 = findings.find((f) => f.ruleId === 'vpc-cni-below-v1.8.0')!;
    expect(below180.remediation.commands.some((c) => c.startsWith('helm upgrade -i aws-vpc-cni'))).toBe(true);
  });

  describe('vpc-cni-no-iam-role', () => {
    it('flags a managed add-on with neither IRSA nor pod identity', () => {
      expect(ruleIds(clusterFacts({ cni: { serviceAccountRoleArn: null } }))).toEqual(['vpc-cni-no-iam-role']);
    });

    it('accepts a pod identity association instead of IRSA', () => {
      // Prepare
      const facts = clusterFacts({
        cni: {
          serviceAccountRoleArn: null,
          podIdentityAssociations: [{ serviceAccount: 'aws-node', namespace: 'kube-system', roleArn: 'arn:aws:iam::222222222222:role/cni' }],
        },
      });

      // Act & Assess
      expect(ruleIds(facts)).toEqual([]);
    });
  });

  describe('vpc-cni-behind-latest', () => {
    it('lists the one-minor-at-a-time path when more than one minor behind', () => {
      // Prepare
      const facts = clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1' }, offeredVersions: OFFERED });

      // Act
      const finding = evaluateCluster(rules, facts).find((f) => f.ruleId === 'vpc-cni-behind-latest');

      // Assess
      expect(finding?.fixedIn).toBe('v1.18.0-eksbuild.1');
      expect(finding?.why).toBe('vpc-cni v1.15.1-eksbuild.1 is older than v1.18.0-eksbuild.1, the newest EKS offers for Kubernetes 1.29.');
      expect(finding?.remediation.commands.filter((c) => c.startsWith('aws eks update-addon'))).toEqual([
        'aws eks update-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --addon-version v1.16.4-eksbuild.2 --resolve-conflicts PRESERVE',
        'aws eks update-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --addon-version v1.17.1-eksbuild.1 --resolve-conflicts PRESERVE',
        'aws eks update-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --addon-version v1.18.0-eksbuild.1 --resolve-conflicts PRESERVE',
      ]);
      expect(finding?.remediation.text).toContain('v1.16.4-eksbuild.2 → v1.17.1-eksbuild.1 → v1.18.0-eksbuild.1');
    });

    it('says nothing without a catalog, or when on the newest build of the newest release', () => {
      expect(ruleIds(clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1' } }))).toEqual([]);
      expect(ruleIds(clusterFacts({ cni: { version: 'v1.18.0-eksbuild.1' }, offeredVersions: OFFERED }))).toEqual([]);
    });

    it('gives a single step with the eksctl alternative when one minor behind', () => {
      // Prepare
      const facts = clusterFacts({ cni: { version: 'v1.17.0-eksbuild.1' }, offeredVersions: OFFERED });

      // Act
      const finding = evaluateCluster(rules, facts).find((f) => f.ruleId === 'vpc-cni-behind-latest');

      // Assess
      expect(finding?.remediation.commands).toContain(
        '# or: eksctl update addon --name vpc-cni --version v1.18.0-eksbuild.1 --cluster payments --region us-east-1 --force',
      );
    });
  });

  it('targets the newest offered version for a version risk, or the first fixed build without a catalog', () => {
    // Prepare
    const withCatalog = clusterFacts({ cni: { version: 'v1.12.0-eksbuild.1' }, offeredVersions: OFFERED });
    const withoutCatalog = clusterFacts({ cni: { version: 'v1.12.0-eksbuild.1' } });

    // Act
    const a = evaluateCluster(rules, withCatalog).find((f) => f.ruleId === 'vpc-cni-ipamd-reconcile-regression');
    const b = evaluateCluster(rules, withoutCatalog).find((f) => f.ruleId === 'vpc-cni-ipamd-reconcile-regression');

    // Assess
    expect(a).toMatchObject({ fixedIn: '1.12.5', targetVersion: 'v1.18.0-eksbuild.1' });
    expect(b).toMatchObject({ fixedIn: '1.12.5', targetVersion: 'v1.12.5-eksbuild.1' });
    expect(b?.remediation.commands).toContain(
      'aws eks update-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --addon-version v1.12.5-eksbuild.1 --resolve-conflicts PRESERVE',
    );
    expect(b?.why).toBe('vpc-cni v1.12.0-eksbuild.1 (release 1.12.0) is in the affected range >=1.11.4 <1.12.5, fixed in 1.12.5.');
  });

  describe('vpc-cni-unhealthy', () => {
    it.each([
      ['DEGRADED', [], true],
      ['UPDATE_FAILED', [], true],
      ['CREATE_FAILED', [], true],
      ['ACTIVE', [{ code: 'InsufficientNumberOfReplicas', message: 'x' }], true],
      ['ACTIVE', [], false],
      ['UPDATING', [], false],
    ])('status %s with issues %j: %s', (status, healthIssues, unhealthy) => {
      expect(ruleIds(clusterFacts({ cni: { status, healthIssues } })).includes('vpc-cni-unhealthy')).toBe(unhealthy);
    });

    it('names the health issue codes in the finding', () => {
      // Prepare
      const facts = clusterFacts({ cni: { status: 'DEGRADED', healthIssues: [{ code: 'ConfigurationConflict', message: 'conflict' }] } });

      // Act
      const [finding] = evaluateCluster(rules, facts);

      // Assess
      expect(finding?.why).toBe('The add-on status is DEGRADED; health issues: ConfigurationConflict.');
    });
  });

  describe('warm pool rules', () => {
    const config = (env: Record<string, string>) => clusterFacts({ cni: { configurationValues: JSON.stringify({ env }) } });

    it.each([
      [{ WARM_IP_TARGET: '5' }, ['vpc-cni-warm-ip-target-without-minimum']],
      [{ WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '20' }, []],
      [{ WARM_IP_TARGET: '0' }, []], // 0 means off
      [{ MINIMUM_IP_TARGET: '20' }, ['vpc-cni-minimum-ip-target-without-warm']],
      [{ MINIMUM_IP_TARGET: '20', WARM_IP_TARGET: '0' }, ['vpc-cni-minimum-ip-target-without-warm']],
      [{ WARM_PREFIX_TARGET: '1' }, ['vpc-cni-warm-prefix-without-prefix-delegation']],
      [{ WARM_PREFIX_TARGET: '1', ENABLE_PREFIX_DELEGATION: 'false' }, ['vpc-cni-warm-prefix-without-prefix-delegation']],
      [{ WARM_PREFIX_TARGET: '1', ENABLE_PREFIX_DELEGATION: 'true' }, []],
      [{ WARM_PREFIX_TARGET: '1', ENABLE_PREFIX_DELEGATION: 'True' }, []], // Go's ParseBool, as the CNI reads it
    ])('%j → %j', (env, expected) => {
      expect(ruleIds(config(env))).toEqual(expected);
    });

    it('fills the current value into the fix command', () => {
      // Act
      const [finding] = evaluateCluster(rules, config({ WARM_IP_TARGET: '7' }));

      // Assess
      expect(finding?.why).toBe('WARM_IP_TARGET is 7 and MINIMUM_IP_TARGET is not set.');
      expect(finding?.remediation.commands[1]).toContain(`'{"env":{"WARM_IP_TARGET":"7","MINIMUM_IP_TARGET":"<pods per node>"}}'`);
    });
  });

  describe('vpc-cni-probe-timeout-low', () => {
    it.each([
      [{ livenessProbeTimeoutSeconds: 5 }, true],
      [{ readinessProbeTimeoutSeconds: '9' }, true],
      [{ livenessProbeTimeoutSeconds: 10, readinessProbeTimeoutSeconds: 10 }, false],
      [{}, false],
    ])('%j: %s', (values, low) => {
      const facts = clusterFacts({ cni: { configurationValues: JSON.stringify(values) } });
      expect(ruleIds(facts).includes('vpc-cni-probe-timeout-low')).toBe(low);
    });
  });

  it('turns configuration values that are not JSON into a finding without echoing them', () => {
    // Prepare
    const facts = clusterFacts({ cni: { configurationValues: '{"env": {"SECRET_TOKEN": hunter2' } });

    // Act
    const findings = evaluateCluster(rules, facts);

    // Assess
    expect(findings.map((f) => f.ruleId)).toEqual(['vpc-cni-config-invalid-json']);
    expect(JSON.stringify(findings)).not.toContain('hunter2');
  });

  it('gives every finding a stable id and fills the cluster into the commands', () => {
    // Prepare
    const facts = clusterFacts({ clusterName: 'checkout', region: 'eu-west-1', cni: { version: 'v1.7.1-eksbuild.1' } });

    // Act
    const findings = evaluateCluster(rules, facts);

    // Assess
    expect(findings.map((f) => f.id)).toContain('vpc-cni-below-v1.7.2/222222222222/eu-west-1/checkout');
    for (const f of findings) {
      expect(f.remediation.commands.join('\n')).toContain('--region eu-west-1');
      expect(f.remediation.commands.join('\n')).not.toMatch(/undefined|\{\{/);
    }
  });

  it('turns a cluster that cannot be evaluated into an error record and keeps the others', () => {
    // Prepare
    const broken = { ...clusterFacts({ clusterName: 'broken' }), cni: undefined } as unknown as ClusterFacts;
    const fine = clusterFacts({ clusterName: 'fine', cni: { version: 'v1.7.1' } });

    // Act
    const result = evaluateFleet(rules, [broken, fine]);

    // Assess
    expect(result.errors).toEqual([expect.objectContaining({ cluster: 'broken', stage: 'evaluate' })]);
    expect(result.findings.some((f) => f.clusterName === 'fine')).toBe(true);
  });
});

describe('evaluate fix targets', () => {
  it('never points a fix at a release that another known risk still covers', () => {
    // Act: 1.7.1 is below 1.7.2 and below 1.8.0; moving to 1.7.2 would still be below 1.8.0
    const findings = evaluateCluster(rules, withVersion('v1.7.1-eksbuild.1', '1.21'));

    // Assess
    expect(findings.find((f) => f.ruleId === 'vpc-cni-below-v1.7.2')).toMatchObject({ fixedIn: '1.7.2', targetVersion: 'v1.8.0-eksbuild.1' });
    expect(findings.find((f) => f.ruleId === 'vpc-cni-below-v1.8.0')).toMatchObject({ fixedIn: '1.8.0', targetVersion: 'v1.8.0-eksbuild.1' });
  });
});
