import { parseCniVersion } from './evaluate/version.js';
import type { Finding } from './types.js';

/** Whether moving from one version to another goes down (both must parse). */
export function isDowngrade(from: string | null, to: string | null): boolean {
  const a = parseCniVersion(from);
  const b = parseCniVersion(to);
  return a !== null && b !== null && b.semver.compare(a.semver) < 0;
}

/**
 * The commands that change something, for messages and terminal reports: no kubeconfig, backup
 * or comment lines (reports written before plans carried them in each finding).
 */
export function fixCommands(finding: Finding): string[] {
  return finding.remediation.commands.filter(
    (c) => !c.startsWith('#') && !c.startsWith('aws eks update-kubeconfig') && !/^kubectl( --context \S+)? get daemonset aws-node/.test(c),
  );
}

/**
 * `v1.7.1-eksbuild.1 → v1.8.0-eksbuild.1`; `v1.12.0-eksbuild.1 → 1.12.5 or later` when only the
 * fixed release is known; the version alone when there is nothing to move to (never a no-op arrow).
 */
export function versionMove(finding: Finding): string {
  const from = finding.observedVersion ?? 'unknown version';
  const to = finding.targetVersion ?? finding.fixedIn;
  if (to === null || to === finding.observedVersion) return from;
  if (/^\d/.test(to)) return `${from} → ${to} or later`;
  return `${from} → ${to}${isDowngrade(finding.observedVersion, to) ? ' (downgrade)' : ''}`;
}

/** `payments-prod (222222222222) us-east-1 payments-api` */
export function where(finding: Pick<Finding, 'accountName' | 'accountId' | 'region' | 'clusterName'>): string {
  return `${finding.accountName} (${finding.accountId}) ${finding.region} ${finding.clusterName}`;
}

/** ` (suppression expired on 2026-01-30)` for a finding back from an expired suppression, else ''. */
export function expiredMark(finding: Pick<Finding, 'suppressionExpired'>): string {
  return finding.suppressionExpired === undefined ? '' : ` (suppression expired on ${finding.suppressionExpired})`;
}
