import { goAtoi, goParseBool } from './configuration.js';

/**
 * The env settings ipamd reads, with the type and default it reads them with. Pure.
 *
 * Source: upstream `pkg/ipamd/ipamd.go`, `pkg/ipamd/datastore/data_store.go` and `utils/utils.go`
 * (v1.10.0 to v1.23.0): booleans go through strconv.ParseBool, integers through strconv.Atoi,
 * and a value that does not parse (or is out of the accepted range) is dropped for the default.
 * An empty value is read as unset. ENABLE_IPv4 is left out on purpose: ipamd's own default
 * (false) is not what runs, since every manifest and the EKS add-on set it.
 */
export type IpamdSetting =
  | { type: 'bool'; default: boolean }
  /** `min`: values below it are ignored like unparsable ones; `unsetText`: how the default reads. */
  | { type: 'int'; default: number; min: number; unsetText?: string };

export const IPAMD_SETTINGS: Readonly<Record<string, IpamdSetting>> = Object.freeze({
  WARM_IP_TARGET: { type: 'int', default: 0, min: 0 },
  MINIMUM_IP_TARGET: { type: 'int', default: 0, min: 0 },
  WARM_ENI_TARGET: { type: 'int', default: 1, min: 0 },
  WARM_PREFIX_TARGET: { type: 'int', default: 0, min: 0 },
  MAX_ENI: { type: 'int', default: -1, min: 1, unsetText: 'no limit' },
  IP_COOLDOWN_PERIOD: { type: 'int', default: 30, min: 0 },
  ENABLE_PREFIX_DELEGATION: { type: 'bool', default: false },
  ENABLE_POD_ENI: { type: 'bool', default: false },
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: { type: 'bool', default: false },
  ENABLE_SUBNET_DISCOVERY: { type: 'bool', default: true },
  DISABLE_NETWORK_RESOURCE_PROVISIONING: { type: 'bool', default: false },
  DISABLE_LEAKED_ENI_CLEANUP: { type: 'bool', default: false },
  ANNOTATE_POD_IP: { type: 'bool', default: false },
  AWS_MANAGE_ENIS_NON_SCHEDULABLE: { type: 'bool', default: false },
  ENABLE_IMDS_ONLY_MODE: { type: 'bool', default: false },
  ENABLE_MULTI_NIC: { type: 'bool', default: false },
  ENABLE_IPv6: { type: 'bool', default: false },
});

export function isIpamdSetting(name: string): boolean {
  return Object.hasOwn(IPAMD_SETTINGS, name);
}

/** One setting as ipamd reads it. */
export interface IpamdValue {
  /** What ipamd uses: the parsed value, or the default when unset or ignored. */
  value: boolean | number;
  /** The text as written; absent when the setting is not given (or empty). */
  raw?: string;
  /** True when a value was given but ipamd drops it for the default. */
  ignored: boolean;
}

function rawText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Reads one setting from the env map (`configurationValues.env`) the way ipamd does. */
export function readIpamdSetting(setting: IpamdSetting, written: unknown): IpamdValue {
  const raw = rawText(written);
  if (raw === undefined) return { value: setting.default, ignored: false };
  if (setting.type === 'bool') {
    const parsed = goParseBool(written);
    return parsed === undefined ? { value: setting.default, raw, ignored: true } : { value: parsed, raw, ignored: false };
  }
  const parsed = goAtoi(written);
  return parsed === undefined || parsed < setting.min ? { value: setting.default, raw, ignored: true } : { value: parsed, raw, ignored: false };
}

function reads(setting: IpamdSetting, value: boolean | number): string {
  if (setting.type === 'bool') return value ? 'on' : 'off';
  return value === setting.default && setting.unsetText ? setting.unsetText : String(value);
}

/** A value from the cluster, safe to put in a sentence: short, and quoted unless plain. */
export function quoteValue(raw: string): string {
  const cut = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return /^[\w.:/+-]+$/.test(cut) ? cut : JSON.stringify(cut);
}

/**
 * How a setting reads in a finding: `true`, `5`, `not set (off)`, `"yes" (ignored: ipamd uses off)`.
 * Never "unknown": an unset setting is ipamd's default, and says so.
 */
export function describeIpamdValue(setting: IpamdSetting, read: IpamdValue): string {
  if (read.raw === undefined) return `not set (${reads(setting, read.value)})`;
  if (read.ignored) return `${quoteValue(read.raw)} (ignored: ipamd uses ${reads(setting, read.value)})`;
  const canonical = String(read.value);
  return read.raw === canonical ? canonical : `${quoteValue(read.raw)} (${setting.type === 'bool' ? reads(setting, read.value) : canonical})`;
}

/** `WARM_IP_TARGET=abc (not an integer: ipamd uses 0)`: one setting ipamd ignores, for a finding. */
export function describeIgnored(name: string, setting: IpamdSetting, read: IpamdValue): string {
  const why =
    setting.type === 'bool'
      ? 'not a Go boolean'
      : goAtoi(read.raw) === undefined
        ? 'not a decimal integer'
        : `below ${setting.min}`;
  return `${name}=${quoteValue(read.raw ?? '')} (${why}: ipamd uses ${reads(setting, read.value)})`;
}
