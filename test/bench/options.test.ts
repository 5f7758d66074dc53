import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { positiveInteger } from './options.js';

describe('options.ts', () => {
  it('takes a whole number of at least 1 (--nights, --regions, --parallel)', () => {
    // Act + Assess
    expect(positiveInteger('2')).toBe(2);
    expect(positiveInteger('1')).toBe(1);
  });

  it('refuses zero, negatives, fractions and words with a message commander prints', () => {
    // Act + Assess
    for (const value of ['0', '-1', '1.5', 'two', '']) {
      expect(() => positiveInteger(value), value).toThrow(InvalidArgumentError);
    }
    expect(() => positiveInteger('0')).toThrow('expected a positive integer');
  });
});
