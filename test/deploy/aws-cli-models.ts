/**
 * What the AWS CLI accepts, read from the service models of botocore (the library the AWS CLI is
 * built on) when the machine has it: a command is an operation's name in kebab case, its options
 * the input members', its answers the output members'. Used to check the README's commands.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

/** Options every AWS CLI command takes. */
export const GLOBAL_OPTIONS = ['--profile', '--region', '--query', '--output', '--endpoint-url', '--cli-binary-format', '--cli-read-timeout', '--cli-connect-timeout', '--no-cli-pager', '--debug'];
const PAGINATION_OPTIONS = ['--max-items', '--starting-token', '--page-size'];

/** High-level commands the AWS CLI adds beside the API (their options, as the CLI documents them). */
export const CUSTOM_COMMANDS: Record<string, string[]> = {
  'cloudformation deploy': ['--stack-name', '--template-file', '--capabilities', '--parameter-overrides'],
  's3 cp': [],
  's3 rb': [],
  's3 sync': [],
};

interface Shape {
  type: string;
  members?: Record<string, { shape: string }>;
}
interface ServiceModel {
  operations: Record<string, { name: string; input?: { shape: string }; output?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

export interface CliOperation {
  /** `--option` names, booleans also as `--no-option`, with the global and pagination options. */
  options: Set<string>;
  /** The top-level members of the answer (what `--query` starts from). */
  outputMembers: Set<string>;
}

/** botocore's name transform: `DescribeStackSetOperation` → `describe-stack-set-operation`. */
export function kebab(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1-$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/** botocore's data directory, or undefined when python3 or botocore is missing. */
export async function botocoreData(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('python3', ['-c', 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))'], { timeout: 30_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

const models = new Map<string, Promise<{ model: ServiceModel; paginated: Set<string> }>>();

async function loadService(data: string, service: string) {
  const dir = join(data, service === 's3api' ? 's3' : service);
  const version = (await readdir(dir)).sort().at(-1)!;
  const model = JSON.parse(gunzipSync(await readFile(join(dir, version, 'service-2.json.gz'))).toString()) as ServiceModel;
  const paginators = await readFile(join(dir, version, 'paginators-1.json'), 'utf8').then((t) => JSON.parse(t) as { pagination: Record<string, unknown> }, () => ({ pagination: {} }));
  return { model, paginated: new Set(Object.keys(paginators.pagination)) };
}

/** The AWS CLI's `aws SERVICE COMMAND`, or undefined when the service has no such operation. */
export async function cliOperation(data: string, service: string, command: string): Promise<CliOperation | undefined> {
  if (!models.has(service)) models.set(service, loadService(data, service));
  const { model, paginated } = await models.get(service)!;
  const operation = Object.values(model.operations).find((op) => kebab(op.name) === command);
  if (!operation) return undefined;
  const members = (shape: { shape: string } | undefined) => Object.entries(model.shapes[shape?.shape ?? '']?.members ?? {});
  const options = new Set([...GLOBAL_OPTIONS, ...(paginated.has(operation.name) ? PAGINATION_OPTIONS : [])]);
  for (const [member, { shape }] of members(operation.input)) {
    options.add(`--${kebab(member)}`);
    if (model.shapes[shape]?.type === 'boolean') options.add(`--no-${kebab(member)}`);
  }
  return { options, outputMembers: new Set(members(operation.output).map(([member]) => member)) };
}

/** The output members a JMESPath `--query` starts from: `Stacks[0].Outputs` → Stacks; `[A[].x, B[].y]` → A, B. */
export function queriedMembers(query: string): string[] {
  const trimmed = query.trim();
  const parts = /^[[{]/.test(trimmed) ? splitTopLevel(trimmed.slice(1, -1)) : [trimmed];
  return parts.map((p) => /^(?:[\w]+\s*:\s*)?([A-Za-z_]\w*)/.exec(p.trim())?.[1]).filter((m): m is string => m !== undefined);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if ('[{('.includes(char)) depth++;
    if (']})'.includes(char)) depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  return [...parts, current];
}
