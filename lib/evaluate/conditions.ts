import semver from 'semver';
import { z } from 'zod';
import { goParseBool } from './configuration.js';
import { factType, isKnownFact, type FactValue, type FactView } from './facts.js';
import { compileGlob, globProblem } from './glob.js';
import { inRange, isValidRange, parseCniVersion, parseKubernetesVersion } from './version.js';

/**
 * The condition vocabulary of configuration and state rules: all / any / not over leaves that
 * compare one fact. Rules hold data only; this file is the whole interpreter.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const factName = z.string().refine(isKnownFact, { message: 'unknown fact (see FACT_NAMES in lib/evaluate/facts.ts)' });

const OPERATORS = ['equals', 'in', 'present', 'absent', 'lt', 'lte', 'gt', 'gte', 'semver', 'matches'] as const;
type Operator = (typeof OPERATORS)[number];

const leafSchema = z
  .strictObject({
    fact: factName,
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    present: z.literal(true).optional(),
    absent: z.literal(true).optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    semver: z.string().refine(isValidRange, { message: 'not a valid semver range' }).optional(),
    matches: z
      .string()
      .min(1)
      .superRefine((glob, ctx) => {
        const problem = globProblem(glob);
        if (problem) ctx.addIssue({ code: 'custom', message: `not a valid glob: ${problem}` });
      })
      .optional(),
  })
  .superRefine((leaf, ctx) => {
    const ops = OPERATORS.filter((op) => leaf[op] !== undefined);
    if (ops.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a condition on "${leaf.fact}" needs exactly one of ${OPERATORS.join(', ')} (found ${ops.length ? ops.join(', ') : 'none'})`,
      });
      return;
    }
    const typeError = checkTyped(leaf.fact, ops[0]!, leaf[ops[0]!]);
    if (typeError) ctx.addIssue({ code: 'custom', path: [ops[0]!], message: typeError });
  });

/**
 * A typed fact (`ipamd.<NAME>`) always has a value (ipamd's default when unset), so present /
 * absent say nothing, and a boolean compares only with true or false, an integer with numbers.
 */
function checkTyped(fact: string, operator: Operator, expected: unknown): string | undefined {
  const type = factType(fact);
  if (!type) return undefined;
  const use = `use addon.config.env.${fact.slice('ipamd.'.length)} to test what is written`;
  if (operator === 'present' || operator === 'absent') return `${fact} always has a value (ipamd's default when unset): ${use}`;
  const values = Array.isArray(expected) ? expected : [expected];
  if (type === 'bool') {
    if (operator !== 'equals' && operator !== 'in') return `${fact} is a boolean: compare it with equals: true or false`;
    if (values.some((v) => typeof v !== 'boolean')) return `${fact} is a boolean: compare it with true or false`;
  }
  if (type === 'int') {
    if (operator === 'semver' || operator === 'matches') return `${fact} is an integer: compare it with equals, in, lt, lte, gt or gte`;
    if (values.some((v) => typeof v !== 'number' || !Number.isInteger(v))) return `${fact} is an integer: compare it with whole numbers`;
  }
  return undefined;
}

export type Leaf = z.infer<typeof leafSchema>;
export type Condition = Leaf | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
    leafSchema,
  ]),
);

/** Booleans as the CNI reads them (Go's strconv.ParseBool). */
const parseBool = (value: FactValue): boolean | undefined => goParseBool(value);

/**
 * A number from a fact: numbers as they are, strings only when plain decimal ("5", "-1", "2.5").
 * "0x20", "1e2" and " 5" are not numbers to ipamd (Go's Atoi), so they are not numbers here.
 */
function toNumber(value: FactValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !/^[+-]?\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

function isPresent(value: FactValue): boolean {
  return value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function sameScalar(value: string | number | boolean, expected: string | number | boolean): boolean {
  if (typeof expected === 'boolean') return parseBool(value) === expected;
  if (typeof expected === 'number') return toNumber(value) === expected;
  return String(value) === expected;
}

function anyElement(value: FactValue, test: (v: string | number | boolean) => boolean): boolean {
  if (value === undefined) return false;
  return Array.isArray(value) ? value.some(test) : test(value);
}

function compare(value: FactValue, test: (n: number) => boolean): boolean {
  const n = toNumber(value);
  return n !== undefined && test(n);
}

function versionInRange(value: FactValue, range: string): boolean {
  if (typeof value !== 'string') return false;
  const cni = parseCniVersion(value);
  if (cni) return inRange(cni, range);
  const k8s = parseKubernetesVersion(value);
  return k8s !== null && semver.satisfies(k8s, range);
}

/** Each rule glob compiled once (validated when the rule was loaded), matched in linear time (glob.ts). */
const globs = new Map<string, (value: string) => boolean>();
function globOf(pattern: string): (value: string) => boolean {
  let isMatch = globs.get(pattern);
  if (!isMatch) globs.set(pattern, (isMatch = compileGlob(pattern)));
  return isMatch;
}

function operatorOf(leaf: Leaf): Operator {
  return OPERATORS.find((op) => leaf[op] !== undefined)!;
}

function testLeaf(leaf: Leaf, value: FactValue): boolean {
  switch (operatorOf(leaf)) {
    case 'equals':
      return anyElement(value, (v) => sameScalar(v, leaf.equals!));
    case 'in':
      return anyElement(value, (v) => leaf.in!.some((expected) => sameScalar(v, expected)));
    case 'present':
      return isPresent(value);
    case 'absent':
      return !isPresent(value);
    case 'lt':
      return compare(value, (n) => n < leaf.lt!);
    case 'lte':
      return compare(value, (n) => n <= leaf.lte!);
    case 'gt':
      return compare(value, (n) => n > leaf.gt!);
    case 'gte':
      return compare(value, (n) => n >= leaf.gte!);
    case 'semver':
      return versionInRange(value, leaf.semver!);
    case 'matches': {
      const isMatch = globOf(leaf.matches!);
      return anyElement(value, (v) => isMatch(String(v)));
    }
  }
}

/** A leaf that held, with the value it saw: the evidence a finding's "why" is written from. */
export interface Evidence {
  fact: string;
  operator: Operator;
  expected: unknown;
  actual: FactValue;
  /** The value as the finding shows it (`not set (off)` for an unset ipamd boolean). */
  shown: FactValue;
  negated: boolean;
}

/** Whether a condition holds for one cluster. */
export function holds(condition: Condition, facts: FactView): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, facts));
  if ('any' in condition) return condition.any.some((c) => holds(c, facts));
  if ('not' in condition) return !holds(condition.not, facts);
  return testLeaf(condition, facts.get(condition.fact));
}

/**
 * The leaves that make a holding condition true, with the values seen: what a finding's "why"
 * is written from. Under `not`, a leaf counts when it is false (De Morgan: all ↔ any).
 */
export function explain(condition: Condition, facts: FactView, negated = false): Evidence[] {
  if ('not' in condition) return explain(condition.not, facts, !negated);
  if ('all' in condition || 'any' in condition) {
    const children = 'all' in condition ? condition.all : condition.any;
    return children.filter((c) => holds(c, facts) !== negated).flatMap((c) => explain(c, facts, negated));
  }
  const operator = operatorOf(condition);
  return [{ fact: condition.fact, operator, expected: condition[operator], actual: facts.get(condition.fact), shown: facts.show(condition.fact), negated }];
}

const PHRASES: Record<Operator, [string, string]> = {
  equals: ['is', 'is not'],
  in: ['is one of', 'is not one of'],
  present: ['is set', 'is not set'],
  absent: ['is not set', 'is set'],
  lt: ['is below', 'is not below'],
  lte: ['is at most', 'is above'],
  gt: ['is above', 'is at most'],
  gte: ['is at least', 'is below'],
  semver: ['is in', 'is not in'],
  matches: ['matches', 'does not match'],
};

function show(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** `addon.config.env.WARM_IP_TARGET is set (5)`: one clause of a finding's "why". */
export function describeEvidence(e: Evidence): string {
  const name = e.fact.replace(/^addon\.config\.(env\.)?/, '').replace(/^(addon|cluster|catalog|ipamd)\./, '');
  const phrase = PHRASES[e.operator][e.negated ? 1 : 0];
  const shown = isPresent(e.shown) ? show(e.shown) : 'not set';
  if (e.operator === 'present' || e.operator === 'absent') {
    return isPresent(e.actual) ? `${name} ${phrase} (${shown})` : `${name} ${phrase}`;
  }
  return `${name} ${phrase} ${show(e.expected)} (${shown})`;
}
