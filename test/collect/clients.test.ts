import { describe, expect, it } from 'vitest';
import { ClientCache } from '../../lib/collect/clients.js';

describe('clients.ts', () => {
  it('builds one client per account × region × service and reuses it', () => {
    // Prepare
    const cache = new ClientCache();
    let built = 0;
    const create = () => ({ id: ++built });

    // Act
    const first = cache.get('111', 'eu-west-1', 'eks', create);
    const again = cache.get('111', 'eu-west-1', 'eks', create);
    cache.get('111', 'us-east-1', 'eks', create);
    cache.get('111', 'eu-west-1', 'account', create);
    cache.get('222', 'eu-west-1', 'eks', create);

    // Assess
    expect(again).toBe(first);
    expect(built).toBe(4);
    expect(cache.size).toBe(4);
  });

  it("releases only the given account's clients", () => {
    // Prepare
    const cache = new ClientCache();
    const a = cache.get('111', 'eu-west-1', 'eks', () => ({}));
    const b = cache.get('222', 'eu-west-1', 'eks', () => ({}));

    // Act
    cache.release('111');

    // Assess
    expect(cache.size).toBe(1);
    expect(cache.get('222', 'eu-west-1', 'eks', () => ({}))).toBe(b);
    expect(cache.get('111', 'eu-west-1', 'eks', () => ({}))).not.toBe(a);
  });
});
