import { forMarkdown } from '../escape.js';
import type { ClusterFacts, RunReport } from '../types.js';

/**
 * The fleet inventory of a run: every cluster scanned, with or without findings — what a person
 * checks first ("is my cluster even in there, on which version?"). From the report's own
 * `clusters` (configuration values are already out of it).
 */
export interface InventoryRow {
  accountId: string;
  accountName: string;
  region: string;
  clusterName: string;
  kubernetesVersion: string;
  /** The vpc-cni version found, or `unknown`. */
  cniVersion: string;
  /** How vpc-cni is installed, in EKS terms. */
  install: 'managed add-on' | 'self-managed' | 'self-managed, not read' | 'not installed (another CNI)';
  findings: number;
}

const INSTALL: Record<ClusterFacts['cni']['source'], InventoryRow['install']> = {
  addon: 'managed add-on',
  daemonset: 'self-managed',
  none: 'self-managed, not read',
  absent: 'not installed (another CNI)',
};

/** One row per cluster, by account, region and cluster name (the report's own order). */
export function inventoryRows(report: Pick<RunReport, 'clusters' | 'findings'>): InventoryRow[] {
  const findings = new Map<string, number>();
  for (const f of report.findings) findings.set(f.clusterArn, (findings.get(f.clusterArn) ?? 0) + 1);
  return report.clusters.map((c) => ({
    accountId: c.accountId,
    accountName: c.accountName,
    region: c.region,
    clusterName: c.clusterName,
    kubernetesVersion: c.kubernetesVersion || 'unknown',
    cniVersion: c.cni.version ?? 'unknown',
    install: INSTALL[c.cni.source],
    findings: findings.get(c.clusterArn) ?? 0,
  }));
}

const findingCount = (n: number) => (n === 0 ? 'no finding' : `${n} finding${n === 1 ? '' : 's'}`);

/** The inventory section of the terminal report (empty when no cluster was scanned). */
export function inventoryText(report: Pick<RunReport, 'clusters' | 'findings'>): string[] {
  const rows = inventoryRows(report);
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((r) => r.clusterName.length));
  const lines = ['', `Fleet inventory (${rows.length} cluster${rows.length === 1 ? '' : 's'})`];
  let account = '';
  for (const r of rows) {
    if (r.accountId !== account) lines.push(`  ${r.accountName} (${r.accountId})`);
    account = r.accountId;
    lines.push(`    ${r.region.padEnd(14)} ${r.clusterName.padEnd(width)}  Kubernetes ${r.kubernetesVersion.padEnd(5)}  vpc-cni ${r.cniVersion} (${r.install}), ${findingCount(r.findings)}`);
  }
  return lines;
}

/** A Markdown table cell: the Markdown escaping of every output (pipes, markup, links, line breaks). */
const cell = forMarkdown;

/** The inventory section of the Markdown report (empty when no cluster was scanned). */
export function inventoryMarkdown(report: Pick<RunReport, 'clusters' | 'findings'>): string[] {
  const rows = inventoryRows(report);
  if (rows.length === 0) return [];
  return [
    '',
    '## Fleet inventory',
    '',
    '| Account | Region | Cluster | Kubernetes | vpc-cni | Installed as | Findings |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.accountName)} (${cell(r.accountId)}) | ${cell(r.region)} | ${cell(r.clusterName)} | ${cell(r.kubernetesVersion)} | ${cell(r.cniVersion)} | ${r.install} | ${r.findings} |`),
  ];
}
