import type { Account } from '../types.js';
import { compareText } from './order.js';
import type { AccountDirectory } from './ports.js';

export interface AccountFilters {
  /** Include only these ids (empty or unset: every account). */
  accounts?: string[];
  excludeAccounts?: string[];
  /** Include only accounts somewhere under these OUs (empty or unset: every OU). */
  ous?: string[];
  excludeOus?: string[];
}

export interface AccountSelection {
  listed: number;
  /** ACTIVE accounts that pass every filter, sorted by id. */
  selected: Account[];
  /** Filtered out, or not ACTIVE. */
  excluded: number;
}

export async function selectAccounts(directory: AccountDirectory, filters: AccountFilters): Promise<AccountSelection> {
  const [all, includedByOu, excludedByOu] = await Promise.all([
    directory.listAccounts(),
    accountsUnder(directory, filters.ous),
    accountsUnder(directory, filters.excludeOus),
  ]);
  const include = nonEmptySet(filters.accounts);
  const exclude = new Set(filters.excludeAccounts ?? []);
  const selected = all
    .filter(
      (a) =>
        a.state === 'ACTIVE' &&
        (include === undefined || include.has(a.id)) &&
        !exclude.has(a.id) &&
        (includedByOu === undefined || includedByOu.has(a.id)) &&
        !excludedByOu?.has(a.id),
    )
    .sort((a, b) => compareText(a.id, b.id));
  return { listed: all.length, selected, excluded: all.length - selected.length };
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
