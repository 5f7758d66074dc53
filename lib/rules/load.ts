import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_UPGRADE, frontMatterSchema, SECTION_TITLES, type Rule, type SectionKey } from '../evaluate/rule.js';

/** One thing wrong with one rule file. */
export interface RuleProblem {
  file: string;
  field?: string;
  message: string;
}

export class RuleValidationError extends Error {
  override readonly name = 'RuleValidationError';
  constructor(
    readonly problems: RuleProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid rules:\n${problems.map((p) => `  ${p.file}${p.field ? `: ${p.field}` : ''}: ${p.message}`).join('\n')}`,
      options,
    );
  }
}

/**
 * Where the shipped rules are: beside the code in a checkout (`<repo>/rules`), at the root of
 * the Lambda package (`$LAMBDA_TASK_ROOT/rules`), or where FLEET_AUDIT_RULES_DIR says.
 */
export function builtInRulesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEET_AUDIT_RULES_DIR) return resolve(env.FLEET_AUDIT_RULES_DIR);
  if (env.LAMBDA_TASK_ROOT) return join(env.LAMBDA_TASK_ROOT, 'rules');
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(front matter)';
}

function zodProblems(file: string, error: z.ZodError): RuleProblem[] {
  return error.issues.map((issue) => ({ file, field: fieldOf(issue.path), message: issue.message }));
}

function splitSections(body: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = body.split(/^##\s+(.+?)\s*$/m);
  for (let i = 1; i < parts.length; i += 2) sections.set(parts[i]!.toLowerCase(), (parts[i + 1] ?? '').trim());
  return sections;
}

/** Parses and validates one rule document; throws RuleValidationError naming the file and field. */
export function parseRule(file: string, text: string): Rule {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new RuleValidationError([{ file, message: 'no front matter: the file must start with a --- block' }]);
  const doc = parseDocument(match[1]!, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RuleValidationError(doc.errors.map((e) => ({ file, field: '(front matter)', message: e.message.split('\n')[0]! })));
  }
  const parsed = frontMatterSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new RuleValidationError(zodProblems(file, parsed.error));

  const problems: RuleProblem[] = [];
  const expectedId = basename(file).replace(/\.md$/, '');
  if (file !== 'built-in' && parsed.data.id !== expectedId) {
    problems.push({ file, field: 'id', message: `"${parsed.data.id}" must equal the file name "${expectedId}"` });
  }
  const found = splitSections(match[2]!);
  const sections = {} as Record<SectionKey, string>;
  for (const [key, title] of Object.entries(SECTION_TITLES) as [SectionKey, string][]) {
    const content = found.get(title.toLowerCase());
    if (!content) problems.push({ file, field: `## ${title}`, message: 'missing or empty section' });
    sections[key] = content ?? '';
  }
  if (problems.length > 0) throw new RuleValidationError(problems);
  return { ...parsed.data, remediation: parsed.data.remediation ?? DEFAULT_UPGRADE, sections, source: file };
}

async function readRuleDir(dir: string): Promise<{ rules: Rule[]; problems: RuleProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.md') && n.toLowerCase() !== 'readme.md').sort();
  } catch (error) {
    return { rules: [], problems: [{ file: dir, message: `cannot read the rules directory: ${(error as Error).message}` }] };
  }
  const rules: Rule[] = [];
  const problems: RuleProblem[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      rules.push(parseRule(file, await readFile(file, 'utf8')));
    } catch (error) {
      if (error instanceof RuleValidationError) problems.push(...error.problems);
      else problems.push({ file, message: (error as Error).message });
    }
  }
  return { rules, problems };
}

/**
 * Loads the built-in rules and any extra directories (an organization's own rules), validating
 * every file; ids must be unique across all of them. Any problem fails the whole load: a rule
 * that silently does not run is worse than a run that does not start.
 */
export async function loadRules(extraDirs: readonly string[] = [], builtIn: string = builtInRulesDir()): Promise<Rule[]> {
  const results = await Promise.all([builtIn, ...extraDirs].map(readRuleDir));
  const rules = results.flatMap((r) => r.rules);
  const problems = results.flatMap((r) => r.problems);
  const seen = new Map<string, string>();
  for (const rule of rules) {
    const first = seen.get(rule.id);
    if (first) problems.push({ file: rule.source, field: 'id', message: `"${rule.id}" is already defined by ${first}` });
    else seen.set(rule.id, rule.source);
  }
  if (problems.length > 0) throw new RuleValidationError(problems);
  return rules;
}
