import type { Coverage, Finding, Recheck, RunReport } from '../../lib/types.js';

/** A realistic finding; override what the test is about. */
export function aFinding(overrides: Partial<Finding> = {}): Finding {
  const accountId = overrides.accountId ?? '111122223333';
  const region = overrides.region ?? 'eu-west-1';
  const clusterName = overrides.clusterName ?? 'payments-prod';
  const ruleId = overrides.ruleId ?? 'vpc-cni-known-bug';
  return {
    id: `${ruleId}/${accountId}/${region}/${clusterName}`,
    ruleId,
    title: 'vpc-cni version with a known IP leak bug',
    severity: 'high',
    accountId,
    accountName: 'Payments Production',
    ou: 'ou-abcd-11111111',
    partition: 'aws',
    region,
    clusterName,
    clusterArn: `arn:aws:eks:${region}:${accountId}:cluster/${clusterName}`,
    kubernetesVersion: '1.30',
    managed: true,
    observedVersion: 'v1.18.0-eksbuild.1',
    fixedIn: 'v1.18.3',
    targetVersion: 'v1.19.2-eksbuild.1',
    why: 'vpc-cni v1.18.0 leaks IP addresses on pod churn (fixed in v1.18.3).',
    remediation: {
      text: 'Update the vpc-cni add-on to v1.19.2-eksbuild.1.',
      commands: [`aws eks update-addon --cluster-name ${clusterName} --region ${region} --addon-name vpc-cni --addon-version v1.19.2-eksbuild.1`],
      url: 'https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html',
    },
    references: ['https://github.com/aws/amazon-vpc-cni-k8s/releases/tag/v1.18.3'],
    ...overrides,
  };
}

export function aCoverage(overrides: Partial<Coverage> = {}): Coverage {
  return {
    accounts: { listed: 3, excluded: 0, scanned: 3, failed: 0, notReached: 0 },
    regions: { scanned: 2, notEnabled: 0, failed: 0 },
    clusters: { scanned: 4, failed: 0, managedAddon: 4, selfManaged: 0 },
    notes: [],
    ...overrides,
  };
}

export function aReport(overrides: Partial<RunReport> = {}): RunReport {
  return {
    schemaVersion: 1,
    runId: 'run-2026-01-31T02-00-00Z',
    startedAt: '2026-01-31T02:00:00.000Z',
    finishedAt: '2026-01-31T02:05:00.000Z',
    tool: { name: 'eks-fleet-auditor', version: '0.1.0' },
    findings: [aFinding()],
    suppressed: [],
    coverage: aCoverage(),
    errors: [],
    completedScopes: [{ accountId: '111122223333', region: 'eu-west-1' }],
    accounts: [{ id: '111122223333', name: 'Payments Production', state: 'ACTIVE' }],
    clusters: [],
    ...overrides,
  };
}

/**
 * What a run re-read: account 111122223333 scanned, eu-west-1 listed with these clusters (each read
 * in full), the rule of aFinding evaluated. Override what the test is about.
 */
export function aRecheck(clusters: string[] = [], overrides: Partial<Recheck> = {}): Recheck {
  return {
    rules: ['vpc-cni-known-bug'],
    regions: ['eu-west-1'],
    narrowed: false,
    accounts: [{ accountId: '111122223333', status: 'scanned', notEnabled: [] }],
    scopes: [{ accountId: '111122223333', region: 'eu-west-1', clusters: clusters.map((name) => ({ name })) }],
    skipped: [],
    ...overrides,
  };
}
