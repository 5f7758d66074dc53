import semver from 'semver';
import type { ClusterFacts } from '../../types.js';
import type { Rule } from '../rule.js';
import { parseCniVersion, type CniVersion } from '../version.js';
import { UPSTREAM_RELEASES } from './releases.js';
import { newerRisks, nextKubernetesMinor, safest, type VersionRisk } from './target.js';

/**
 * What a finding says to do when the plan does not move up: a rule's template says "Upgrade
 * vpc-cni to {{fix.target}}", which must never stand for a downgrade, nor for staying put. Pure.
 */
export interface MoveContext {
  ordered: readonly Rule[];
  facts: ClusterFacts;
  current: CniVersion;
  target: CniVersion | null;
  downgrade: boolean;
  /** The running version stays: clear of every risk, and nothing at or above it offered clear. */
  held: boolean;
  offered: readonly CniVersion[];
  risksOf: (version: CniVersion) => VersionRisk[];
  /** A self-managed aws-node whose less risky offered builds are all older: never moved down. */
  noDowngrade: boolean;
  /** The move exists but no command can make it (a Helm chart the cluster's Kubernetes refuses). */
  blocked: boolean;
  /** Rule ids of the risks the target still carries. */
  carried: readonly string[];
}

const sameMinor = (a: CniVersion, b: CniVersion) => a.semver.major === b.semver.major && a.semver.minor === b.semver.minor;

/** Rule id → the remediation text the plan writes instead of the rule's template. */
export function moveTexts(move: MoveContext): Map<string, string> {
  const { facts, current, target, downgrade, held, offered, risksOf } = move;
  const k8s = `Kubernetes ${facts.kubernetesVersion}`;
  const texts = new Map<string, string>();
  const newer = offered.filter((v) => semver.gt(v.semver, current.semver));
  const newerRisks = [...new Set(newer.flatMap((v) => risksOf(v).map((r) => r.ruleId)))];
  for (const rule of move.ordered) {
    if (move.blocked && (rule.affected || rule.remediation.preset === 'upgrade' || rule.remediation.preset === 'migrate-to-managed')) {
      texts.set(rule.id, `No command is given for the move: the Helm charts on the way from ${current.raw} cannot be installed on ${k8s} (their ENIConfig CustomResourceDefinition is apiextensions.k8s.io/v1beta1); the plan for this cluster says what to do.`);
    } else if (move.noDowngrade && rule.affected) {
      texts.set(
        rule.id,
        `Upgrade vpc-cni self-managed to release ${rule.fixed ?? 'a fixed release'} or later from the upstream release: every build EKS offers for ${k8s} that is less risky than ${current.raw} is older, and a self-managed aws-node is never moved down.`,
      );
    } else if (move.noDowngrade && rule.remediation.preset === 'migrate-to-managed') {
      texts.set(rule.id, `Move to the EKS managed add-on once EKS offers a build for ${k8s} at or above ${current.raw} that is clear of its risks: moving now would lower the version.`);
    } else if (downgrade && target && rule.affected) {
      const end = move.carried.length ? `${target.raw} is the least bad, and still carries ${move.carried.join(', ')}` : `${target.raw} is clear of every known risk the audit can check`;
      texts.set(rule.id, `Downgrade vpc-cni to ${target.raw} (from ${current.raw}), one minor at a time: no build EKS offers for ${k8s} at or above ${current.raw} is less bad; ${end}.`);
    } else if (!rule.affected && rule.remediation.preset === 'upgrade' && (!target || downgrade) && newerRisks.length > 0) {
      const instead = downgrade && target ? `; the plan for this cluster goes down to ${target.raw} instead, for the risks of ${current.raw}` : '';
      texts.set(rule.id, `No newer build EKS offers for ${k8s} is a safe move from ${current.raw}: each carries a known risk (${newerRisks.join(', ')})${instead}. Check again when EKS offers a newer build clear of them.`);
    } else if (target && !downgrade && !rule.affected && rule.remediation.preset === 'upgrade' && sameMinor(current, target)) {
      // The rule's template says "one minor release at a time", which means nothing within one minor.
      texts.set(rule.id, `Upgrade vpc-cni to ${target.raw}: a move within ${current.semver.major}.${current.semver.minor}, in one update.`);
    } else if (held && rule.remediation.preset === 'migrate-to-managed') {
      texts.set(
        rule.id,
        `Stay self-managed until EKS offers ${current.upstream} or later for ${k8s}: the newest build it offers is ${offered[0]?.raw ?? 'none'}, and moving now would lower ${current.raw}, which is clear of every known risk the audit can check.`,
      );
    }
  }
  return texts;
}

/** What a plan says when the builds EKS offers were not read (no catalog). */
export interface UnreadCatalog {
  facts: ClusterFacts;
  current: CniVersion;
  /** The first upstream release clear of every known risk (releaseFloor), or null. */
  floor: string | null;
  /** `1.6 → 1.7 → … → 1.18`, or '' (one minor or less). */
  minors: string;
  /** `Kubernetes 1.21`. */
  k8s: string;
  risksOf: (version: CniVersion) => VersionRisk[];
}

/**
 * The target, the reason and the list step's title without a catalog. Said as conditions on what
 * the listed builds show: EKS may list nothing at or above the floor for an old Kubernetes
 * version (1.18 was never offered for 1.21), and of a minor on the way the newest release may
 * carry a risk an older one of that minor does not (releases.ts knows each minor's releases).
 */
export function unreadCatalogTexts(input: UnreadCatalog): { targetText: string; reason: string; stepTitle: string } {
  const { facts, current, floor, minors, k8s } = input;
  const managed = facts.cni.managed;
  const targetText = floor ? `release ${floor} or later` : 'the newest build EKS offers';
  const why = managed ? 'update-addon refuses a jump of more than one minor' : 'vpc-cni is upgraded one minor at a time';
  const exceptions = floor ? intermediateExceptions(current, floor, input.risksOf) : [];
  const each = minors ? ` (${minors}: of each minor the newest build listed${exceptions.length ? `, except ${exceptions.join('; ')}` : ''})` : '';
  const next = nextKubernetesMinor(facts.kubernetesVersion);
  const kubernetesFirst = floor
    ? ` EKS may list no build of ${floor} or later for ${k8s}: if the newest listed is below ${floor}, move to it (one minor at a time), then upgrade Kubernetes first, one minor at a time (${next ? `${facts.kubernetesVersion} → ${next} → …` : 'to the next minor and on'}), listing the builds again after each and moving vpc-cni as far as they go, until a build of ${floor} or later is listed`
    : '';
  return {
    targetText,
    reason: `The builds EKS offers for ${k8s} in ${facts.region} were not read: move to ${targetText}, as a build EKS lists for the cluster, one minor at a time${each}: ${why}.${kubernetesFirst}`,
    stepTitle: floor
      ? `List the builds EKS offers for ${k8s}. If the newest listed is ${floor} or later, move to it one minor at a time; if it is below ${floor}, upgrade Kubernetes first, as the plan says.`
      : `List the builds EKS offers for ${k8s}, and move to the newest one minor at a time.`,
  };
}

/** Minors on the way whose newest upstream release carries a risk an older release of that minor does not. */
function intermediateExceptions(current: CniVersion, floor: string, risksOf: (version: CniVersion) => VersionRisk[]): string[] {
  const end = parseCniVersion(floor);
  if (!end || end.semver.major !== current.semver.major) return [];
  const out: string[] = [];
  for (let minor = current.semver.minor + 1; minor < end.semver.minor; minor++) {
    const releases = UPSTREAM_RELEASES.filter((r) => r.version.startsWith(`${end.semver.major}.${minor}.`)).map((r) => parseCniVersion(r.version)!);
    const chosen = safest(releases, risksOf);
    const newer = chosen && newerRisks(chosen, releases, risksOf);
    if (chosen && newer) out.push(`of ${end.semver.major}.${minor} a build of ${chosen.upstream} or earlier (${newer.text})`);
  }
  return out;
}
