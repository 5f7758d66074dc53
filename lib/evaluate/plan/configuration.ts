import type { PlanConfiguration } from '../../types.js';
import { goAtoi, parseConfigurationValues } from '../configuration.js';
import type { ConfigurationFix, Rule } from '../rule.js';
import { looksSecret, WITHHELD } from '../secrets.js';
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

/** A setting's place in the configuration, key by key: an annotation key with dots is one key. */
export type Keys = readonly string[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `env.HTTPS_PROXY`; `podAnnotations["vault.hashicorp.com/agent-inject-token"]` for a key with dots. */
export function pathText(keys: Keys): string {
  return keys.map((key, i) => (PLAIN_KEY.test(key) ? `${i === 0 ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`)).join('');
}

/** A rule's fix path (setting names only, no dots in a name: the rule schema checks it) as keys. */
const keysOf = (path: string): Keys => path.split('.');

/** `MINIMUM_IP_TARGET` for env.MINIMUM_IP_TARGET; `LIVENESS_PROBE_TIMEOUT_SECONDS` for livenessProbeTimeoutSeconds. */
function snake(key: string): string {
  const text = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toUpperCase();
  return text === '' ? 'VALUE' : text;
}

/**
 * A tag of one cluster for the shell variables of its plan (`K3F9Q2`): a value set for one
 * cluster's commands is never taken by another's pasted in the same shell (two clusters named
 * `main` in two accounts get two tags). FNV-1a of `account/region/cluster`, 6 base-36 digits.
 */
export function variableScope(facts: { accountId: string; region: string; clusterName: string }): string {
  let hash = 0x811c9dc5;
  for (const ch of `${facts.accountId}/${facts.region}/${facts.clusterName}`) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).toUpperCase().padStart(6, '0').slice(-6);
}

/**
 * A shell variable for a setting, distinct from the ones `taken`: the last key when it is free
 * (`CURRENT_HTTPS_PROXY`), else with the keys above it (`CURRENT_INIT_ENV_HTTPS_PROXY`), else
 * numbered; then the cluster's scope (`CURRENT_HTTPS_PROXY_K3F9Q2`).
 */
function variableFor(keys: Keys, prefix: string, taken: ReadonlySet<string>, scope: string): string {
  const name = (depth: number) => {
    const text = `${prefix}${keys.slice(-depth).map(snake).join('_')}${scope ? `_${scope}` : ''}`;
    return /^[A-Z_]/.test(text) ? text : `_${text}`;
  };
  for (let depth = 1; depth <= keys.length; depth++) if (!taken.has(name(depth))) return name(depth);
  let n = 2;
  while (taken.has(`${name(keys.length)}_${n}`)) n++;
  return `${name(keys.length)}_${n}`;
}

type Node = Record<string, unknown>;

function getPath(root: Node, keys: Keys): unknown {
  let node: unknown = root;
  for (const key of keys) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Node)[key];
  }
  return node;
}

function setPath(root: Node, keys: Keys, value: unknown): void {
  let node: Node = root;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Node;
  }
  node[keys.at(-1)!] = value;
}

function unsetPath(root: Node, keys: Keys): void {
  const parent = keys.length === 1 ? root : getPath(root, keys.slice(0, -1));
  if (parent && typeof parent === 'object') delete (parent as Node)[keys.at(-1)!];
}

function leaves(node: unknown, prefix: Keys = []): [Keys, unknown][] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return prefix.length ? [[prefix, node]] : [];
  return Object.entries(node as Node).flatMap(([key, value]) => leaves(value, [...prefix, key]));
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
  /** Each change's place key by key, in the order of `changes` (a key may hold dots). */
  changeKeys: Keys[];
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
  /** The cluster's tag on every shell variable (variableScope). */
  scope = '',
): MergedConfiguration | undefined {
  if (fixes.length === 0 && !always) return undefined;
  const parsed = parseConfigurationValues(raw);
  if (!parsed.ok) return undefined;
  // No value from the cluster may carry the sentinel character.
  const merged = JSON.parse(JSON.stringify(parsed.value).split(MARK).join('')) as Node;
  const changes: (PlanConfiguration['changes'][number] & { keys: Keys })[] = [];
  const choices: PlanConfiguration['choices'] = [];
  const conflicts: string[] = [];
  const decided = new Map<string, string>();
  const taken = new Set<string>();

  const change = (keys: Keys, to: unknown, ruleId: string) => {
    const path = pathText(keys);
    const before = getPath(merged, keys);
    if (decided.has(path)) {
      if (shown(before) !== shown(to)) conflicts.push(`${path}: ${ruleId} wants ${shown(to) ?? 'it removed'}, ${decided.get(path)} wins`);
      return;
    }
    decided.set(path, ruleId);
    if (shown(before) === shown(to)) return;
    changes.push({ path, keys, from: shown(before), to: shown(to), ruleId });
    if (to === undefined) unsetPath(merged, keys);
    else setPath(merged, keys, to);
  };

  for (const { rule, fix } of fixes) {
    for (const [path, wanted] of Object.entries(fix.set ?? {})) {
      const keys = keysOf(path);
      const before = getPath(merged, keys);
      if (typeof wanted === 'object' && 'choose' in wanted) {
        if (before !== undefined && before !== '') continue;
        const variable = variableFor(keys, '', taken, scope);
        taken.add(variable);
        choices.push({ path, variable, hint: wanted.choose });
        change(keys, sentinel(variable), rule.id);
      } else if (typeof wanted === 'object' && 'atLeast' in wanted) {
        const current = goAtoi(before);
        if (current === undefined || current < wanted.atLeast) change(keys, wanted.atLeast, rule.id);
      } else {
        change(keys, wanted, rule.id);
      }
    }
    for (const path of fix.unset ?? []) if (getPath(merged, keysOf(path)) !== undefined) change(keysOf(path), undefined, rule.id);
  }
  if (changes.length === 0 && !always) return undefined;

  const withheld: PlanConfiguration['withheld'] = [];
  const secretPaths = new Set<string>();
  for (const [keys, value] of leaves(merged)) {
    const path = pathText(keys);
    if (choices.some((c) => c.path === path) || !looksSecret(keys.at(-1)!, value)) continue;
    const variable = variableFor(keys, 'CURRENT_', taken, scope);
    taken.add(variable);
    withheld.push({ path, variable });
    secretPaths.add(path);
    setPath(merged, keys, sentinel(variable));
  }
  pruneEmpty(merged);
  const template = JSON.stringify(merged);
  return {
    source,
    sourceFormat: parsed.format,
    values: showGuards(template),
    changes: changes.map(({ keys, ...c }) => ({
      ...c,
      from: c.from !== null && (secretPaths.has(c.path) || looksSecret(keys.at(-1)!, c.from)) ? WITHHELD : c.from,
      to: c.to === null ? null : showGuards(c.to),
    })),
    withheld,
    choices,
    ...(conflicts.length ? { conflicts } : {}),
    template,
    merged,
    changeKeys: changes.map((c) => c.keys),
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
