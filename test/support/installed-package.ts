/**
 * The package as a user gets it: `npm pack` (its prepack builds lib/ to dist/), then
 * `npm install --global` of the tarball into a prefix of its own, from a directory outside the clone.
 *
 * It is packed from a copy of the sources: prepack rewrites package.json without its scripts until
 * postpack, and a test running `npm run …` in the clone meanwhile would find no script.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface InstalledPackage {
  /** The paths the tarball holds, as npm pack lists them. */
  files: string[];
  /** `<prefix>/bin`, where the `fleet-audit` command is. */
  binDir: string;
  prefix: string;
  /** A directory outside the clone to run from. */
  outside: string;
}

/** What npm pack's scripts and the tarball read from a checkout (node_modules is linked, not copied). */
const PACKED_SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', 'lib', 'rules', 'scripts'];

/** A copy of the checkout's package sources in `dir`/source, with the clone's node_modules linked. */
async function packageSources(dir: string): Promise<string> {
  const source = join(dir, 'source');
  await mkdir(source, { recursive: true });
  await Promise.all(PACKED_SOURCES.map((path) => cp(join(ROOT, path), join(source, path), { recursive: true })));
  await symlink(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  return source;
}

export async function packAndInstall(dir: string, timeoutMs: number): Promise<InstalledPackage> {
  const source = await packageSources(dir);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: source, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  const [pack] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const outside = join(dir, 'work');
  const prefix = join(dir, 'prefix');
  await mkdir(outside, { recursive: true });
  // The dependencies come from the npm cache that `npm ci` filled, else the registry.
  await run('npm', ['install', '--global', '--prefix', prefix, join(dir, pack!.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: outside, timeout: timeoutMs });
  return { files: pack!.files.map((f) => f.path), binDir: join(prefix, 'bin'), prefix, outside };
}
