import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListParentsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountListingError } from '../../lib/collect/errors.js';
import { createAccountDirectory } from '../../lib/collect/organizations.js';
import { awsError } from './fake-org.js';

const organizations = mockClient(OrganizationsClient);
const directory = () => createAccountDirectory(new OrganizationsClient({ region: 'us-east-1' }));

afterEach(() => {
  organizations.reset();
});

describe('organizations.ts', () => {
  it('lists every account across pages, reading State and falling back to the retired Status', async () => {
    // Prepare
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({
        Accounts: [
          { Id: '111111111111', Name: 'one', Email: 'one@example.com', State: 'ACTIVE', Status: 'SUSPENDED' },
          { Id: '222222222222', Name: 'two', Status: 'SUSPENDED' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Accounts: [
          { Id: '333333333333', Name: 'three', State: 'PENDING_CLOSURE' },
          { Id: '444444444444', Paths: ['o-abc/r-root/ou-prod/ou-prod-eu/444444444444/'] },
        ],
      });

    // Act
    const accounts = await directory().listAccounts();

    // Assess
    expect(accounts).toEqual([
      { id: '111111111111', name: 'one', email: 'one@example.com', state: 'ACTIVE' },
      { id: '222222222222', name: 'two', state: 'SUSPENDED' },
      { id: '333333333333', name: 'three', state: 'PENDING_CLOSURE' },
      { id: '444444444444', name: '444444444444', ou: 'ou-prod-eu', ouPath: ['r-root', 'ou-prod', 'ou-prod-eu'], state: 'UNKNOWN' },
    ]);
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
    expect(organizations).toHaveReceivedNthCommandWith(ListAccountsCommand, 2, { NextToken: 'page-2' });
  });

  it('walks ListParents up to the root for accounts listed without Paths, asking each OU once', async () => {
    // Prepare
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '111111111111', Name: 'one', State: 'ACTIVE' },
        { Id: '222222222222', Name: 'two', State: 'ACTIVE' },
        { Id: '333333333333', Name: 'three', State: 'ACTIVE' },
      ],
    });
    const parents: Record<string, string> = { '111111111111': 'ou-ab12-pay', '222222222222': 'ou-ab12-pay', '333333333333': 'r-ab12', 'ou-ab12-pay': 'ou-ab12-prod', 'ou-ab12-prod': 'r-ab12' };
    for (const [child, parent] of Object.entries(parents)) {
      organizations.on(ListParentsCommand, { ChildId: child }).resolves({ Parents: [{ Id: parent, Type: parent.startsWith('r-') ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] });
    }

    // Act
    const accounts = await directory().listAccounts();

    // Assess
    expect(accounts.map((a) => [a.id, a.ou, a.ouPath])).toEqual([
      ['111111111111', 'ou-ab12-pay', ['r-ab12', 'ou-ab12-prod', 'ou-ab12-pay']],
      ['222222222222', 'ou-ab12-pay', ['r-ab12', 'ou-ab12-prod', 'ou-ab12-pay']],
      ['333333333333', 'r-ab12', ['r-ab12']],
    ]);
    expect(organizations).toHaveReceivedCommandTimes(ListParentsCommand, 5);
  });

  it('throws an AccountListingError carrying the cause when ListAccounts fails', async () => {
    // Prepare
    const cause = awsError('AccessDeniedException', 'not authorized to perform organizations:ListAccounts');
    organizations.on(ListAccountsCommand).rejects(cause);

    // Act
    const listing = directory().listAccounts();

    // Assess
    await expect(listing).rejects.toMatchObject({ name: 'AccountListingError', stage: 'list-accounts', cause });
  });

  it('lists the accounts of a whole OU subtree, nested OUs and paginated pages included', async () => {
    // Prepare
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-prod' })
      .resolvesOnce({ Accounts: [{ Id: '111111111111' }], NextToken: 't' })
      .resolvesOnce({ Accounts: [{ Id: '222222222222' }] });
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-prod-eu' }).resolves({ Accounts: [{ Id: '333333333333' }] });
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-prod-us' }).resolves({ Accounts: [] });
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-prod-eu-x' }).resolves({ Accounts: [{ Id: '444444444444' }] });
    organizations.on(ListChildrenCommand).resolves({ Children: [] });
    organizations
      .on(ListChildrenCommand, { ParentId: 'ou-prod' })
      .resolvesOnce({ Children: [{ Id: 'ou-prod-eu', Type: 'ORGANIZATIONAL_UNIT' }], NextToken: 'c' })
      .resolvesOnce({ Children: [{ Id: 'ou-prod-us', Type: 'ORGANIZATIONAL_UNIT' }] });
    organizations.on(ListChildrenCommand, { ParentId: 'ou-prod-eu' }).resolves({ Children: [{ Id: 'ou-prod-eu-x' }] });

    // Act
    const ids = await directory().accountsInOu('ou-prod');

    // Assess
    expect(ids.sort()).toEqual(['111111111111', '222222222222', '333333333333', '444444444444']);
    expect(organizations).toHaveReceivedCommandWith(ListChildrenCommand, { ParentId: 'ou-prod', ChildType: 'ORGANIZATIONAL_UNIT' });
    expect(organizations).toHaveReceivedCommandWith(ListChildrenCommand, { ParentId: 'ou-prod-eu-x', ChildType: 'ORGANIZATIONAL_UNIT' });
  });

  it('names the OU in the error when its subtree cannot be listed', async () => {
    // Prepare
    organizations.on(ListAccountsForParentCommand).rejects(awsError('ParentNotFoundException'));
    organizations.on(ListChildrenCommand).resolves({ Children: [] });

    // Act
    const listing = directory().accountsInOu('ou-gone');

    // Assess
    await expect(listing).rejects.toBeInstanceOf(AccountListingError);
    await expect(listing).rejects.toMatchObject({ stage: 'list-ou', message: expect.stringContaining('ou-gone') });
  });

  it('reads the management account id from DescribeOrganization', async () => {
    // Prepare
    organizations.on(DescribeOrganizationCommand).resolves({ Organization: { MasterAccountId: '999999999999' } });

    // Act
    const id = await directory().managementAccountId();

    // Assess
    expect(id).toBe('999999999999');
  });
});
