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
