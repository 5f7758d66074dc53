import type { Account, AccountCheck } from '../types.js';
import { compareText } from './order.js';
import type { AccountDirectory } from './ports.js';

export interface AccountFilters {
  /** Include only these ids (empty or unset: every account). */
  accounts?: string[];
  excludeAccounts?: string[];
  /** Include only accounts somewhere under these OUs (empty or unset: every OU). */
  ous?: string[];
  excludeOus?: string[];
  /**
   * The filters narrow one run (a manual event, a CLI filter) rather than configure the audit:
   * accounts they leave out are outside this run (their findings carried), not excluded from
   * the audit (their findings leave it).
   */
  narrowed?: boolean;
}

export interface AccountSelection {
  listed: number;
  /** ACTIVE accounts that pass every filter, sorted by id. */
  selected: Account[];
  /** Filtered out, or not ACTIVE. */
  excluded: number;
  /** Every listed account not selected, with why (suspended, excluded, outside a narrowed run). */
  notSelected: AccountCheck[];
}

/**
 * Lists and filters the organization's accounts. With `onSelected`, each selected account is told
 * as soon as its ListAccounts page is read (after the OU subtrees a filter needs are walked), so a
 * scan can start on the first page; the returned selection is the whole one, sorted by id.
 * Rejects as the directory does (AccountListingError).
 */
export async function selectAccounts(directory: AccountDirectory, filters: AccountFilters, onSelected?: (account: Account) => void): Promise<AccountSelection> {
  const include = nonEmptySet(filters.accounts);
  const exclude = new Set(filters.excludeAccounts ?? []);
  const selected: Account[] = [];
  const notSelected: AccountCheck[] = [];
  const seen = new Set<string>();
  let ouFilters: [Set<string> | undefined, Set<string> | undefined] | undefined;
  const waiting: Account[][] = [];

  const take = (page: readonly Account[]) => {
    const [includedByOu, excludedByOu] = ouFilters!;
    for (const account of page) {
      if (seen.has(account.id)) continue;
      seen.add(account.id);
      let filtered: string | undefined;
      if (include !== undefined && !include.has(account.id)) filtered = 'not among the accounts to audit';
      else if (exclude.has(account.id)) filtered = 'among the accounts excluded from the audit';
      else if (includedByOu !== undefined && !includedByOu.has(account.id)) filtered = 'not under the OUs to audit';
      else if (excludedByOu?.has(account.id)) filtered = 'under an OU excluded from the audit';
      if (account.state !== 'ACTIVE') notSelected.push({ accountId: account.id, status: 'suspended', reason: `the account is ${account.state}` });
      else if (filtered !== undefined) notSelected.push({ accountId: account.id, status: filters.narrowed ? 'outside-run' : 'excluded', reason: filtered });
      else {
        selected.push(account);
        onSelected?.(account);
      }
    }
  };
  // Pages read before the OU subtrees are known wait for them.
  const onPage = (page: readonly Account[]) => (ouFilters ? take(page) : waiting.push([...page]));
  const [all] = await Promise.all([
    directory.listAccounts(onPage),
    Promise.all([accountsUnder(directory, filters.ous), accountsUnder(directory, filters.excludeOus)]).then((sets) => {
      ouFilters = sets;
      for (const page of waiting.splice(0)) take(page);
    }),
  ]);
  // A directory that does not tell pages (or skipped some) gives them here.
  take(all);
  selected.sort((a, b) => compareText(a.id, b.id));
  // An account listed twice (on two pages) counts once.
  return { listed: seen.size, selected, excluded: seen.size - selected.length, notSelected };
}

/** The accounts under any of the OUs; undefined when no OU is given (no filter). */
async function accountsUnder(directory: AccountDirectory, ous: string[] | undefined): Promise<Set<string> | undefined> {
  if (!ous?.length) return undefined;
  const lists = await Promise.all([...new Set(ous)].map((ou) => directory.accountsInOu(ou)));
  return new Set(lists.flat());
}

function nonEmptySet(ids: string[] | undefined): Set<string> | undefined {
  return ids?.length ? new Set(ids) : undefined;
}
