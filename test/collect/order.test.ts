import { describe, expect, it } from 'vitest';
import { byKeys, compareText } from '../../lib/collect/order.js';

describe('order.ts', () => {
  it('orders by code unit, whatever the locale', () => {
    // Act
    const sorted = ['b', 'B', 'a', 'é', 'A'].sort(compareText);

    // Assess
    expect(sorted).toEqual(['A', 'B', 'a', 'b', 'é']);
  });

  it('orders by each key in turn, a missing key first', () => {
    // Prepare
    const rows = [
      { account: '2', region: 'eu-west-1' },
      { account: '1', region: 'us-east-1' },
      { account: '1' },
      { account: '1', region: 'eu-west-1' },
    ];

    // Act
    const sorted = [...rows].sort(byKeys((r) => r.account, (r) => r.region));

    // Assess
    expect(sorted).toEqual([
      { account: '1' },
      { account: '1', region: 'eu-west-1' },
      { account: '1', region: 'us-east-1' },
      { account: '2', region: 'eu-west-1' },
    ]);
  });
});
