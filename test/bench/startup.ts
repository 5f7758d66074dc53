/**
 * `npm run bench:startup [-- --runs N] [--json]`: how long `fleet-audit --help` and `--version`
 * take to start, installed from the packed tarball (as a user installs it) — beside bare
 * `node -e ''` and the checkout's bin, which runs the TypeScript through tsx. Not part of
 * `npm test` (test/cli/fleet-audit.int.test.ts installs the same way, without timing).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { packAndInstall } from '../support/installed-package.js';
import { positiveInteger } from './options.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface StartupMeasurement {
  command: string;
  medianMs: number;
  maxMs: number;
  runs: number;
}

/** Wall time of one process, from spawn to exit (what a person waits for). */
function timeOnce(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env }, (error) => (error ? reject(error) : resolve(Number(process.hrtime.bigint() - start) / 1e6)));
  });
}

async function measure(command: string, file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, runs: number): Promise<StartupMeasurement> {
  await timeOnce(file, args, cwd, env); // warm the file cache: the first start of the day is not what we compare
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeOnce(file, args, cwd, env));
  times.sort((a, b) => a - b);
  return { command, medianMs: times[Math.floor(runs / 2)]!, maxMs: times.at(-1)!, runs };
}

const opts = new Command()
  .name('bench:startup')
  .description('Start-up of the installed fleet-audit (--help, --version), beside bare node and the checkout')
  .option('--runs <n>', 'processes per command', positiveInteger, 15)
  .option('--json', 'one JSON array')
  .parse()
  .opts<{ runs: number; json?: boolean }>();

const dir = await mkdtemp(join(tmpdir(), 'fleet-startup-'));
try {
  const installed = await packAndInstall(dir, 300_000);
  const env = { PATH: [installed.binDir, dirname(process.execPath), '/usr/bin', '/bin'].join(':'), HOME: installed.outside };
  const results = [
    await measure("node -e ''", process.execPath, ['-e', ''], installed.outside, env, opts.runs),
    await measure('fleet-audit --help (installed)', join(installed.binDir, 'fleet-audit'), ['--help'], installed.outside, env, opts.runs),
    await measure('fleet-audit --version (installed)', join(installed.binDir, 'fleet-audit'), ['--version'], installed.outside, env, opts.runs),
    await measure('node bin/fleet-audit.js --help (checkout, tsx)', process.execPath, [join(ROOT, 'bin/fleet-audit.js'), '--help'], ROOT, process.env, opts.runs),
  ];
  if (opts.json) console.log(JSON.stringify(results));
  else {
    console.log(`Start-up, median and slowest of ${opts.runs} processes each (Node ${process.versions.node}); target: fleet-audit --help under 500 ms`);
    for (const r of results) console.log(`  ${r.command.padEnd(48)} ${r.medianMs.toFixed(0).padStart(5)} ms  (max ${r.maxMs.toFixed(0)} ms)`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
