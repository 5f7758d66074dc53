import { LRUCache } from 'lru-cache';
import { parse as parseYaml, YAMLParseError } from 'yaml';

/**
 * The vpc-cni add-on's configuration values, read the way EKS and ipamd read them. Pure.
 *
 * EKS accepts `--configuration-values` as JSON or YAML and stores the text as given, so
 * DescribeAddon returns YAML for clusters configured that way. YAML 1.2 is a superset of JSON:
 * one YAML parse (core schema) reads both. ipamd then reads each env value with Go's
 * strconv.ParseBool / strconv.Atoi and falls back to its default when a value does not parse.
 */

export type ConfigurationFormat = 'json' | 'yaml' | 'empty';

export type ParsedConfiguration =
  | { ok: true; value: Record<string, unknown>; format: ConfigurationFormat }
  /** `error` never quotes the input: configuration values may hold secrets. */
  | { ok: false; error: string };

/**
 * Each text parsed once per run (a fleet's clusters share a few configurations, and a cluster's
 * facts and its plan each read it): a YAML parse was most of the plans' CPU.
 */
const parsedTexts = new LRUCache<string, ParsedConfiguration>({ max: 1024, memoMethod: (raw) => parseUncached(raw) });

/**
 * Parses configurationValues (JSON or YAML); empty or absent is an empty configuration. The value
 * is shared by every caller of the same text: read it, never change it.
 */
export function parseConfigurationValues(raw: string | null | undefined): ParsedConfiguration {
  if (raw == null || raw.trim() === '') return { ok: true, value: {}, format: 'empty' };
  return parsedTexts.memo(raw);
}

function parseUncached(raw: string): ParsedConfiguration {
  const format: ConfigurationFormat = /^\s*[{[]/.test(raw) && isJson(raw) ? 'json' : 'yaml';
  let value: unknown;
  try {
    value = parseYaml(raw, { schema: 'core', uniqueKeys: true, prettyErrors: false, maxAliasCount: 100 });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line}, column ${error.linePos[0].col})` : '';
    return { ok: false, error: `configurationValues is neither valid JSON nor valid YAML${where}` };
  }
  if (value === null || value === undefined) return { ok: true, value: {}, format };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'configurationValues is not an object (a mapping of settings)' };
  // Shared by every reader of the text: a change by one would be seen by all, so none is allowed.
  return { ok: true, value: deepFreeze(value as Record<string, unknown>), format };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function isJson(raw: string): boolean {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * Go's strconv.ParseBool, which ipamd uses for its boolean env vars: "1", "t", "T", "TRUE",
 * "true", "True" are true; "0", "f", "F", "FALSE", "false", "False" are false; anything else
 * (" true", "yes", "on") does not parse (undefined), and ipamd falls back to the default.
 */
export function goParseBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value);
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * Go's strconv.Atoi on a 64-bit platform, which ipamd uses for its integer env vars: an optional
 * sign and decimal digits, nothing else ("0x20", "1e2", " 5", "5.0" and "" do not parse:
 * undefined). A JSON/YAML number that is a whole number is taken as written.
 */
export function goAtoi(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !/^[+-]?\d+$/.test(value)) return undefined;
  const n = BigInt(value);
  if (n > INT64_MAX || n < INT64_MIN) return undefined;
  return Number(n);
}
