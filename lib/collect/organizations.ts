import pLimit from 'p-limit';
import {
  DescribeOrganizationCommand,
  ListParentsCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  type Account as OrgAccount,
  type ListAccountsCommandOutput,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { Account } from '../types.js';
import { AccountListingError, MalformedResponseError, describeError } from './errors.js';
import type { AccountDirectory } from './ports.js';

/** ListParents calls in flight when Paths are missing (Organizations allows a few per second). */
const PARENT_LOOKUPS = 4;

export function createAccountDirectory(client: OrganizationsClient): AccountDirectory {
  return {
    async listAccounts(onPage) {
      const accounts: Account[] = [];
      const parentOf = parentLookup(client);
      // Stepped by hand so that only the listing's own failures are named ListAccounts failures.
      const pages: AsyncIterator<ListAccountsCommandOutput> = paginateListAccounts({ client }, {})[Symbol.asyncIterator]();
      for (;;) {
        let page: Account[];
        try {
          const next = await pages.next();
          if (next.done) break;
          page = (next.value.Accounts ?? []).map(toAccount);
        } catch (error) {
          throw new AccountListingError(`Organizations ListAccounts failed: ${describeError(error)}`, { cause: error });
        }
        // Each page is complete (OU paths included) before it is told: suppressions by OU match on it.
        await fillOuPaths(page, parentOf);
        accounts.push(...page);
        onPage?.(page);
      }
      return accounts;
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

/** Each OU's parent, asked once per listing (ListParents, a few in flight: Organizations allows a few per second). */
type ParentLookup = (childId: string) => Promise<string | undefined>;

function parentLookup(client: OrganizationsClient): ParentLookup {
  const limit = pLimit(PARENT_LOOKUPS);
  const parents = new Map<string, Promise<string | undefined>>();
  return (childId) => {
    let parent = parents.get(childId);
    if (!parent) {
      parent = limit(async () => {
        const { Parents } = await client.send(new ListParentsCommand({ ChildId: childId }));
        return Parents?.[0]?.Id;
      });
      parents.set(childId, parent);
    }
    return parent;
  };
}

/**
 * Accounts listed without `Paths` (an older API shape) get their OU path from ListParents, walked
 * up to the root. A failed lookup leaves that account without a path: suppressions by OU then do
 * not match it, and nothing else depends on it.
 */
async function fillOuPaths(accounts: Account[], parentOf: ParentLookup): Promise<void> {
  const missing = accounts.filter((a) => a.ouPath === undefined);
  await Promise.all(
    missing.map(async (account) => {
      try {
        const path: string[] = [];
        for (let id = await parentOf(account.id); id !== undefined && !path.includes(id); id = id.startsWith('r-') ? undefined : await parentOf(id)) {
          path.unshift(id);
        }
        if (path.length === 0) return;
        account.ouPath = path;
        account.ou = path[path.length - 1];
      } catch {
        // Left without a path (see above).
      }
    }),
  );
}

export function toAccount(raw: OrgAccount): Account {
  if (!raw.Id) throw new MalformedResponseError('ListAccounts returned an account without Id');
  const ouPath = ouPathFromPaths(raw.Id, raw.Paths);
  const ou = ouPath?.[ouPath.length - 1];
  return {
    id: raw.Id,
    name: raw.Name ?? raw.Id,
    ...(ou === undefined ? {} : { ou }),
    ...(ouPath === undefined ? {} : { ouPath }),
    ...(raw.Email === undefined ? {} : { email: raw.Email }),
    // Status is being retired in favour of State; older responses only carry Status.
    state: raw.State ?? raw.Status ?? 'UNKNOWN',
  };
}

/** `o-xxx/r-xxx/ou-aaa/ou-bbb/123456789012/` → `[r-xxx, ou-aaa, ou-bbb]` (root first, up to the account's parent). */
function ouPathFromPaths(accountId: string, paths: string[] | undefined): string[] | undefined {
  const segments = paths?.[0]?.split('/').filter((s) => s.length > 0) ?? [];
  const at = segments.lastIndexOf(accountId);
  const path = segments.slice(0, Math.max(0, at)).filter((s) => /^(ou-|r-)/.test(s));
  return path.length > 0 ? path : undefined;
}
