import type { AccountDirectory } from '../collect/ports.js';
import type { AuditConfig } from '../config.js';
import type { Account } from '../types.js';
import { UsageError } from './errors.js';

/**
 * The CLI's account filters checked against the organization before the run: an --accounts id
 * that is not an ACTIVE member would silently audit nothing, an --ou id that does not exist
 * would fail the run half-way. The directory is read once: the run reuses what the check read.
 */

/** Organizations' answers for a parent (OU or root) id that is not in the organization. */
const NO_SUCH_PARENT = new Set(['ParentNotFoundException', 'ChildNotFoundException', 'TargetNotFoundException']);

/** The directory with each answer kept for the run (one ListAccounts walk, one walk per OU). */
export function memoizedDirectory(directory: AccountDirectory): AccountDirectory {
  let accounts: Promise<Account[]> | undefined;
  let management: Promise<string> | undefined;
  const ous = new Map<string, Promise<string[]>>();
  return {
    // The first caller gets the pages as they are read; later ones the whole list, once read.
    listAccounts: (onPage) => (accounts ??= directory.listAccounts(onPage)),
    managementAccountId: () => (management ??= directory.managementAccountId()),
    accountsInOu(ouId) {
      let ids = ous.get(ouId);
      if (!ids) ous.set(ouId, (ids = directory.accountsInOu(ouId)));
      return ids;
    },
  };
}

function errorNames(error: unknown): string[] {
  const names: string[] = [];
  for (let e = error; e instanceof Error && names.length < 10; e = e.cause) names.push(e.name);
  return names;
}

/**
 * Checks --accounts and --ou / --exclude-ou against the organization. Returns a warning naming
 * the --accounts ids left out (not in the organization, or not ACTIVE), or undefined; throws
 * UsageError (exit 2) when no --accounts id is an ACTIVE member, or an OU does not exist.
 * Other errors (access, network) are rethrown for the caller to report.
 */
export async function checkSelection(directory: AccountDirectory, config: Pick<AuditConfig, 'accounts' | 'ous' | 'excludeOus'>): Promise<string | undefined> {
  for (const [flag, ids] of [['--ou', config.ous], ['--exclude-ou', config.excludeOus]] as const) {
    for (const ou of ids ?? []) {
      try {
        await directory.accountsInOu(ou);
      } catch (error) {
        if (errorNames(error).some((n) => NO_SUCH_PARENT.has(n))) {
          throw new UsageError(`${flag}: ${ou} is not an OU (or root) of this organization (\`aws organizations list-roots\` and list-organizational-units-for-parent list them)`, { cause: error });
        }
        throw error;
      }
    }
  }
  if (!config.accounts?.length) return undefined;
  const state = new Map((await directory.listAccounts()).map((a) => [a.id, a.state]));
  const missing = config.accounts.filter((id) => state.get(id) !== 'ACTIVE');
  if (missing.length === 0) return undefined;
  const why = missing.map((id) => `${id} (${state.has(id) ? `${state.get(id)}, not ACTIVE` : 'not in the organization'})`).join(', ');
  if (missing.length === new Set(config.accounts).size) throw new UsageError(`--accounts: no ACTIVE member of the organization among them: ${why}`);
  return `warning: --accounts: not scanned, not an ACTIVE member of the organization: ${why}`;
}
