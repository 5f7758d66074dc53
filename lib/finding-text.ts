import type { Finding } from './types.js';

/**
 * The commands that change something, for messages and terminal reports: no kubeconfig, backup
 * or comment lines (the full list stays in the JSON report and in Security Hub).
 */
export function fixCommands(finding: Finding): string[] {
  return finding.remediation.commands.filter(
    (c) => !c.startsWith('#') && !c.startsWith('aws eks update-kubeconfig') && !c.startsWith('kubectl get daemonset aws-node'),
  );
}

/** `v1.7.1-eksbuild.1 → v1.8.0-eksbuild.1`, or the version alone when there is nothing to move to. */
export function versionMove(finding: Finding): string {
  const to = finding.targetVersion ?? finding.fixedIn;
  const from = finding.observedVersion ?? 'unknown version';
  return to === null ? from : `${from} → ${to}`;
}

/** `payments-prod (222222222222) us-east-1 payments-api` */
export function where(finding: Pick<Finding, 'accountName' | 'accountId' | 'region' | 'clusterName'>): string {
  return `${finding.accountName} (${finding.accountId}) ${finding.region} ${finding.clusterName}`;
}

/** ` (suppression expired on 2026-01-30)` for a finding back from an expired suppression, else ''. */
export function expiredMark(finding: Pick<Finding, 'suppressionExpired'>): string {
  return finding.suppressionExpired === undefined ? '' : ` (suppression expired on ${finding.suppressionExpired})`;
}
