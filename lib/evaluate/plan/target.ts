import semver from 'semver';
import type { ClusterFacts, Severity } from '../../types.js';
import { SEVERITIES } from '../../types.js';
import { holds } from '../conditions.js';
import { factViewAt } from '../facts.js';
import type { Rule } from '../rule.js';
import { compareCniVersionsDesc, inRange, kubernetesInRange, parseCniVersion, type CniVersion } from '../version.js';
import { isValid } from './shell.js';

/**
 * The one version a cluster moves to, shared by every finding on it, and the way there. Pure.
 *
 * A version risk is a rule with an affected range that applies to the cluster's Kubernetes
 * version; one with a condition (`when`) counts where the condition holds for the cluster as it
 * would be on that version. The target is the newest version EKS offers for the cluster clear of
 * every risk; when none is, the least bad one, with what it still carries named.
 */

export interface VersionRisk {
  ruleId: string;
  title: string;
  severity: Severity;
  /** The first upstream release without it. */
  fixed: string;
}

/**
 * The version rules that apply to this cluster's Kubernetes version; an informational rule (whose
 * trigger the auditor cannot read) moves no target.
 */
export function versionRules(rules: readonly Rule[], facts: ClusterFacts): Rule[] {
  return rules.filter((r) => r.affected && r.fixed && r.severity !== 'informational' && (!r.kubernetes || kubernetesInRange(facts.kubernetesVersion, r.kubernetes)));
}

/** The known risks a version carries on this cluster. */
export function risksAt(version: CniVersion, rules: readonly Rule[], facts: ClusterFacts): VersionRisk[] {
  const carried = rules.filter((r) => inRange(version, r.affected!));
  if (carried.length === 0) return [];
  const view = carried.some((r) => r.when) ? factViewAt(facts, version.raw) : undefined;
  return carried
    .filter((r) => !r.when || holds(r.when, view!))
    .map((r) => ({ ruleId: r.id, title: r.title, severity: r.severity, fixed: r.fixed! }));
}

/**
 * The lowest upstream release at or above `from` clear of every risk: moving to 1.7.2 for one
 * risk must not land in the next (1.7.2 is still below 1.8.0). Null when `from` is already clear.
 */
export function releaseFloor(from: CniVersion, rules: readonly Rule[], facts: ClusterFacts): string | null {
  let at = from;
  for (let guard = 0; guard < 100; guard++) {
    const risks = risksAt(at, rules, facts);
    if (risks.length === 0) return at === from ? null : at.upstream;
    const next = risks.map((r) => r.fixed).sort(semver.rcompare)[0]!;
    at = parseCniVersion(next)!;
  }
  return null;
}

/**
 * Orders two sets of risks, less bad first: fewer critical ones, then fewer high ones, and so on
 * (one high and one medium risk are less bad than two high ones).
 */
export function compareRisks(a: readonly VersionRisk[], b: readonly VersionRisk[]): number {
  for (const severity of SEVERITIES) {
    const diff = a.filter((r) => r.severity === severity).length - b.filter((r) => r.severity === severity).length;
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The safest of some versions: the least bad risks, then the newest. Undefined for none. */
export function safest(versions: readonly CniVersion[], risksOf: (version: CniVersion) => VersionRisk[]): CniVersion | undefined {
  return versions
    .map((version) => ({ version, risks: risksOf(version) }))
    .sort((a, b) => compareRisks(a.risks, b.risks) || compareCniVersionsDesc(a.version.raw, b.version.raw))[0]?.version;
}

/** Offered versions as EKS lists them, newest first, keeping only well-formed add-on versions. */
export function offeredBuilds(facts: ClusterFacts): CniVersion[] | undefined {
  if (!facts.offeredVersions) return undefined;
  return [...facts.offeredVersions]
    .filter((v) => isValid('add-on version', v))
    .sort(compareCniVersionsDesc)
    .map((v) => parseCniVersion(v)!)
    .filter((v) => v !== null);
}

export interface TargetChoice {
  /** The offered build to move to; null when none is needed or none can be given. */
  target: CniVersion | null;
  /** The risks the target still carries (the least-bad case). */
  carried: VersionRisk[];
  /** Whether the target is below the running version. */
  downgrade: boolean;
  /**
   * The running version stays because it is clear of every known risk and EKS offers no build at
   * or above it clear too (a self-managed CNI newer than anything EKS offers stays self-managed).
   */
  held: boolean;
  /** Why, one sentence. */
  reason: string;
}

/** Whether two versions are the same release (and, for two EKS builds, the same build). */
export function sameVersion(a: CniVersion, b: CniVersion): boolean {
  return semver.eq(a.semver, b.semver) && (a.eksbuild === undefined || b.eksbuild === undefined || a.eksbuild === b.eksbuild);
}

/**
 * The target among the offered builds. Without a need to move (`mustMove` false), a running
 * version clear of every risk stays; `mustMove` asks for an offered build even then (to create
 * the managed add-on). Never lower than a running version clear of every risk, and never lower
 * unless the lower build is less bad than the running one.
 */
export function chooseTarget(
  current: CniVersion | null,
  offered: readonly CniVersion[],
  rules: readonly Rule[],
  facts: ClusterFacts,
  mustMove: boolean,
): TargetChoice {
  const where = `for Kubernetes ${facts.kubernetesVersion} in ${facts.region}`;
  const none = { target: null, carried: [], downgrade: false, held: false };
  if (offered.length === 0) return { ...none, reason: `EKS offers no vpc-cni build ${where}` };
  const currentRisks = current ? risksAt(current, rules, facts) : [];
  const scored = offered.map((version) => ({ version, risks: risksAt(version, rules, facts) }));
  const clear = scored.filter((s) => s.risks.length === 0);
  const result = (version: CniVersion, carried: VersionRisk[], reason: string): TargetChoice => {
    const downgrade = current !== null && semver.lt(version.semver, current.semver);
    if (current && sameVersion(version, current)) return { ...none, carried, reason };
    return { target: version, carried, downgrade, held: false, reason };
  };
  if (current && currentRisks.length === 0) {
    // A version clear of every risk is never lowered: not to create the add-on, not to catch up.
    const atOrAbove = clear.filter((s) => semver.gte(s.version.semver, current.semver));
    const newest = atOrAbove[0]?.version;
    if (!newest || (!mustMove && semver.eq(newest.semver, current.semver))) {
      const reason = newest
        ? `${current.raw} is clear of every known risk the audit can check, and no newer clear build is offered ${where}`
        : `${current.raw} is clear of every known risk the audit can check, and EKS offers no build at or above it clear of them ${where} (newest offered: ${offered[0]!.raw})`;
      return { ...none, held: !newest, reason };
    }
    return result(newest, [], `${newest.raw} is the newest build EKS offers ${where} clear of every known risk the audit can check`);
  }
  if (clear.length > 0) {
    const newest = clear[0]!.version;
    return result(newest, [], `${newest.raw} is the newest build EKS offers ${where} clear of every known risk the audit can check`);
  }
  // None is clear: the least severe risks, then the newest.
  const leastBad = [...scored].sort((a, b) => compareRisks(a.risks, b.risks) || compareCniVersionsDesc(a.version.raw, b.version.raw))[0]!;
  const names = leastBad.risks.map((r) => r.ruleId).join(', ');
  if (current && semver.lt(leastBad.version.semver, current.semver) && compareRisks(leastBad.risks, currentRisks) >= 0) {
    // Going down would carry as much: stay.
    return { ...none, carried: currentRisks, reason: `No build EKS offers ${where} is clear of every known risk, and none is less bad than ${current.raw}, which carries ${currentRisks.map((r) => r.ruleId).join(', ')}` };
  }
  return result(leastBad.version, leastBad.risks, `No build EKS offers ${where} is clear of every known risk; ${leastBad.version.raw} is the least bad and still carries ${names}`);
}

/** One step of an upgrade path. */
export interface PathStep {
  version: CniVersion;
  /** True when EKS offers no build of this minor for the cluster: an upstream release, for a self-managed step. */
  upstreamOnly: boolean;
  /** Why the step is not the newest build of its minor (notNewestReason). */
  why?: string;
}

/**
 * Why a step is not the newest build of its minor: `v1.19.2-eksbuild.5, not v1.19.6-eksbuild.7:
 * 1.19.3–1.19.6 carry vpc-cni-x`. Undefined when it is the newest, or the newer ones carry nothing.
 */
export function notNewestReason(chosen: CniVersion, ofMinor: readonly CniVersion[], risksOf: (version: CniVersion) => VersionRisk[], name: (version: CniVersion) => string = (v) => v.raw): string | undefined {
  const newer = newerRisks(chosen, ofMinor, risksOf);
  return newer && `${name(chosen)}, not ${name(newer.newest)}: ${newer.text}`;
}

/** The newer builds of a minor that carry a risk `chosen` does not: `1.19.3–1.19.6 carry vpc-cni-x`. */
export function newerRisks(chosen: CniVersion, ofMinor: readonly CniVersion[], risksOf: (version: CniVersion) => VersionRisk[]): { newest: CniVersion; text: string } | undefined {
  const newer = ofMinor.filter((v) => semver.gt(v.semver, chosen.semver)).sort((a, b) => compareCniVersionsDesc(a.raw, b.raw));
  const own = new Set(risksOf(chosen).map((r) => r.ruleId));
  const ids = [...new Set(newer.flatMap((v) => risksOf(v).map((r) => r.ruleId)))].filter((id) => !own.has(id));
  if (newer.length === 0 || ids.length === 0) return undefined;
  const releases = [...new Set(newer.map((v) => v.upstream))].sort(semver.compare);
  const range = releases.length === 1 ? `${releases[0]} carries` : `${releases[0]}–${releases.at(-1)} carry`;
  return { newest: newer[0]!, text: `${range} ${ids.join(', ')}` };
}

export interface UpgradePath {
  steps: PathStep[];
  /** Minors between the current version and the target that EKS offers no build of (`1.9`). */
  missingMinors: string[];
}

/**
 * One minor at a time (EKS refuses more: "Updating VPC-CNI can only go up or down 1 minor
 * version at a time"): for every minor between the running version and the target, the safest
 * offered build of that minor (the least bad risks, then the newest: 1.11.3 before 1.11.4, which
 * is inside the IPAMD regression), then the target. A minor EKS offers nothing of is named as
 * missing, with the safest upstream release of that minor `upstreamOf` gives as the step.
 */
export function upgradePath(
  current: CniVersion | null,
  target: CniVersion,
  offered: readonly CniVersion[],
  upstreamOf: (major: number, minor: number) => CniVersion[],
  risksOf: (version: CniVersion) => VersionRisk[],
): UpgradePath {
  if (!current || current.semver.major !== target.semver.major) return { steps: [{ version: target, upstreamOnly: false }], missingMinors: [] };
  const from = current.semver.minor;
  const to = target.semver.minor;
  const direction = to >= from ? 1 : -1;
  const steps: PathStep[] = [];
  const missingMinors: string[] = [];
  for (let minor = from + direction; minor !== to && Math.abs(to - from) > 1; minor += direction) {
    const build = safest(
      offered.filter((v) => v.semver.major === target.semver.major && v.semver.minor === minor),
      risksOf,
    );
    if (build) {
      const why = notNewestReason(build, offered.filter((v) => v.semver.major === target.semver.major && v.semver.minor === minor), risksOf);
      steps.push({ version: build, upstreamOnly: false, ...(why ? { why } : {}) });
      continue;
    }
    missingMinors.push(`${target.semver.major}.${minor}`);
    const releases = upstreamOf(target.semver.major, minor);
    const upstream = safest(releases, risksOf);
    const why = upstream && notNewestReason(upstream, releases, risksOf, (v) => `v${v.upstream}`);
    if (upstream) steps.push({ version: upstream, upstreamOnly: true, ...(why ? { why } : {}) });
  }
  steps.push({ version: target, upstreamOnly: false });
  return { steps, missingMinors };
}

/** The next Kubernetes minor (`1.21` → `1.22`), or undefined for what is not one. */
export function nextKubernetesMinor(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  return match ? `${match[1]}.${Number(match[2]) + 1}` : undefined;
}
