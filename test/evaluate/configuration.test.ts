import { describe, expect, it } from 'vitest';
import { goAtoi, goParseBool, parseConfigurationValues } from '../../lib/evaluate/configuration.js';

describe('parseConfigurationValues', () => {
  it('parses a text once for the whole run, and no reader can change what the others read', () => {
    // Act: a cluster's facts and its plan read the same configuration
    const text = 'env:\n  WARM_IP_TARGET: "5"\n';
    const facts = parseConfigurationValues(text);
    const plan = parseConfigurationValues(text);

    // Assess
    expect(plan).toBe(facts);
    const env = (facts.ok ? facts.value.env : undefined) as Record<string, string>;
    expect(() => (env.WARM_IP_TARGET = '50')).toThrow(TypeError);
    expect(env.WARM_IP_TARGET).toBe('5');
  });

  it('reads JSON and YAML alike, as EKS accepts both', () => {
    // Act
    const json = parseConfigurationValues('{"env":{"WARM_IP_TARGET":"5"}}');
    const yaml = parseConfigurationValues('env:\n  WARM_IP_TARGET: "5"\n');

    // Assess
    expect(json).toEqual({ ok: true, value: { env: { WARM_IP_TARGET: '5' } }, format: 'json' });
    expect(yaml).toEqual({ ok: true, value: { env: { WARM_IP_TARGET: '5' } }, format: 'yaml' });
  });

  it('takes empty or absent values as an empty configuration', () => {
    expect(parseConfigurationValues(null)).toMatchObject({ ok: true, value: {} });
    expect(parseConfigurationValues('  \n')).toMatchObject({ ok: true, value: {} });
  });

  it('refuses what neither parses, without quoting the input (it may hold secrets)', () => {
    // Act
    const broken = parseConfigurationValues('{"env": {"AWS_SECRET": "hunter2"');
    const list = parseConfigurationValues('- a\n- b\n');

    // Assess
    expect(broken.ok).toBe(false);
    expect(JSON.stringify(broken)).not.toContain('hunter2');
    expect(list).toEqual({ ok: false, error: expect.stringContaining('not an object') });
  });

  it('refuses duplicate keys, which leave the effective value ambiguous', () => {
    expect(parseConfigurationValues('env:\n  A: "1"\nenv:\n  B: "2"\n').ok).toBe(false);
  });
});

describe('goParseBool and goAtoi (how ipamd reads env values)', () => {
  it.each([
    ['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true],
    ['0', false], ['f', false], ['F', false], ['FALSE', false], ['false', false], ['False', false],
    ['yes', undefined], [' true', undefined], ['tRUE', undefined], ['', undefined],
  ])('ParseBool(%j) is %j', (text, expected) => {
    expect(goParseBool(text)).toBe(expected);
  });

  it.each([
    ['5', 5], ['+5', 5], ['-3', -3], ['007', 7],
    ['0x20', undefined], ['1e2', undefined], [' 5', undefined], ['5.0', undefined], ['', undefined], ['abc', undefined],
    ['9223372036854775808', undefined],
  ])('Atoi(%j) is %j', (text, expected) => {
    expect(goAtoi(text)).toBe(expected);
  });
});
