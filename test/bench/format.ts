/** A measurement as the benchmark prints it for a person, and the header that explains the bound. */
import { lambdaHeapFlags, type Measurement, type Repeats, type Spread } from './measurement.js';
import type { ChildResult } from './protocol.js';

const n = (value: number) => value.toLocaleString('en-US');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export const BOUND_EXPLAINED = [
  'lower bound = max(critical path, throughput, rate limit), the fastest any auditor could finish here:',
  '  critical path = the longest chain of calls that each need the previous answer × latency:',
  '    ListAccounts pages → AssumeRole → ListRegions → ListClusters pages → DescribeCluster → SNS Publish → S3 PutObject',
  '    (the naive scan delivers nothing: its chain ends at DescribeCluster)',
  '    (DescribeAddon, GetFindings and DescribeAddonVersions need no answer from that chain: they run beside it)',
  '  throughput = needed calls × latency ÷ in-flight cap (the HTTP agent\'s maxSockets = min(1024, AUDIT_CONCURRENCY × AUDIT_ACCOUNT_CONCURRENCY + 16));',
  '    needed = answered calls, throttled answers left out, capped at the ideal count where the org fixes one',
  '  rate limit = max over accounts of (that account\'s needed EKS calls − burst) ÷ per-account rate',
  'ratio = measured wall time ÷ lower bound (target ≤ 1.3 at 1,000 accounts)',
];

export function formatMeasurement(m: Measurement): string {
  const sc = m.scenario;
  const o = m.org;
  const title =
    m.kind === 'naive'
      ? `${n(sc.accounts)} accounts · naive sequential scan (reads only: no Security Hub, SNS or history)`
      : `${n(sc.accounts)} accounts · handler · AUDIT_CONCURRENCY ${sc.concurrency} · AUDIT_RETRY_MODE ${sc.retryMode}` +
        Object.entries(sc.env ?? {}).map(([k, v]) => ` · ${k}=${v}`).join('') +
        (sc.sourceMaps ? '' : ' · no source maps');
  const lines = [`── ${title} ──`];
  lines.push(
    `org        ${n(o.accountsListed)} accounts (${n(o.accountsReachable)} reachable), ${n(o.accountRegions)} account-regions, ` +
      `${n(o.clusters)} clusters (${n(o.managed)} managed add-on, ${n(o.selfManaged)} self-managed), ${o.regionVersions} region × Kubernetes versions`,
  );
  const phases = m.phasesSeconds
    ? `  (scan ${m.phasesSeconds.scan.toFixed(2)} s, Security Hub ${m.phasesSeconds.securityHub.toFixed(2)} s, notification + history ${m.phasesSeconds.conclude.toFixed(2)} s)`
    : '';
  lines.push(`wall       ${m.wallSeconds.toFixed(2)} s${phases}`);
  lines.push(
    `cpu        run ${m.cpuSeconds.toFixed(1)} s${m.simCpuSeconds === undefined ? '' : `, simulator ${m.simCpuSeconds.toFixed(1)} s`}` +
      ` (load average ${m.loadAverage.toFixed(2)} at the start)`,
  );
  lines.push(
    `memory     peak RSS ${m.peakRssMB.toFixed(0)} MB (${m.rssBaselineMB.toFixed(0)} MB with the code loaded, before the run); ` +
      `peak heap in use ${m.peakHeapMB.toFixed(0)} MB${sc.heapLimitMB ? ` (heap limited to ${sc.heapLimitMB} MB)` : ''}` +
      `${sc.memorySizeMB ? `; the heap Lambda gives a ${sc.memorySizeMB} MB function (${lambdaHeapFlags(sc.memorySizeMB).join(' ')})` : "; Node's heap defaults for this machine"}`,
  );
  const b = m.bound;
  lines.push(
    `bound      ${s(b.ms)} = max(critical path ${s(b.criticalPath.ms)}, throughput ${s(b.throughput.ms)}, rate limit ${s(b.rateLimit.ms)})` +
      `  → ratio ${m.ratio.toFixed(2)}`,
  );
  lines.push(`           critical path ${b.criticalPath.chain.join(' → ')} = ${b.criticalPath.calls} calls × ${sc.latencyMs} ms`);
  lines.push(`           throughput ${n(b.throughput.calls)} needed calls × ${sc.latencyMs} ms ÷ ${b.throughput.inFlight} in flight`);
  if (b.rateLimit.scope) {
    lines.push(`           rate limit: account-region ${b.rateLimit.scope} needs ${b.rateLimit.eksCalls} EKS calls, burst ${sc.rateLimit?.burst}, ${sc.rateLimit?.perAccountPerSecond}/s`);
  }
  if (m.cpuFloor) {
    lines.push(
      `cpu floor  ${m.cpuFloor.seconds.toFixed(2)} s = ${n(b.throughput.calls)} needed calls × ${m.cpuFloor.cpuMsPerCall.toFixed(2)} ms CPU per SDK call ` +
        `(one warm client, this machine); not in the bound: wall ÷ max(bound, cpu floor) = ${(m.wallSeconds / Math.max(b.ms / 1000, m.cpuFloor.seconds)).toFixed(2)}`,
    );
  }
  if (m.sdkFloor) {
    lines.push(
      `sdk floor  ${m.sdkFloor.wallSeconds.toFixed(2)} s wall, ${m.sdkFloor.cpuSeconds.toFixed(2)} s CPU for the same ${n(m.sdkFloor.calls)} calls through the same clients, nothing else ` +
        `→ ratioToSdkFloor ${m.ratioToSdkFloor?.toFixed(2)}, cpuRatioToSdkFloor ${m.cpuRatioToSdkFloor?.toFixed(2)} (targets ≤ 1.10 and ≤ 1.15 at 1,000 accounts); ` +
        `its peak RSS ${m.sdkFloor.peakRssMB.toFixed(0)} MB (${m.sdkFloor.rssBaselineMB.toFixed(0)} MB loaded)`,
    );
  }
  lines.push(`audited    ${auditedLine(m)}`);
  lines.push(`calls      ${n(m.calls.total)} answered, ${n(m.calls.throttled)} throttled (429)`);
  lines.push(`  ${'operation'.padEnd(36)}${'calls'.padStart(9)}${'throttled'.padStart(11)}${'failed'.padStart(8)}${'ideal'.padStart(9)}`);
  for (const [op, c] of Object.entries(m.calls.byOperation)) {
    lines.push(`  ${op.padEnd(36)}${n(c.calls).padStart(9)}${n(c.throttled).padStart(11)}${n(c.failed).padStart(8)}${(c.ideal === undefined ? '' : n(c.ideal)).padStart(9)}`);
  }
  const t = m.targets;
  lines.push(
    `targets    AssumeRole per account ${t.assumeRolePerAccount.toFixed(2)} (target 1) · ListClusters per account-region ${t.listClustersPerAccountRegion.toFixed(2)} ` +
      `(ideal ${t.idealListClustersPerAccountRegion.toFixed(2)}) · EKS calls per cluster ${t.eksCallsPerCluster.toFixed(2)}, ` +
      `per managed cluster ${t.eksCallsPerManagedCluster.toFixed(2)} (≤ 2) · ` +
      `DescribeAddonVersions ${t.describeAddonVersions} for ${t.regionVersions} region × version (≤ 1 each)`,
  );
  return lines.join('\n');
}

function auditedLine(m: Measurement): string {
  const errors = (counts: Record<string, number>) =>
    Object.entries(counts).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
  if (m.kind === 'naive' && m.run && 'clusters' in m.run && typeof m.run.clusters === 'number') {
    return `${n(m.run.clusters)} of ${n(m.org.clusters)} reachable clusters; errors: ${errors(m.run.errors)}`;
  }
  const run = m.run as ChildResult['handler'];
  if (!run) return 'no result';
  const d = run.delivery;
  const hub = typeof d.securityHub === 'string' ? d.securityHub : `${n(d.securityHub.imported)} imported, ${d.securityHub.failed} failed in ${n(d.securityHub.scopes)} scopes`;
  const sns = typeof d.notification === 'string' ? d.notification : d.notification.sent ? 'sent' : `not sent (${d.notification.reason})`;
  const history = typeof d.history === 'string' ? d.history : 'stored';
  return (
    `${n(run.clusters.scanned)} of ${n(m.org.clusters)} reachable clusters (${n(run.clusters.failed)} failed); accounts ${n(run.accounts.scanned)} scanned, ` +
    `${run.accounts.failed} failed, ${run.accounts.notReached} not reached; ${n(run.findings)} findings; errors: ${errors(run.errors)}\n` +
    `           report.json ${(run.reportBytes / 1024 / 1024).toFixed(1)} MB\n` +
    `           Security Hub ${hub}; notification ${sns}; history ${history}`
  );
}

/** The medians of a repeated scenario (--repeat), with every run's value. */
export function formatRepeats(r: Repeats): string {
  const line = (name: string, s: Spread | undefined, unit = '') =>
    s === undefined ? [] : [`  ${name.padEnd(20)} median ${s.median}${unit}  (${s.all.join(', ')})`];
  return [
    `${r.runs} runs of ${r.scenario.accounts} accounts, each with its floor right after it:`,
    ...line('wall', r.wallSeconds, ' s'),
    ...line('cpu', r.cpuSeconds, ' s'),
    ...line('peak RSS', r.peakRssMB, ' MB'),
    ...line('ratioToSdkFloor', r.ratioToSdkFloor),
    ...line('cpuRatioToSdkFloor', r.cpuRatioToSdkFloor),
  ].join('\n');
}
