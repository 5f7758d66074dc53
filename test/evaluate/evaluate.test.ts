import { beforeAll, describe, expect, it } from 'vitest';
import { awsNodeFromDaemonSet, selfManagedCniFacts } from '../../lib/collect/kubernetes/aws-node.js';
import { evaluateCluster, evaluateClusterWithPlan, evaluateFleet } from '../../lib/evaluate/evaluate.js';
import type { Rule } from '../../lib/evaluate/rule.js';
import { loadRules } from '../../lib/rules/load.js';
import type { ClusterFacts } from '../../lib/types.js';
import { clusterFacts, OFFERED } from '../fixtures/cluster.js';
import { UPSTREAM_AWS_NODE, upstreamAwsNodeDaemonSet } from '../fixtures/upstream-aws-node.js';

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
    const { findings, plan } = evaluateClusterWithPlan(rules, facts);

    // Assess: without the catalog, the release to reach and no version invented
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['vpc-cni-below-v1.8.0', 'vpc-cni-self-managed', 'vpc-cni-stale-imds-same-ip-count']);
    expect(plan?.releaseFloor).toBe('1.18.4');
    expect(JSON.stringify(plan)).not.toMatch(/--addon-version|helm upgrade|image\.tag/);
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
    it('moves one minor at a time, in one step of the plan that every finding points to', () => {
      // Prepare
      const facts = clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1' }, offeredVersions: OFFERED });

      // Act
      const { findings, plan } = evaluateClusterWithPlan(rules, facts);
      const finding = findings.find((f) => f.ruleId === 'vpc-cni-behind-latest');

      // Assess
      expect(finding?.fixedIn).toBe('v1.18.6-eksbuild.1');
      expect(finding?.why).toBe('vpc-cni v1.15.1-eksbuild.1 is older than v1.18.6-eksbuild.1, the newest EKS offers for Kubernetes 1.29.');
      expect(plan?.path.map((s) => s.version)).toEqual(['v1.16.4-eksbuild.2', 'v1.17.1-eksbuild.1', 'v1.18.6-eksbuild.1']);
      expect(finding?.remediation.planId).toBe(plan?.id);
      const [backup, ...updates] = finding!.remediation.commands;
      expect(backup).toMatch(/^aws eks describe-addon .* > vpc-cni-addon-payments\.json$/);
      expect(updates.map((c) => /--addon-version (\S+)/.exec(c)?.[1])).toEqual(['v1.16.4-eksbuild.2', 'v1.17.1-eksbuild.1', 'v1.18.6-eksbuild.1']);
      for (const command of updates) expect(command).toContain('--resolve-conflicts PRESERVE && aws eks wait addon-active');
    });

    it('says nothing without a catalog, or when on the newest build of the newest release', () => {
      expect(ruleIds(clusterFacts({ cni: { version: 'v1.18.5-eksbuild.1' } }))).toEqual([]);
      expect(ruleIds(clusterFacts({ cni: { version: 'v1.18.6-eksbuild.1' }, offeredVersions: OFFERED }))).toEqual([]);
    });

    it('never offers eksctl --force as the same as PRESERVE: it overwrites', () => {
      // Act
      const { plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { version: 'v1.17.1-eksbuild.1' }, offeredVersions: OFFERED }));

      // Assess
      const commands = plan!.steps.flatMap((s) => s.commands);
      expect(commands).toContain(
        'aws eks update-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --addon-version v1.18.6-eksbuild.1 --resolve-conflicts PRESERVE && aws eks wait addon-active --cluster-name payments --region us-east-1 --addon-name vpc-cni',
      );
      expect(commands.join('\n')).not.toMatch(/eksctl update addon|--force/);
    });
  });

  it('targets the newest offered version for a version risk; without a catalog, the release and the command that lists builds', () => {
    // Prepare
    const withCatalog = clusterFacts({ cni: { version: 'v1.12.0-eksbuild.1' }, offeredVersions: OFFERED });
    const withoutCatalog = clusterFacts({ cni: { version: 'v1.12.0-eksbuild.1' } });

    // Act
    const a = evaluateCluster(rules, withCatalog).find((f) => f.ruleId === 'vpc-cni-ipamd-reconcile-regression');
    const b = evaluateClusterWithPlan(rules, withoutCatalog);
    const regression = b.findings.find((f) => f.ruleId === 'vpc-cni-ipamd-reconcile-regression');

    // Assess: 1.12.5 would still be in the stale-IMDS range (<1.18.4): the first release clear of both
    expect(a).toMatchObject({ fixedIn: '1.12.5', targetVersion: 'v1.18.6-eksbuild.1' });
    expect(regression).toMatchObject({ fixedIn: '1.12.5', targetVersion: null });
    expect(regression?.remediation.text).toBe('Upgrade vpc-cni to release 1.18.4 or later (v1.12.5 is the first release with the fix).');
    expect(regression?.remediation.commands).toEqual([
      `aws eks describe-addon-versions --addon-name vpc-cni --kubernetes-version "$(aws eks describe-cluster --name payments --region us-east-1 --query cluster.version --output text)" --region us-east-1 --query 'addons[].addonVersions[].addonVersion' --output text`,
    ]);
    expect(JSON.stringify(b)).not.toContain('--addon-version');
    expect(regression?.why).toBe('vpc-cni v1.12.0-eksbuild.1 (release 1.12.0) is in the affected range >=1.11.4-rc1 <1.12.5, fixed in 1.12.5.');
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
      [{ WARM_PREFIX_TARGET: '1' }, []], // the upstream default value
      [{ WARM_PREFIX_TARGET: '1', ENABLE_PREFIX_DELEGATION: 'false' }, []], // the upstream default env, v1.9.x to v1.23.0
      [{ WARM_PREFIX_TARGET: '2' }, ['vpc-cni-warm-prefix-without-prefix-delegation']],
      [{ WARM_PREFIX_TARGET: '4', ENABLE_PREFIX_DELEGATION: 'false' }, ['vpc-cni-warm-prefix-without-prefix-delegation']],
      [{ WARM_PREFIX_TARGET: '4', ENABLE_PREFIX_DELEGATION: 'true' }, []],
      [{ WARM_PREFIX_TARGET: '4', ENABLE_PREFIX_DELEGATION: 'True' }, []], // Go's ParseBool, as the CNI reads it
      [{ WARM_PREFIX_TARGET: '4', ENABLE_PREFIX_DELEGATION: 't' }, []],
      [{ WARM_IP_TARGET: '0x20' }, ['vpc-cni-ipamd-ignores-env-value']], // Atoi refuses hex: no warm target
      [{ WARM_IP_TARGET: '-1', MINIMUM_IP_TARGET: '10' }, ['vpc-cni-ipamd-ignores-env-value', 'vpc-cni-minimum-ip-target-without-warm']],
    ])('%j → %j', (env, expected) => {
      expect(ruleIds(config(env))).toEqual(expected);
    });

    it('fills the current value into the fix command', () => {
      // Act
      const [finding] = evaluateCluster(rules, config({ WARM_IP_TARGET: '7' }));

      // Assess
      expect(finding?.why).toBe('WARM_IP_TARGET is 7 and MINIMUM_IP_TARGET is not set (0).');
      expect(finding?.remediation.commands).toEqual([
        'aws eks describe-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --output json > vpc-cni-addon-payments.json',
        `: "\${MINIMUM_IP_TARGET_HCHPUW:?set MINIMUM_IP_TARGET_HCHPUW to the number of pods a node usually runs}" && jq --version >/dev/null && aws eks update-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --resolve-conflicts PRESERVE --configuration-values "$(jq -acn --arg MINIMUM_IP_TARGET_HCHPUW "$MINIMUM_IP_TARGET_HCHPUW" '{"env":{"WARM_IP_TARGET":"7","MINIMUM_IP_TARGET":$MINIMUM_IP_TARGET_HCHPUW}}')" && aws eks wait addon-active --cluster-name payments --region us-east-1 --addon-name vpc-cni`,
      ]);
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

  it('turns configuration values that are neither JSON nor YAML into a finding without echoing them', () => {
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
    // Act: 1.7.1 is below 1.7.2 and below 1.8.0; 1.7.2 would still be below 1.8.0, and 1.8.0 is
    // in the stale-IMDS range (>=1.7.2-rc1 <1.18.4): the first release clear of all three is 1.18.4
    const { findings, plan } = evaluateClusterWithPlan(rules, withVersion('v1.7.1-eksbuild.1', '1.21'));

    // Assess: no catalog, so the release to reach and no version invented
    expect(plan?.releaseFloor).toBe('1.18.4');
    expect(findings.find((f) => f.ruleId === 'vpc-cni-below-v1.7.2')).toMatchObject({ fixedIn: '1.7.2', targetVersion: null });
    expect(findings.find((f) => f.ruleId === 'vpc-cni-below-v1.8.0')?.remediation.text).toContain('release 1.18.4 or later');
  });

  it('targets the newest offered version that clears the risk when EKS offers none clear of every risk', () => {
    // Prepare: Kubernetes 1.23, where the catalog stops at v1.16.4 (still below the stale-IMDS fix, 1.18.4)
    const facts = clusterFacts({ kubernetesVersion: '1.23', cni: { version: 'v1.16.0-eksbuild.1' }, offeredVersions: ['v1.16.4-eksbuild.2', 'v1.16.0-eksbuild.1'] });

    // Act
    const finding = evaluateCluster(rules, facts).find((f) => f.ruleId === 'vpc-cni-v1.16-cni-spec-on-k8s-1.23');

    // Assess
    expect(finding).toMatchObject({ fixedIn: '1.16.2', targetVersion: 'v1.16.4-eksbuild.2' });
  });

  it('moves no target for a risk whose condition does not hold, nor for an informational one', () => {
    // Prepare: v1.18.6 is clear of every risk that applies without network policy; the network
    // policy and kube-proxy nftables rules would push a fix past v1.19.3 and v1.23.0
    const plain = clusterFacts({ kubernetesVersion: '1.31', cni: { version: 'v1.12.0-eksbuild.1' } });
    const policy = clusterFacts({ kubernetesVersion: '1.31', cni: { version: 'v1.12.0-eksbuild.1', configurationValues: '{"enableNetworkPolicy":"true"}' } });

    // Act: no catalog, so the plan names the first release clear of every risk that counts
    const floor = (facts: ClusterFacts) => evaluateClusterWithPlan(rules, facts).plan?.releaseFloor;

    // Assess
    expect(floor(plain)).toBe('1.18.4');
    expect(floor(policy)).toBe('1.20.0'); // 1.19.3 carries the plugin panic on pod delete (<1.20.0)
  });
});

describe('evaluate on real inputs', () => {
  const roleArn = 'arn:aws:iam::222222222222:role/AmazonEKSVPCCNIRole';
  const selfManaged = (daemonSet: unknown) => clusterFacts({ cni: selfManagedCniFacts(awsNodeFromDaemonSet(daemonSet, 'payments'), roleArn, []) });
  const settingRules = () => new Set(rules.filter((r) => !r.affected && r.id !== 'vpc-cni-self-managed').map((r) => r.id));

  it.each(Object.keys(UPSTREAM_AWS_NODE))('raises no setting finding on the default env of the upstream %s manifest', (tag) => {
    // Act
    const ids = ruleIds(selfManaged(upstreamAwsNodeDaemonSet(tag)));

    // Assess: only the version risks of that release and the self-managed notice
    expect(ids.filter((id) => settingRules().has(id))).toEqual([]);
    expect(ids).toContain('vpc-cni-self-managed');
  });

  it('reads a YAML configuration as EKS stores it, and judges its settings', () => {
    // Prepare: what describe-addon returns for a cluster configured in YAML
    const facts = clusterFacts({ cni: { configurationValues: 'env:\n  WARM_IP_TARGET: "5"\n' } });

    // Act
    const findings = evaluateCluster(rules, facts);

    // Assess
    expect(findings.map((f) => f.ruleId)).toEqual(['vpc-cni-warm-ip-target-without-minimum']);
    expect(findings[0]?.why).toBe('WARM_IP_TARGET is 5 and MINIMUM_IP_TARGET is not set (0).');
  });

  it('reads YAML booleans and numbers, and says "not set (off)" for an unset boolean', () => {
    // Prepare
    const typed = clusterFacts({ cni: { configurationValues: 'env:\n  ENABLE_PREFIX_DELEGATION: true\n  WARM_PREFIX_TARGET: 4\n' } });
    const unset = clusterFacts({ cni: { configurationValues: '{"env":{"WARM_PREFIX_TARGET":"4"}}' } });

    // Act
    const findings = evaluateCluster(rules, unset);

    // Assess
    expect(ruleIds(typed)).toEqual([]);
    expect(findings.map((f) => f.why)).toEqual([
      'WARM_PREFIX_TARGET is 4 but ENABLE_PREFIX_DELEGATION is not set (off): ipamd ignores WARM_PREFIX_TARGET without prefix delegation.',
    ]);
  });

  it('reports a value ipamd ignores as its own finding, and judges the setting by ipamd\'s default', () => {
    // Prepare
    const facts = clusterFacts({ cni: { configurationValues: '{"env":{"WARM_IP_TARGET":"abc","ENABLE_PREFIX_DELEGATION":"yes","WARM_PREFIX_TARGET":"2"}}' } });

    // Act
    const findings = evaluateCluster(rules, facts);

    // Assess: no warm-IP finding (ipamd runs without a warm IP target); prefix delegation is off
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['vpc-cni-ipamd-ignores-env-value', 'vpc-cni-warm-prefix-without-prefix-delegation']);
    expect(findings.find((f) => f.ruleId === 'vpc-cni-ipamd-ignores-env-value')?.why).toBe(
      'ipamd ignores WARM_IP_TARGET=abc (not a decimal integer: ipamd uses 0), ENABLE_PREFIX_DELEGATION=yes (not a Go boolean: ipamd uses off).',
    );
    expect(findings.find((f) => f.ruleId === 'vpc-cni-warm-prefix-without-prefix-delegation')?.why).toContain(
      'ENABLE_PREFIX_DELEGATION is yes (ignored: ipamd uses off)',
    );
  });

  it('trusts an ECR Public image and names the upstream tag a mirror claims', () => {
    // Act
    const ecrPublic = ruleIds(selfManaged(upstreamAwsNodeDaemonSet('v1.18.6', { image: 'public.ecr.aws/eks/amazon-k8s-cni:v1.18.6' })));
    const mirror = evaluateCluster(
      rules,
      selfManaged(upstreamAwsNodeDaemonSet('v1.18.6', { image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ecr-public/eks/amazon-k8s-cni:v1.18.6' })),
    ).find((f) => f.ruleId === 'vpc-cni-unofficial-image');

    // Assess
    expect(ecrPublic).not.toContain('vpc-cni-unofficial-image');
    expect(mirror?.why).toContain('upstream tag v1.18.6 (official copy: public.ecr.aws/eks/amazon-k8s-cni:v1.18.6)');
  });

  it('flags a v1.23.0 aws-node whose network policy agent stayed below v1.4.1 (a partial upgrade)', () => {
    // Act
    const partial = evaluateCluster(rules, selfManaged(upstreamAwsNodeDaemonSet('v1.23.0', { agentTag: 'v1.4.0' })));
    const whole = ruleIds(selfManaged(upstreamAwsNodeDaemonSet('v1.23.0')));
    const older = ruleIds(selfManaged(upstreamAwsNodeDaemonSet('v1.18.6', { agentTag: 'v1.1.4' })));

    // Assess
    const finding = partial.find((f) => f.ruleId === 'vpc-cni-network-policy-agent-below-v1.4.1');
    expect(finding?.why).toBe(
      'aws-node runs vpc-cni v1.23.0 with network policy agent v1.4.0 (602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.4.0): from v1.23.0 ipamd serves the agent over a Unix socket that agents before v1.4.1 do not use.',
    );
    expect(finding?.remediation.commands.at(-1)).toBe(
      'kubectl --context payments set image daemonset aws-node -n kube-system aws-eks-nodeagent=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.4.1 && kubectl --context payments -n kube-system rollout status daemonset aws-node --timeout 15m',
    );
    expect(whole).not.toContain('vpc-cni-network-policy-agent-below-v1.4.1');
    expect(older).not.toContain('vpc-cni-network-policy-agent-below-v1.4.1');
  });

  it('reads network policy enforcement from the agent flag of a self-managed CNI', () => {
    // Prepare
    const daemonSet = upstreamAwsNodeDaemonSet('v1.18.6') as { spec: { template: { spec: { containers: { args?: string[] }[] } } } };
    daemonSet.spec.template.spec.containers[1]!.args = ['--enable-ipv6=false', '--enable-network-policy=true'];

    // Act
    const ids = ruleIds(selfManaged(daemonSet));

    // Assess
    expect(ids).toContain('vpc-cni-network-policy-standard-mode-return-traffic');
  });

  it('gives a version rule without remediation the upgrade plan', () => {
    // Act
    const finding = evaluateCluster(rules, withVersion('v1.13.2-eksbuild.1')).find((f) => f.ruleId === 'vpc-cni-v1.13.2-memory-growth');

    // Assess
    expect(finding?.remediation.text).toBe('Upgrade vpc-cni to release 1.18.4 or later (1.13.3 is the first release with the fix).');
    expect(finding?.remediation.commands.join('\n')).toContain('aws eks describe-addon-versions --addon-name vpc-cni');
  });
});
