import type { PlanConfiguration } from '../../types.js';
import { goAtoi, parseConfigurationValues } from '../configuration.js';
import type { ConfigurationFix, Rule } from '../rule.js';
import { shellQuote } from './shell.js';

/**
 * One merged configuration per cluster: the configuration it runs, with every configuration fix
 * of its findings applied, printed whole. `--configuration-values` replaces the whole set, so a
 * command with only a rule's own keys would turn the other settings off. Pure.
 *
 * Values that look like secrets never reach an output: the merged configuration names them, and
 * the command reads them from a shell variable that refuses to be empty. A value a person must
 * choose (how many pods a node runs) is read the same way.
 */

/** Key names and values that may hold a credential. */
const SECRET_NAME = /secret|passw(or)?d|passwd|token|credential|api[-_]?key|private[-_]?key|auth|session/i;
const SECRET_VALUE = [
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, // userinfo in a URL: scheme://user:password@host
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, // an AWS access key id
  /^[A-Za-z0-9+/=_-]{40,}$/, // a long opaque token
];

function looksSecret(path: string, value: unknown): boolean {
  if (SECRET_NAME.test(path.split('.').at(-1) ?? '')) return true;
  return typeof value === 'string' && SECRET_VALUE.some((re) => re.test(value));
}

/** `env.MINIMUM_IP_TARGET` → `MINIMUM_IP_TARGET`; `livenessProbeTimeoutSeconds` → `LIVENESS_PROBE_TIMEOUT_SECONDS`. */
export function variableFor(path: string, prefix = ''): string {
  const last = path.split('.').at(-1) ?? path;
  const snake = last.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
  return `${prefix}${/^[A-Z_]/.test(snake) ? snake : `_${snake}`}`;
}

type Node = Record<string, unknown>;

function getPath(root: Node, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Node)[key];
  }
  return node;
}

function setPath(root: Node, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Node = root;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Node;
  }
  node[keys.at(-1)!] = value;
}

function unsetPath(root: Node, path: string): void {
  const keys = path.split('.');
  const parent = getPath(root, keys.slice(0, -1).join('.')) ?? (keys.length === 1 ? root : undefined);
  if (parent && typeof parent === 'object') delete (parent as Node)[keys.at(-1)!];
}

function leaves(node: unknown, prefix = ''): [string, unknown][] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return prefix ? [[prefix, node]] : [];
  return Object.entries(node as Node).flatMap(([key, value]) => leaves(value, prefix ? `${prefix}.${key}` : key));
}

/** Drops objects left empty (`"env": {}` says nothing and an update would carry it for no reason). */
function pruneEmpty(node: Node): void {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    pruneEmpty(value as Node);
    if (Object.keys(value).length === 0) delete node[key];
  }
}

const shown = (value: unknown): string | null => (value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The sentinel a guarded value takes until a command renders it: private-use characters, which
 * JSON.stringify keeps as they are and no configuration value of the add-on holds.
 */
const MARK = '\uE000';
const sentinel = (variable: string) => `${MARK}${variable}${MARK}`;
const SENTINELS = /\uE000([A-Z0-9_]+)\uE000/g;

/** Text with each guarded value shown as `$VAR`. */
export function showGuards(text: string): string {
  return text.replace(SENTINELS, (_, variable: string) => `$${variable}`);
}

export interface MergedConfiguration extends PlanConfiguration {
  /** The merged configuration with a sentinel where a guarded value goes. */
  template: string;
  /** The merged object (guarded values as sentinels), for the self-managed commands. */
  merged: Record<string, unknown>;
}

export interface FixSource {
  rule: Rule;
  fix: ConfigurationFix;
}

/**
 * Applies every fix to the configuration the cluster runs. Undefined when nothing changes (unless
 * `always`) or the current configuration cannot be read (a finding says so; no command may guess at it).
 */
export function mergeConfiguration(
  raw: string | null,
  source: PlanConfiguration['source'],
  fixes: readonly FixSource[],
  /** Also when nothing changes: the settings to carry over to a new install. */
  always = false,
): MergedConfiguration | undefined {
  if (fixes.length === 0 && !always) return undefined;
  const parsed = parseConfigurationValues(raw);
  if (!parsed.ok) return undefined;
  // No value from the cluster may carry the sentinel character.
  const merged = JSON.parse(JSON.stringify(parsed.value).split(MARK).join('')) as Node;
  const changes: PlanConfiguration['changes'] = [];
  const choices: PlanConfiguration['choices'] = [];
  const conflicts: string[] = [];
  const decided = new Map<string, string>();

  const change = (path: string, to: unknown, ruleId: string) => {
    const before = getPath(merged, path);
    if (decided.has(path)) {
      if (shown(before) !== shown(to)) conflicts.push(`${path}: ${ruleId} wants ${shown(to) ?? 'it removed'}, ${decided.get(path)} wins`);
      return;
    }
    decided.set(path, ruleId);
    if (shown(before) === shown(to)) return;
    changes.push({ path, from: shown(before), to: shown(to), ruleId });
    if (to === undefined) unsetPath(merged, path);
    else setPath(merged, path, to);
  };

  for (const { rule, fix } of fixes) {
    for (const [path, wanted] of Object.entries(fix.set ?? {})) {
      const before = getPath(merged, path);
      if (typeof wanted === 'object' && 'choose' in wanted) {
        if (before !== undefined && before !== '') continue;
        const variable = variableFor(path);
        choices.push({ path, variable, hint: wanted.choose });
        change(path, sentinel(variable), rule.id);
      } else if (typeof wanted === 'object' && 'atLeast' in wanted) {
        const current = goAtoi(before);
        if (current === undefined || current < wanted.atLeast) change(path, wanted.atLeast, rule.id);
      } else {
        change(path, wanted, rule.id);
      }
    }
    for (const path of fix.unset ?? []) if (getPath(merged, path) !== undefined) change(path, undefined, rule.id);
  }
  if (changes.length === 0 && !always) return undefined;

  const withheld: PlanConfiguration['withheld'] = [];
  for (const [path, value] of leaves(merged)) {
    if (choices.some((c) => c.path === path) || !looksSecret(path, value)) continue;
    const variable = variableFor(path, 'CURRENT_');
    withheld.push({ path, variable });
    setPath(merged, path, sentinel(variable));
  }
  pruneEmpty(merged);
  const template = JSON.stringify(merged);
  return {
    source,
    sourceFormat: parsed.format,
    values: showGuards(template),
    changes: changes.map((c) => ({
      ...c,
      from: c.from !== null && (withheld.some((w) => w.path === c.path) || looksSecret(c.path, c.from)) ? '(withheld)' : c.from,
      to: c.to === null ? null : showGuards(c.to),
    })),
    withheld,
    choices,
    ...(conflicts.length ? { conflicts } : {}),
    template,
    merged,
  };
}

/**
 * The configuration as one shell word: single-quoted JSON, with each guarded value read from its
 * variable (`${VAR:?...}`), so that a command pasted without setting it stops before running.
 */
export function configurationArgument(config: Pick<MergedConfiguration, 'template' | 'withheld' | 'choices'>): string {
  return shellValueWithGuards(config.template, config);
}

/** ` --configuration-values '...'`, or nothing for a configuration with no setting (EKS defaults). */
export function configurationOption(config: MergedConfiguration | undefined): string {
  if (!config || leaves(config.merged).length === 0) return '';
  return ` --configuration-values ${configurationArgument(config)}`;
}

/** Quotes text for a shell, reading each guarded value from its variable. */
export function shellValueWithGuards(text: string, config: Pick<MergedConfiguration, 'withheld' | 'choices'>): string {
  if (!text.includes(MARK)) return shellQuote(text);
  const message = (variable: string): string => {
    const choice = config.choices.find((c) => c.variable === variable);
    if (choice) return `set ${variable} to ${choice.hint}`;
    const secret = config.withheld.find((w) => w.variable === variable);
    return `set ${variable} to the current ${secret?.path ?? variable}, withheld from this report`;
  };
  const quoted = `'${text.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(SENTINELS, (_, variable: string) => `'"\${${variable}:?${message(variable).replace(/[^A-Za-z0-9 ,.()_-]/g, ' ')}}"'`);
}
