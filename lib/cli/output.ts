import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Checks --out before anything is scanned or read: a report that cannot be written is known now,
 * not after the organization was read and Security Hub was updated. Throws UsageError (exit 2).
 */
export async function checkOutputPath(out: string): Promise<void> {
  const file = resolve(out);
  const dir = dirname(file);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--out ${out}: is a directory; give a file name`);
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new UsageError(`--out ${out}: the directory ${dir} does not exist (create it first)`);
  if (!parent.isDirectory()) throw new UsageError(`--out ${out}: ${dir} is not a directory`);
  try {
    await access(existing ? file : dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--out ${out}: ${existing ? file : dir} is not writable`, { cause: error });
  }
}

export interface WrittenReport {
  /** Where the report is. */
  path: string;
  /** Set when --out could not be written at the end (its directory removed meanwhile, a full disk): why, and the report went to `path` instead. */
  fallbackBecause?: string;
}

/**
 * Writes the report to --out. The path was checked before the run, but a long scan gives time
 * for its directory to go: the report (the scan's whole result, maybe after Security Hub was
 * updated) is then written to the temporary directory, named after the run, and not lost.
 * Throws only when neither can be written.
 */
export async function writeReport(out: string, text: string, runId: string, tmp: string = tmpdir()): Promise<WrittenReport> {
  try {
    await writeFile(out, text);
    return { path: out };
  } catch (error) {
    const fallback = join(tmp, `fleet-audit-${runId.replace(/[^\w.-]/g, '-')}-${basename(out)}`);
    await writeFile(fallback, text, { mode: 0o600 });
    return { path: fallback, fallbackBecause: `${(error as NodeJS.ErrnoException).code ?? (error as Error).name}: ${(error as Error).message}` };
  }
}
