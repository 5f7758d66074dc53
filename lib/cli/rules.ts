import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Rule } from '../evaluate/rule.js';
import { severityRank } from '../severity.js';
import { asUsageError, UsageError } from './errors.js';
import { formatSeverity, painter } from './format.js';

/** What `fleet-audit rules list --format json` prints for one rule. */
export interface RuleListing {
  id: string;
  title: string;
  severity: Rule['severity'];
  /** The affected upstream releases (a semver range); null for a condition rule. */
  affected: string | null;
  fixed: string | null;
  kubernetes: string | null;
  /** True when the rule also has a condition over the cluster's facts (`when`). */
  conditional: boolean;
  /** The rule document, relative to the working directory when it is inside it. */
  source: string;
  /** The references: upstream issues and pull requests, documentation. */
  evidence: string[];
}

function shownPath(file: string, cwd: string): string {
  const path = relative(cwd, file);
  return path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path) ? file : path;
}

export function listing(rule: Rule, cwd: string = process.cwd()): RuleListing {
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    affected: rule.affected ?? null,
    fixed: rule.fixed ?? null,
    kubernetes: rule.kubernetes ?? null,
    conditional: rule.when !== undefined,
    source: shownPath(rule.source, cwd),
    evidence: rule.references,
  };
}

/** Worst first, then by id: the order a reader scans for what matters. */
function byImportance(a: Rule, b: Rule): number {
  return severityRank(a.severity) - severityRank(b.severity) || a.id.localeCompare(b.id);
}

function renderList(rules: readonly RuleListing[], isTty: boolean): string {
  const paint = painter(isTty);
  const blocks = rules.map((r) => {
    const range = r.affected
      ? `affected ${r.affected}, fixed ${r.fixed}${r.kubernetes ? `, Kubernetes ${r.kubernetes}` : ''}${r.conditional ? ', when its condition holds' : ''}`
      : 'condition rule (no version range)';
    return [
      `${formatSeverity(r.severity, paint)} ${paint('bold', r.id)}`,
      `  ${r.title}`,
      `  ${range}`,
      `  source: ${r.source}`,
      ...(r.evidence.length ? [`  evidence: ${r.evidence.join(' ')}`] : ['  evidence: none given']),
    ].join('\n');
  });
  return [`${rules.length} rule(s)`, '', blocks.join('\n\n')].join('\n');
}

/** The rule loader (yaml, zod, the evaluator), imported when a command runs: `--help` stays fast. */
const ruleLoader = () => import('../rules/load.js');

/** `fleet-audit rules list`: every rule that would run, with its range, source file and evidence. */
export async function runRulesList(options: { rules?: string[]; format: string }, isTty: boolean): Promise<string> {
  const { loadRules, RuleValidationError } = await ruleLoader();
  const rules = await asUsageError(() => loadRules(options.rules ?? []), [RuleValidationError]);
  const listed = [...rules].sort(byImportance).map((r) => listing(r));
  return options.format === 'json' ? JSON.stringify(listed, null, 2) : renderList(listed, isTty);
}

/**
 * `fleet-audit rules validate DIR...`: the validation a run does at load (with the built-in rules,
 * so an id that clashes with one is caught too). Throws a UsageError naming each file and field.
 */
export async function runRulesValidate(dirs: readonly string[], builtInDir?: string): Promise<string> {
  const { builtInRulesDir, loadRules, RuleValidationError } = await ruleLoader();
  const builtIn = builtInDir ?? builtInRulesDir();
  const extra = dirs.filter((dir) => resolve(dir) !== resolve(builtIn));
  const rules = await asUsageError(() => loadRules(extra, builtIn), [RuleValidationError]);
  const checked = new Set(dirs.map((dir) => resolve(dir)));
  const inDirs = rules.filter((r) => [...checked].some((dir) => resolve(r.source).startsWith(dir + sep)));
  // An empty or mistyped directory validates nothing: saying "valid" would hide the mistake.
  if (inDirs.length === 0 && extra.length > 0) throw new UsageError(`no rule file (*.md) in ${extra.join(', ')}`);
  return `${inDirs.length} rule(s) valid in ${dirs.join(', ')}`;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `rules list` and `rules validate` to the program. */
export function registerRulesCommands(program: Command, io: { out: (s: string) => unknown; isTty: boolean }): void {
  const rules = program.command('rules').description('List the risk rules, or validate rule files before you ship them.');
  rules
    .command('list')
    .description('Every rule that runs: id, severity, affected range, fixed release, source file and evidence.')
    .option('--rules <dir>', 'also list the rules of this directory (repeatable)', collect)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { rules?: string[]; format: string }) => {
      io.out(`${await runRulesList(options, io.isTty)}\n`);
    });
  rules
    .command('validate')
    .description('Validate the rule files of one or more directories exactly as a run loads them (exit 2 naming file and field).')
    .argument('<dir...>', 'directories of rule files')
    .action(async (dirs: string[]) => {
      io.out(`${await runRulesValidate(dirs)}\n`);
    });
}
