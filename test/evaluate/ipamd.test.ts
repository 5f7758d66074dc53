import { describe, expect, it } from 'vitest';
import { describeIgnored, describeIpamdValue, IPAMD_SETTINGS, isIpamdSetting, readIpamdSetting } from '../../lib/evaluate/ipamd.js';

const bool = IPAMD_SETTINGS.ENABLE_PREFIX_DELEGATION!;
const discovery = IPAMD_SETTINGS.ENABLE_SUBNET_DISCOVERY!;
const warmIp = IPAMD_SETTINGS.WARM_IP_TARGET!;
const maxEni = IPAMD_SETTINGS.MAX_ENI!;

describe('ipamd.ts', () => {
  it.each([
    [bool, undefined, { value: false, ignored: false }],
    [bool, '', { value: false, ignored: false }], // empty reads as unset
    [bool, 'True', { value: true, raw: 'True', ignored: false }],
    [bool, 't', { value: true, raw: 't', ignored: false }],
    [bool, true, { value: true, raw: 'true', ignored: false }], // a YAML boolean
    [bool, 'yes', { value: false, raw: 'yes', ignored: true }],
    [discovery, 'no', { value: true, raw: 'no', ignored: true }], // ignored: back to the default, on
    [warmIp, '5', { value: 5, raw: '5', ignored: false }],
    [warmIp, 5, { value: 5, raw: '5', ignored: false }], // a YAML number
    [warmIp, '0x20', { value: 0, raw: '0x20', ignored: true }],
    [warmIp, '-1', { value: 0, raw: '-1', ignored: true }], // ipamd drops negatives
    [maxEni, '0', { value: -1, raw: '0', ignored: true }], // MAX_ENI below 1 is ignored
  ])('reads %j = %j as ipamd does', (setting, written, expected) => {
    expect(readIpamdSetting(setting, written)).toEqual(expected);
  });

  it.each([
    [bool, undefined, 'not set (off)'],
    [discovery, undefined, 'not set (on)'],
    [warmIp, undefined, 'not set (0)'],
    [maxEni, undefined, 'not set (no limit)'],
    [bool, 'false', 'false'],
    [bool, 'TRUE', 'TRUE (on)'],
    [warmIp, '+5', '+5 (5)'],
    [bool, 'yes please', '"yes please" (ignored: ipamd uses off)'],
  ])('shows %j = %j as %j', (setting, written, text) => {
    expect(describeIpamdValue(setting, readIpamdSetting(setting, written))).toBe(text);
  });

  it('names why a value is ignored, quoting and cutting what came from the cluster', () => {
    expect(describeIgnored('WARM_IP_TARGET', warmIp, readIpamdSetting(warmIp, 'abc'))).toBe('WARM_IP_TARGET=abc (not a decimal integer: ipamd uses 0)');
    expect(describeIgnored('WARM_IP_TARGET', warmIp, readIpamdSetting(warmIp, '-3'))).toBe('WARM_IP_TARGET=-3 (below 0: ipamd uses 0)');
    expect(describeIgnored('ENABLE_POD_ENI', bool, readIpamdSetting(bool, `$(curl x)${'a'.repeat(60)}`))).toBe(
      `ENABLE_POD_ENI="$(curl x)${'a'.repeat(31)}…" (not a Go boolean: ipamd uses off)`,
    );
  });

  it('knows its settings by own name only', () => {
    expect(isIpamdSetting('WARM_IP_TARGET')).toBe(true);
    expect(isIpamdSetting('constructor')).toBe(false);
    expect(isIpamdSetting('__proto__')).toBe(false);
    expect(isIpamdSetting('ENABLE_IPv4')).toBe(false); // ipamd's own default is not what runs
  });
});
