/**
 * `npm run package` for the deploy tests, offline and without AWS credentials. serverless-esbuild
 * builds in the repository's `.esbuild/` whatever `--package` says, so two packagings at once
 * (two test files in parallel workers) would delete each other's build: they take turns on a lock.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = join(tmpdir(), `eks-fleet-auditor-package-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.lock`);
/** A lock older than this was left by a killed run. */
const STALE_MS = 10 * 60_000;

/** The environment of a CI machine with no AWS account: no keys, no profile, no config file. */
export function withoutAwsCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => !/^AWS_/.test(name)));
  return { ...clean, AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials' };
}

async function acquire(): Promise<void> {
  for (;;) {
    try {
      await (await open(LOCK, 'wx')).close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(LOCK).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_MS) await rm(LOCK, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** `npm run package -- --package OUT [args]` in the repository: the zips and templates land in OUT. */
export async function packageService(out: string, args: readonly string[] = [], timeoutMs = 180_000): Promise<void> {
  await acquire();
  try {
    await run('npm', ['run', 'package', '--', '--package', out, ...args], { cwd: ROOT, env: withoutAwsCredentials(process.env), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } finally {
    await rm(LOCK, { force: true });
  }
}
