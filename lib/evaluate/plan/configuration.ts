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
    withheld.push({ path, variable, ...(typeof value === 'string' ? {} : { json: true }) });
    secretPaths.add(path);
    setPath(merged, keys, sentinel(variable));
  }
  pruneEmpty(merged);
  const template = asciiJson(JSON.stringify(merged));
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
 * JSON text as printable ASCII: every other character (DEL, C1 controls, U+2028/U+2029, bidi
 * controls, any non-ASCII letter) as its `\uXXXX` escape, which JSON reads back as the same
 * character. A payload stays whole and safe to paste: nothing in it is left for the output's
 * escaping (lib/escape.ts) to rewrite or delete. The guard mark is kept for the command to render.
 */
export function asciiJson(json: string): string {
  return json.replace(/[^\x20-\x7e\uE000]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Guards = Pick<MergedConfiguration, 'withheld' | 'choices'>;

const WHOLE_GUARD = /^\uE000([A-Z0-9_]+)\uE000$/;

/** The variables whose guards appear in a text, in order of first appearance. */
function guardsIn(text: string): string[] {
  return [...new Set([...text.matchAll(SENTINELS)].map((m) => m[1]!))];
}

function parsesAsObject(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A jq expression that builds a JSON value (with guards) from jq variables: a guarded string is
 * `$VAR`; a string that is itself a JSON document with guards (a kustomize patch) is built and
 * passed through `tojson`; guards inside other text are interpolated. jq escapes what it puts in.
 */
function jqExpression(value: unknown): string {
  if (typeof value === 'string') {
    const whole = WHOLE_GUARD.exec(value);
    if (whole) return `$${whole[1]}`;
    if (!value.includes(MARK)) return asciiJson(JSON.stringify(value));
    const inner = parsesAsObject(value);
    if (inner !== undefined) return `(${jqExpression(inner)} | tojson)`;
    return asciiJson(JSON.stringify(value)).replace(SENTINELS, (_, variable: string) => `\\($${variable})`);
  }
  if (Array.isArray(value)) return `[${value.map(jqExpression).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, v]) => `${asciiJson(JSON.stringify(key))}:${jqExpression(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What `${VAR:?...}` says when a guarded variable is not set (only characters no shell reads). */
function guardMessage(variable: string, config: Guards): string {
  const choice = config.choices.find((c) => c.variable === variable);
  const secret = config.withheld.find((w) => w.variable === variable);
  const text = choice ? `set ${variable} to ${choice.hint}` : `set ${variable} to the current ${secret?.path ?? variable}, withheld from this report`;
  return text.replace(/[^A-Za-z0-9 ,._-]/g, ' ');
}

/**
 * For a JSON text with guards, what goes before the command: `: "${VAR:?...}" && jq --version
 * >/dev/null && `, so that the command stops before it runs when a variable is not set or jq is
 * missing (a `${VAR:?}` inside `$(...)` would only end the substitution, and the command would
 * run with an empty configuration). Empty for a text without guards.
 */
export function guardPrefix(text: string, config: Guards): string {
  const variables = guardsIn(text);
  if (variables.length === 0) return '';
  return `: ${variables.map((v) => `"\${${v}:?${guardMessage(v, config)}}"`).join(' ')} && jq --version >/dev/null && `;
}

/**
 * A JSON text as one shell word that gives it whole to a command: single-quoted ASCII JSON, or,
 * with guards, `"$(jq -acn --arg VAR "$VAR" '...')"`: jq puts each value in as JSON (a `"`, `\`
 * or line break in it stays that character), so the value entered is the raw one. A withheld
 * value that is not a string (`json`) is entered as JSON (`--argjson`). Goes with guardPrefix.
 */
export function jsonWord(text: string, config: Guards): string {
  return guardsIn(text).length === 0 ? shellQuote(asciiJson(text)) : `"$(${jqCommand(text, config)})"`;
}

/** `jq -acn --arg VAR "$VAR" '...'`: prints the JSON text, each guarded value put in by jq (ASCII out). */
function jqCommand(text: string, config: Guards): string {
  const args = guardsIn(text).map((v) => `${config.withheld.some((w) => w.variable === v && w.json) ? '--argjson' : '--arg'} ${v} "$${v}"`);
  return `jq -acn ${args.join(' ')} ${shellQuote(jqExpression(JSON.parse(text)))}`;
}

/** A command that prints a JSON text (to redirect to a file): its guards first, then printf or jq. */
export function printJson(text: string, config: Guards): string {
  if (guardsIn(text).length === 0) return `printf '%s\\n' ${shellQuote(asciiJson(text))}`;
  return `${guardPrefix(text, config)}${jqCommand(text, config)}`;
}

/** The configuration as one shell word (jsonWord); `configurationPrefix` goes before the command. */
export function configurationArgument(config: Pick<MergedConfiguration, 'template' | 'withheld' | 'choices'>): string {
  return jsonWord(config.template, config);
}

/** What goes before a command that passes the configuration (guardPrefix). */
export function configurationPrefix(config: Pick<MergedConfiguration, 'template' | 'withheld' | 'choices'> | undefined): string {
  return config ? guardPrefix(config.template, config) : '';
}

/** ` --configuration-values '...'`, or nothing for a configuration with no setting (EKS defaults). */
export function configurationOption(config: MergedConfiguration | undefined): string {
  if (!config || leaves(config.merged).length === 0) return '';
  return ` --configuration-values ${configurationArgument(config)}`;
}

/**
 * Quotes text for a shell (not JSON: a `kubectl set env` or `helm --set-string` value), reading
 * each guarded value from its variable as it is.
 */
export function shellValueWithGuards(text: string, config: Guards): string {
  if (!text.includes(MARK)) return shellQuote(text);
  const quoted = `'${text.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(SENTINELS, (_, variable: string) => `'"\${${variable}:?${guardMessage(variable, config)}}"'`);
}
