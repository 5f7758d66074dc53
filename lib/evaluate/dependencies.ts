import type { ClusterFacts, UnreadSource } from '../types.js';
import type { Condition } from './conditions.js';
import type { Rule } from './rule.js';

/**
 * Which rules a cluster's facts are complete enough to judge. A rule that reads a fact the scan
 * could not get (aws-node unreadable, the catalog unavailable) is not evaluated on that cluster,
 * so an earlier finding of it there is carried, never resolved. Pure.
 */

/**
 * Facts that stay known when aws-node could not be read: they come from EKS itself (the add-on,
 * pod identity), or say what is unknown (a rule about the unknown is judged on it).
 */
const KNOWN_WITHOUT_AWS_NODE = new Set([
  'addon.managed',
  'addon.source',
  'addon.versionKnown',
  'addon.iamRoleKnown',
  'addon.status',
  'addon.healthIssueCodes',
  'addon.podIdentityAssociations',
]);

/** `catalog.available` says whether the catalog was read: a rule about that is judged without it. */
const CATALOG_FACTS = ['catalog.latest', 'catalog.behindLatest', 'catalog.minorsBehind'];
/** Facts computed from both the version and the catalog. */
const VERSION_AND_CATALOG_FACTS = ['catalog.behindLatest', 'catalog.minorsBehind'];

/** Whether a fact comes (even in part) from an unread source, for this cluster. */
function unreadBy(fact: string, source: UnreadSource, facts: ClusterFacts): boolean {
  if (source.source === 'catalog') return CATALOG_FACTS.includes(fact);
  // A managed add-on's facts come from DescribeAddon; only what the DaemonSet runs is unknown.
  if (facts.cni.managed) return fact === 'addon.daemonSetVersion';
  if (VERSION_AND_CATALOG_FACTS.includes(fact)) return true;
  // A self-managed CNI's settings (what ipamd reads) come from the DaemonSet's env too.
  return (fact.startsWith('addon.') && !KNOWN_WITHOUT_AWS_NODE.has(fact)) || fact.startsWith('ipamd.');
}

function conditionFacts(condition: Condition): string[] {
  if ('all' in condition) return condition.all.flatMap(conditionFacts);
  if ('any' in condition) return condition.any.flatMap(conditionFacts);
  if ('not' in condition) return conditionFacts(condition.not);
  return [condition.fact];
}

/** The facts a rule reads to decide whether it matches (its templates do not count). */
export function factsOfRule(rule: Pick<Rule, 'affected' | 'kubernetes' | 'when'>): string[] {
  const facts = new Set<string>();
  if (rule.affected) facts.add('addon.version');
  if (rule.kubernetes) facts.add('cluster.kubernetesVersion');
  if (rule.when) for (const fact of conditionFacts(rule.when)) facts.add(fact);
  return [...facts];
}

/**
 * Why a rule cannot be judged on this cluster, or undefined when it can: the reason of the first
 * unread source one of its facts depends on.
 */
export function whyNotEvaluable(rule: Rule, facts: ClusterFacts): string | undefined {
  if (!facts.unread?.length) return undefined;
  const needed = factsOfRule(rule);
  return facts.unread.find((source) => needed.some((fact) => unreadBy(fact, source, facts)))?.reason;
}
