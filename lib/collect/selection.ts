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

export async function selectAccounts(directory: AccountDirectory, filters: AccountFilters): Promise<AccountSelection> {
  const [all, includedByOu, excludedByOu] = await Promise.all([
    directory.listAccounts(),
    accountsUnder(directory, filters.ous),
    accountsUnder(directory, filters.excludeOus),
  ]);
  const include = nonEmptySet(filters.accounts);
  const exclude = new Set(filters.excludeAccounts ?? []);
  const filteredOut = (a: Account): string | undefined => {
    if (include !== undefined && !include.has(a.id)) return 'not among the accounts to audit';
    if (exclude.has(a.id)) return 'among the accounts excluded from the audit';
    if (includedByOu !== undefined && !includedByOu.has(a.id)) return 'not under the OUs to audit';
    if (excludedByOu?.has(a.id)) return 'under an OU excluded from the audit';
    return undefined;
  };
  const selected: Account[] = [];
  const notSelected: AccountCheck[] = [];
  for (const account of all) {
    const filtered = filteredOut(account);
    if (account.state !== 'ACTIVE') notSelected.push({ accountId: account.id, status: 'suspended', reason: `the account is ${account.state}` });
    else if (filtered === undefined) selected.push(account);
    else notSelected.push({ accountId: account.id, status: filters.narrowed ? 'outside-run' : 'excluded', reason: filtered });
  }
  selected.sort((a, b) => compareText(a.id, b.id));
  return { listed: all.length, selected, excluded: all.length - selected.length, notSelected };
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
