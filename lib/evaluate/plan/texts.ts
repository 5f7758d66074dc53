import semver from 'semver';
import type { ClusterFacts } from '../../types.js';
import type { Rule } from '../rule.js';
import type { CniVersion } from '../version.js';
import type { VersionRisk } from './target.js';

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
    } else if (held && rule.remediation.preset === 'migrate-to-managed') {
      texts.set(
        rule.id,
        `Stay self-managed until EKS offers ${current.upstream} or later for ${k8s}: the newest build it offers is ${offered[0]?.raw ?? 'none'}, and moving now would lower ${current.raw}, which is clear of every known risk the audit can check.`,
      );
    }
  }
  return texts;
}
