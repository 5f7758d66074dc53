import type { StoredRunReport } from '../../deliver/history/delta.js';
import type { Rule } from '../../evaluate/rule.js';
import { compareCniVersionsDesc } from '../../evaluate/version.js';
import { versionMove } from '../../finding-text.js';
import { compareFindings, severityRank } from '../../severity.js';
import { planMove, planView } from '../../plan-text.js';
import { SEVERITIES, type Account, type ClusterFacts, type ClusterPlan, type Finding } from '../../types.js';
import type { FleetPageData, HeatCell, InstallKind, OfferedNewest, PageCluster, PageFinding, PagePlan, PageRule, Trend, VersionBar, VersionRisk } from './model.js';
import { PAGE_DATA_VERSION, UNKNOWN_VERSION } from './model.js';
import { TextTable } from './texts.js';
import { countsBySeverity } from './trend.js';

export interface ShapeOptions {
  /** The rules the run evaluated: their affected ranges are drawn over the version chart. */
  rules?: readonly (Pick<Rule, 'id' | 'title' | 'severity' | 'affected' | 'fixed'> & { references?: readonly string[]; remediation?: { url?: string } })[];
  trend: Trend;
}

const clusterKey = (c: { accountId: string; region: string; clusterName: string }) => `${c.accountId}/${c.region}/${c.clusterName}`;

function installOf(cluster: ClusterFacts): InstallKind {
  if (cluster.cni.source === 'absent') return 'other CNI';
  return cluster.cni.managed ? 'managed' : 'self-managed';
}

function ouLabel(account: Pick<Account, 'ou' | 'ouPath'> | undefined): string {
  if (account?.ouPath?.length) return account.ouPath.join(' / ');
  return account?.ou ?? '(OU unknown)';
}

/** The cluster's upgrade plan (lib/evaluate/plan), as every output renders it (lib/plan-text.ts). */
function pageOfPlan(plan: ClusterPlan, texts: TextTable, cluster: { name: string; region: string }): PagePlan {
  const view = planView(plan);
  return {
    move: texts.ref(planMove(plan), cluster),
    notes: view.notes.map((n) => texts.ref(n, cluster)),
    steps: view.steps.map((s) => ({ label: s.label, title: texts.ref(s.title, cluster), commands: s.commands.map((c) => texts.ref(c, cluster)) })),
  };
}

/**
 * A report written before plans existed: its findings' commands, once per distinct list
 * (findings fixed by the same upgrade share one step), worst finding first.
 */
function planOf(findings: readonly Finding[], texts: TextTable, cluster: { name: string; region: string }): PagePlan | undefined {
  const withCommands = [...findings].sort(compareFindings).filter((f) => f.remediation.commands.length > 0);
  if (withCommands.length === 0) return undefined;
  const steps = new Map<string, { title: string; commands: string[]; rules: string[] }>();
  for (const f of withCommands) {
    const key = JSON.stringify(f.remediation.commands);
    const step = steps.get(key) ?? { title: f.remediation.text, commands: f.remediation.commands, rules: [] };
    step.rules.push(f.ruleId);
    steps.set(key, step);
  }
  return {
    move: texts.ref(versionMove(withCommands.find((f) => f.targetVersion !== null) ?? withCommands[0]!)),
    notes: [],
    steps: [...steps.values()].map((s, i) => ({
      label: `${i + 1}.`,
      title: texts.ref(`${s.title} Fixes ${s.rules.join(', ')}.`, cluster),
      commands: s.commands.map((c) => texts.ref(c, cluster)),
    })),
  };
}

/** Links once each, in order, empty strings left out. */
function linksOf(...lists: readonly (readonly (string | undefined)[])[]): string[] {
  return [...new Set(lists.flat().filter((l): l is string => typeof l === 'string' && l.length > 0))];
}

/**
 * The rules of the page: every rule with a finding (as the findings name it, with their
 * remediation link and references), then the loaded rules' ranges and references.
 */
function rulesOf(findings: readonly Finding[], loaded: ShapeOptions['rules']): PageRule[] {
  const rules = new Map<string, PageRule>();
  for (const f of findings) {
    if (rules.has(f.ruleId)) continue;
    const references = linksOf([f.remediation.url], f.references);
    rules.set(f.ruleId, { id: f.ruleId, title: f.title, severity: f.severity, ...(references.length ? { references } : {}) });
  }
  for (const r of loaded ?? []) {
    const known = rules.get(r.id);
    if (r.affected === undefined && known === undefined) continue;
    const references = linksOf(known?.references ?? [], [r.remediation?.url], r.references ?? []);
    rules.set(r.id, {
      ...(known ?? { id: r.id, title: r.title, severity: r.severity }),
      ...(r.affected !== undefined ? { affected: r.affected } : {}),
      ...(r.fixed ? { fixed: r.fixed } : {}),
      ...(references.length ? { references } : {}),
    });
  }
  return [...rules.values()].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.id.localeCompare(b.id));
}

/** Clusters per vpc-cni version, oldest first; then one bar of the clusters running vpc-cni at a version that could not be read. */
function versionBars(clusters: readonly PageCluster[]): VersionBar[] {
  const bars = new Map<string, VersionBar>();
  const unknown: VersionBar = { version: UNKNOWN_VERSION, unknown: true, managed: 0, selfManaged: 0 };
  for (const c of clusters) {
    if (c.install === 'other CNI') continue;
    const bar = c.cni === null ? unknown : (bars.get(c.cni) ?? bars.set(c.cni, { version: c.cni, managed: 0, selfManaged: 0 }).get(c.cni)!);
    if (c.install === 'managed') bar.managed += 1;
    else bar.selfManaged += 1;
  }
  const known = [...bars.values()].sort((a, b) => compareCniVersionsDesc(b.version, a.version));
  return unknown.managed + unknown.selfManaged > 0 ? [...known, unknown] : known;
}

/**
 * Each version-range rule's lane: the versions of the clusters that have its finding this run
 * (not carried over). A version in the affected range with no such cluster is not marked: the
 * rule's Kubernetes range or condition did not match there.
 */
function risksOver(clusters: readonly PageCluster[], bars: readonly VersionBar[], rules: readonly PageRule[]): VersionRisk[] {
  const marked = new Map<number, Set<string>>();
  for (const c of clusters) {
    if (c.cni === null) continue;
    for (const f of c.findings) {
      if (f.carried !== undefined || rules[f.rule]?.affected === undefined) continue;
      (marked.get(f.rule) ?? marked.set(f.rule, new Set()).get(f.rule)!).add(c.cni);
    }
  }
  return [...marked]
    .sort(([a], [b]) => a - b)
    .map(([rule, versions]) => ({ rule, versions: bars.filter((b) => !b.unknown && versions.has(b.version)).map((b) => b.version) }));
}

/** Per Kubernetes version, the newest vpc-cni any of its clusters' catalogs offered (catalogs differ by Region only in timing). */
function offeredNewest(clusters: readonly ClusterFacts[]): OfferedNewest[] {
  const byVersion = new Map<string, OfferedNewest>();
  for (const c of clusters) {
    // Not read (undefined): nothing known. Read and empty: EKS offers none for this Kubernetes version.
    if (c.offeredVersions === undefined || c.cni.source === 'absent') continue;
    const newest = c.offeredVersions[0] ?? null;
    const entry = byVersion.get(c.kubernetesVersion) ?? { kubernetes: c.kubernetesVersion, newest, clusters: 0, onNewest: 0 };
    if (newest !== null && (entry.newest === null || compareCniVersionsDesc(newest, entry.newest) < 0)) entry.newest = newest;
    entry.clusters += 1;
    byVersion.set(c.kubernetesVersion, entry);
  }
  for (const c of clusters) {
    const entry = byVersion.get(c.kubernetesVersion);
    if (entry?.newest != null && c.offeredVersions !== undefined && c.cni.source !== 'absent' && c.cni.version === entry.newest) entry.onNewest += 1;
  }
  return [...byVersion.values()].sort((a, b) => compareKubernetes(b.kubernetes, a.kubernetes));
}

function compareKubernetes(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn || a.localeCompare(b);
}

/**
 * Shapes one run report (and its history's trend) into the data the fleet page draws. Pure: no
 * clock, no I/O. Every count of the headline is the report's own.
 */
export function shapeFleetPage(report: StoredRunReport, options: ShapeOptions): FleetPageData {
  const carried = report.carriedOver ?? [];
  const rules = rulesOf([...report.findings, ...carried], options.rules);
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));

  // Accounts: those listed, then any only a cluster or finding names (a report edited by hand, an older tool).
  const accountList = new Map<string, Pick<Account, 'id' | 'name' | 'ou' | 'ouPath'>>();
  for (const a of report.accounts) accountList.set(a.id, a);
  for (const c of [...report.clusters, ...report.findings, ...carried]) {
    if (!accountList.has(c.accountId)) accountList.set(c.accountId, { id: c.accountId, name: c.accountName, ...(c.ou ? { ou: c.ou } : {}), ...(c.ouPath ? { ouPath: c.ouPath } : {}) });
  }
  const accounts = [...accountList.values()].map((a) => ({ id: a.id, name: a.name, ou: ouLabel(a) }));
  const accountIndex = new Map(accounts.map((a, i) => [a.id, i]));

  const newIds = new Set(report.newIds ?? []);
  const findingOf = (f: Finding, texts: TextTable, named: { name: string; region: string }): PageFinding => ({
    rule: ruleIndex.get(f.ruleId)!,
    why: texts.ref(f.why, named),
    ...(f.remediation.text ? { fix: texts.ref(f.remediation.text, named) } : {}),
    ...(f.suppressionExpired !== undefined ? { suppressionExpired: f.suppressionExpired } : {}),
  });
  const texts = new TextTable();
  const plans = new Map((report.plans ?? []).map((p) => [clusterKey(p), p]));
  const findingsOf = new Map<string, { open: Finding[]; carried: (Finding & { carriedBecause: string })[] }>();
  const slot = (key: string) => findingsOf.get(key) ?? findingsOf.set(key, { open: [], carried: [] }).get(key)!;
  for (const f of report.findings) slot(clusterKey(f)).open.push(f);
  for (const f of carried) slot(clusterKey(f)).carried.push(f);

  // Every cluster read this run, then clusters known only from findings carried over (not read this run).
  const clusters: PageCluster[] = [];
  const seen = new Set<string>();
  const row = (key: string, base: Omit<PageCluster, 'findings' | 'plan'>) => {
    const found = findingsOf.get(key) ?? { open: [], carried: [] };
    const named = { name: base.name, region: base.region };
    const findings: PageFinding[] = [
      ...[...found.open].sort(compareFindings).map((f) => ({ ...findingOf(f, texts, named), ...(newIds.has(f.id) ? { new: true as const } : {}) })),
      ...[...found.carried].sort(compareFindings).map((f) => ({ ...findingOf(f, texts, named), carried: texts.ref(f.carriedBecause, named) })),
    ];
    const planned = plans.get(key);
    const plan = planned ? pageOfPlan(planned, texts, named) : planOf(found.open, texts, named);
    clusters.push({ ...base, findings, ...(plan ? { plan } : {}) });
    seen.add(key);
  };
  for (const c of report.clusters) {
    row(clusterKey(c), {
      account: accountIndex.get(c.accountId)!,
      region: c.region,
      name: c.clusterName,
      kubernetes: c.kubernetesVersion,
      cni: c.cni.version,
      install: installOf(c),
      status: c.cni.status ?? c.clusterStatus,
    });
  }
  for (const [key, found] of findingsOf) {
    const f = found.open[0] ?? found.carried[0];
    if (seen.has(key) || f === undefined) continue;
    row(key, {
      account: accountIndex.get(f.accountId)!,
      region: f.region,
      name: f.clusterName,
      kubernetes: f.kubernetesVersion,
      cni: f.observedVersion,
      install: f.managed ? 'managed' : 'self-managed',
      status: found.open.length ? 'ACTIVE' : 'not re-checked',
    });
  }

  const versions = versionBars(clusters);
  const cells = new Map<string, HeatCell>();
  clusters.forEach((c, index) => {
    for (const f of c.findings) {
      if (f.carried !== undefined) continue;
      const key = `${c.account}/${f.rule}`;
      const cell = cells.get(key) ?? { account: c.account, rule: f.rule, clusters: [] };
      cell.clusters.push(index);
      cells.set(key, cell);
    }
  });
  const heatmap = [...cells.values()];
  const heatmapAccounts = [...new Set(heatmap.map((c) => c.account))].sort((a, b) => {
    const x = accounts[a]!;
    const y = accounts[b]!;
    return x.ou.localeCompare(y.ou) || x.name.localeCompare(y.name) || x.id.localeCompare(y.id);
  });
  const heatmapRules = [...new Set(heatmap.map((c) => c.rule))].sort((a, b) => a - b);

  const { coverage } = report;
  return {
    version: PAGE_DATA_VERSION,
    run: {
      runId: report.runId,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      tool: `${report.tool.name} ${report.tool.version}`,
      ...(report.baseline?.message ? { baselineNote: report.baseline.message } : {}),
    },
    headline: {
      clusters: coverage.clusters.scanned,
      accounts: { ...coverage.accounts },
      regions: { ...coverage.regions },
      clustersFailed: coverage.clusters.failed,
      managedAddon: coverage.clusters.managedAddon,
      selfManaged: coverage.clusters.selfManaged,
      notRechecked: carried.length,
      errors: report.errors.length,
      open: countsBySeverity(report.findings),
      new: report.newIds?.length ?? 0,
      resolved: report.resolved?.length ?? 0,
      suppressed: report.suppressed.length,
      suppressionsExpired: report.findings.filter((f) => f.suppressionExpired !== undefined).length,
    },
    severities: [...SEVERITIES],
    accounts,
    rules,
    clusters,
    texts: texts.texts,
    literals: texts.literals,
    versions,
    risks: risksOver(clusters, versions, rules),
    offered: offeredNewest(report.clusters),
    heatmapAccounts,
    heatmapRules,
    heatmap,
    trend: options.trend,
    notes: report.coverage.notes.map((n) => ({ ...n })),
    errors: report.errors.map((e) => ({ ...e })),
  };
}
