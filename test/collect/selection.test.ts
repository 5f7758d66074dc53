import { describe, expect, it } from 'vitest';
import type { AccountDirectory } from '../../lib/collect/ports.js';
import { selectAccounts } from '../../lib/collect/selection.js';
import type { Account } from '../../lib/types.js';

const accounts: Account[] = [
  { id: '500000000000', name: 'prod-eu', state: 'ACTIVE' },
  { id: '100000000000', name: 'prod-us', state: 'ACTIVE' },
  { id: '200000000000', name: 'dev', state: 'ACTIVE' },
  { id: '300000000000', name: 'closing', state: 'PENDING_CLOSURE' },
  { id: '400000000000', name: 'sandbox', state: 'ACTIVE' },
];
const subtrees: Record<string, string[]> = {
  'ou-prod': ['500000000000', '100000000000', '300000000000'],
  'ou-prod-eu': ['500000000000'],
  'ou-sandbox': ['400000000000'],
};
const directory: AccountDirectory = {
  listAccounts: async () => accounts,
  accountsInOu: async (ou) => subtrees[ou] ?? [],
  managementAccountId: async () => '100000000000',
};
const ids = (selected: Account[]) => selected.map((a) => a.id);

describe('selection.ts', () => {
  it('selects every ACTIVE account, sorted by id, and counts the others as excluded', async () => {
    // Act
    const selection = await selectAccounts(directory, {});

    // Assess
    expect(ids(selection.selected)).toEqual(['100000000000', '200000000000', '400000000000', '500000000000']);
    expect(selection).toMatchObject({ listed: 5, excluded: 1 });
  });

  it('includes and excludes by account id', async () => {
    // Act
    const selection = await selectAccounts(directory, {
      accounts: ['200000000000', '300000000000', '400000000000'],
      excludeAccounts: ['400000000000'],
    });

    // Assess
    expect(ids(selection.selected)).toEqual(['200000000000']);
    expect(selection.excluded).toBe(4);
  });

  it('includes OU subtrees and excludes nested OUs from them', async () => {
    // Act
    const selection = await selectAccounts(directory, { ous: ['ou-prod', 'ou-sandbox'], excludeOus: ['ou-prod-eu'] });

    // Assess
    expect(ids(selection.selected)).toEqual(['100000000000', '400000000000']);
  });

  it('treats empty include lists as no filter', async () => {
    // Act
    const selection = await selectAccounts(directory, { accounts: [], ous: [] });

    // Assess
    expect(selection.selected).toHaveLength(4);
  });

  it('counts an account listed on two pages once, selected once and not excluded', async () => {
    // Prepare: the account created during the listing comes back on a later page too
    const paged: AccountDirectory = {
      ...directory,
      async listAccounts(onPage) {
        const pages = [accounts.slice(0, 3), [accounts[2]!, ...accounts.slice(3)]];
        for (const page of pages) onPage?.(page);
        return pages.flat();
      },
    };
    const told: string[] = [];

    // Act
    const selection = await selectAccounts(paged, {}, (account) => told.push(account.id));

    // Assess
    expect(told.sort()).toEqual(['100000000000', '200000000000', '400000000000', '500000000000']);
    expect(selection).toMatchObject({ listed: 5, excluded: 1 });
    expect(selection.notSelected).toHaveLength(1);
  });
});
