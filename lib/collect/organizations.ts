import {
  DescribeOrganizationCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  type Account as OrgAccount,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { Account } from '../types.js';
import { AccountListingError, MalformedResponseError, describeError } from './errors.js';
import type { AccountDirectory } from './ports.js';

export function createAccountDirectory(client: OrganizationsClient): AccountDirectory {
  return {
    async listAccounts() {
      try {
        const accounts: Account[] = [];
        for await (const page of paginateListAccounts({ client }, {})) {
          for (const raw of page.Accounts ?? []) accounts.push(toAccount(raw));
        }
        return accounts;
      } catch (error) {
        throw new AccountListingError(`Organizations ListAccounts failed: ${describeError(error)}`, { cause: error });
      }
    },

    async accountsInOu(ouId) {
      try {
        return await walkOu(client, ouId);
      } catch (error) {
        throw new AccountListingError(`listing the accounts under OU ${ouId} failed: ${describeError(error)}`, {
          cause: error,
          stage: 'list-ou',
        });
      }
    },

    async managementAccountId() {
      try {
        const { Organization } = await client.send(new DescribeOrganizationCommand({}));
        const id = Organization?.MasterAccountId;
        if (!id) throw new MalformedResponseError('DescribeOrganization returned no Organization.MasterAccountId');
        return id;
      } catch (error) {
        throw new AccountListingError(`Organizations DescribeOrganization failed: ${describeError(error)}`, { cause: error });
      }
    },
  };
}

/** Breadth-first over the OU tree; the OUs of one level are listed in parallel. */
async function walkOu(client: OrganizationsClient, rootOuId: string): Promise<string[]> {
  const accountIds = new Set<string>();
  let level = [rootOuId];
  while (level.length > 0) {
    const children = await Promise.all(
      level.map(async (parentId) => {
        for await (const page of paginateListAccountsForParent({ client }, { ParentId: parentId })) {
          for (const account of page.Accounts ?? []) if (account.Id) accountIds.add(account.Id);
        }
        const childOus: string[] = [];
        for await (const page of paginateListChildren({ client }, { ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT' })) {
          for (const child of page.Children ?? []) if (child.Id) childOus.push(child.Id);
        }
        return childOus;
      }),
    );
    level = children.flat();
  }
  return [...accountIds];
}

export function toAccount(raw: OrgAccount): Account {
  if (!raw.Id) throw new MalformedResponseError('ListAccounts returned an account without Id');
  const ou = parentFromPaths(raw.Id, raw.Paths);
  return {
    id: raw.Id,
    name: raw.Name ?? raw.Id,
    ...(ou === undefined ? {} : { ou }),
    ...(raw.Email === undefined ? {} : { email: raw.Email }),
    // Status is being retired in favour of State; older responses only carry Status.
    state: raw.State ?? raw.Status ?? 'UNKNOWN',
  };
}

/** `o-xxx/r-xxx/ou-aaa/ou-bbb/123456789012/` → `ou-bbb` (the segment before the account id). */
function parentFromPaths(accountId: string, paths: string[] | undefined): string | undefined {
  const segments = paths?.[0]?.split('/').filter((s) => s.length > 0) ?? [];
  const at = segments.lastIndexOf(accountId);
  const parent = at > 0 ? segments[at - 1] : undefined;
  return parent && /^(ou-|r-)/.test(parent) ? parent : undefined;
}
