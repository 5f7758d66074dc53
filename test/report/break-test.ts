import type { StoredRunReport } from '../../lib/deliver/history/delta.js';

/** A name with no place to break a line: what a generated account or cluster name can be. */
export const LONG = {
  account: `acme-${'platform-shared-services-'.repeat(4)}sandbox-0042`.replace(/-/g, '_'),
  cluster: `eks_${'payments_reconciliation_batch_'.repeat(5)}blue`,
  rule: `vpc-cni-${'very-long-rule-identifier-'.repeat(3)}x`,
} as const;

/** References a rule file could carry: only the https one may become a link. */
export const REFERENCES = {
  safe: 'https://github.com/aws/amazon-vpc-cni-k8s/issues/3019',
  script: 'javascript:window.pwned=5',
  insecure: 'http://insecure.example/advisory',
} as const;

export const EXPIRED_ON = '2026-11-30';

/**
 * The demo's report as the fresh user's break test left it: one account and one cluster with
 * names that do not break, a rule with a long id, a finding whose suppression expired (its rule's
 * references a script and an http link), and a run history of ten runs, two of them in the same
 * minute (oldest first, this run left out).
 */
export function breakTestReport(demo: StoredRunReport): { report: StoredRunReport; history: StoredRunReport[] } {
  const report = structuredClone(demo);
  const account = report.accounts.find((a) => report.findings.some((f) => f.accountId === a.id))!;
  account.name = LONG.account;
  for (const item of [...report.clusters, ...report.findings, ...(report.carriedOver ?? []), ...(report.plans ?? [])]) if (item.accountId === account.id) item.accountName = LONG.account;
  const template = report.clusters.find((c) => c.accountId === account.id)!;
  report.clusters.push({ ...structuredClone(template), clusterName: LONG.cluster, clusterArn: `${template.clusterArn}-long` });
  const first = report.findings[0]!;
  first.suppressionExpired = EXPIRED_ON;
  first.references = [REFERENCES.safe, REFERENCES.script, REFERENCES.insecure];
  delete first.remediation.url;
  const long = { ...structuredClone(report.findings[1]!), ruleId: LONG.rule };
  long.id = `${LONG.rule}/${long.accountId}/${long.region}/${long.clusterName}`;
  report.findings.push(long);

  const started = Date.parse(report.startedAt);
  const history = Array.from({ length: 9 }, (_, i) => {
    // Runs by hand: eight an hour apart, the last at the start of this run's minute.
    const at = i === 8 ? started - (started % 60_000) : started - (9 - i) * 3_600_000;
    return { ...structuredClone(demo), runId: `${demo.runId}-earlier-${i}`, startedAt: new Date(at).toISOString(), finishedAt: new Date(at + 10_000).toISOString() };
  });
  return { report, history };
}
