/**
 * Reading CloudFormation for the deploy tests: YAML with the short-form tags (`!Sub`, `!If`...)
 * turned into their long form, and the IAM statements of a policy document.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

const FUNCTIONS = ['Sub', 'GetAtt', 'Join', 'If', 'Equals', 'Not', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Base64', 'GetAZs', 'And', 'Or', 'Cidr'];

function longForm(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

/** A custom tag for each short form, on a scalar, a sequence and a map. */
const customTags: Tags = [...FUNCTIONS, 'Ref', 'Condition'].flatMap((name): Tags => {
  const collection = (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longForm(name)]: value.toJSON() });
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [longForm(name)]: name === 'GetAtt' ? value.split('.') : value }) },
    { tag: `!${name}`, collection: 'seq', resolve: collection },
    { tag: `!${name}`, collection: 'map', resolve: collection },
  ];
});

export function parseCloudFormationYaml(text: string): unknown {
  return parse(text, { customTags });
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

export interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
}

export interface Template {
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, Record<string, unknown>>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export function actionsOf(statement: Pick<Statement, 'Action'>): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

export function statementsOf(role: Resource): Statement[] {
  const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** Every action the role's inline policies allow, sorted, once each. */
export function allowedActions(role: Resource): string[] {
  return [...new Set(statementsOf(role).filter((s) => s.Effect === 'Allow').flatMap(actionsOf))].sort();
}

/**
 * A template condition's value, for the static ones a packaged template holds once its
 * parameters are resolved (`!Not [!Equals ['x', '']]`); anything else throws.
 */
export function conditionValue(template: Template, name: string): boolean {
  const evaluate = (node: unknown): boolean | string => {
    if (typeof node === 'string') return node;
    const fn = node as Record<string, unknown[]>;
    if (fn['Fn::Not']) return !evaluate(fn['Fn::Not'][0]);
    if (fn['Fn::Equals']) return evaluate(fn['Fn::Equals'][0]) === evaluate(fn['Fn::Equals'][1]);
    if ((node as { Condition?: string }).Condition) return conditionValue(template, (node as { Condition: string }).Condition);
    throw new Error(`condition ${name}: cannot evaluate ${JSON.stringify(node)}`);
  };
  const value = evaluate(template.Conditions?.[name]);
  if (typeof value !== 'boolean') throw new Error(`condition ${name} is not a boolean`);
  return value;
}

/** A statement list with each `!If [condition, statement, !Ref AWS::NoValue]` resolved. */
function resolveIfs(template: Template, statements: unknown[]): Statement[] {
  return statements.flatMap((s) => {
    const branch = (s as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
    if (!branch) return [s as Statement];
    const chosen = conditionValue(template, branch[0]) ? branch[1] : branch[2];
    return JSON.stringify(chosen) === JSON.stringify({ Ref: 'AWS::NoValue' }) ? [] : [chosen as Statement];
  });
}

/**
 * Every statement that applies to a role: its inline policies, the managed policies of the
 * template it lists, and the AWS::IAM::Policy resources that name it (those whose condition holds).
 */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.Resources[roleId];
  if (!role) throw new Error(`the template has no ${roleId}`);
  const documents: { Statement: unknown[] }[] = ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]).map((p) => p.PolicyDocument);
  for (const arn of (role.Properties.ManagedPolicyArns ?? []) as { Ref?: string }[]) {
    const managed = arn.Ref ? template.Resources[arn.Ref] : undefined;
    if (!managed || managed.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`${roleId}: managed policy ${JSON.stringify(arn)} is not in the template`);
    documents.push(managed.Properties.PolicyDocument as { Statement: unknown[] });
  }
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = (policy.Properties.Roles ?? []) as { Ref?: string }[];
    if (!roles.some((r) => r.Ref === roleId)) continue;
    if (policy.Condition && !conditionValue(template, policy.Condition)) continue;
    documents.push(policy.Properties.PolicyDocument as { Statement: unknown[] });
  }
  return documents.flatMap((d) => resolveIfs(template, d.Statement));
}

/** The resources of a type, by logical id. */
export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * cfn-lint on a template (it knows every IAM action name, resource property and Step Functions
 * state), when the machine has it: it is a Python tool, not a dependency of this project.
 */
export async function cfnLint(file: string, ignoreChecks: readonly string[] = []): Promise<{ available: boolean; exitCode: number; output: string }> {
  const args = [...(ignoreChecks.length ? ['--ignore-checks', ...ignoreChecks] : []), '--', file];
  try {
    const { stdout } = await promisify(execFile)('cfn-lint', args, { timeout: 120_000 });
    return { available: true, exitCode: 0, output: stdout };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') return { available: false, exitCode: -1, output: '' };
    return { available: true, exitCode: Number(failure.code), output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

type Intrinsic = unknown;

/** Evaluates the condition functions CloudFormation allows in Rules, over parameter values. */
function evaluate(node: Intrinsic, parameters: Record<string, string>): unknown {
  if (typeof node === 'string' || typeof node === 'boolean' || typeof node === 'number') return node;
  const [[fn, args]] = Object.entries(node as Record<string, unknown>) as [[string, unknown]];
  const list = () => (args as Intrinsic[]).map((a) => evaluate(a, parameters));
  switch (fn) {
    case 'Ref':
      if (!(String(args) in parameters)) throw new Error(`Ref to unknown parameter ${String(args)}`);
      return parameters[String(args)];
    case 'Fn::Equals': {
      const [a, b] = list();
      return a === b;
    }
    case 'Fn::Not':
      return !list()[0];
    case 'Fn::And':
      return list().every(Boolean);
    case 'Fn::Or':
      return list().some(Boolean);
    default:
      throw new Error(`${fn} is not evaluated here`);
  }
}

/**
 * What CloudFormation refuses before creating a stack from `template` with `given` parameter
 * values: unknown keys, missing required values, AllowedPattern (a whole-value match) and
 * AllowedValues, then the Rules' assertions (their AssertDescription). Empty: accepted.
 */
export function parameterProblems(template: Template & { Rules?: Record<string, { RuleCondition?: Intrinsic; Assertions: { Assert: Intrinsic; AssertDescription?: string }[] }> }, given: Record<string, string>): string[] {
  const declared = template.Parameters ?? {};
  const problems = Object.keys(given).filter((k) => !(k in declared)).map((k) => `Parameters: [${k}] do not exist in the template`);
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? (spec.Default === undefined ? undefined : String(spec.Default));
    if (value === undefined) {
      problems.push(`Parameters: [${name}] must have values`);
      continue;
    }
    values[name] = value;
    // A CommaDelimitedList's pattern applies to each of its values.
    const items = spec.Type === 'CommaDelimitedList' ? value.split(',') : [value];
    if (typeof spec.AllowedPattern === 'string' && !items.every((item) => new RegExp(`^(?:${spec.AllowedPattern})$`).test(item))) {
      problems.push(`Parameter ${name} failed to satisfy constraint: ${String(spec.ConstraintDescription ?? spec.AllowedPattern)}`);
    }
    if (Array.isArray(spec.AllowedValues) && !spec.AllowedValues.map(String).includes(value)) problems.push(`Parameter ${name} must be one of ${spec.AllowedValues.join(', ')}`);
  }
  if (problems.length) return problems;
  for (const rule of Object.values(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !evaluate(rule.RuleCondition, values)) continue;
    for (const assertion of rule.Assertions) if (!evaluate(assertion.Assert, values)) problems.push(assertion.AssertDescription ?? 'a template rule failed');
  }
  return problems;
}
