/**
 * `npm run bench:cold-start [-- --package DIR] [--runs N] [--json]`: each function's zip from
 * `npm run package` (one zip per function), its size, and the init of its bundle measured locally
 * — a fresh Node process importing the handler module from the unzipped package, as the Lambda
 * runtime does before the first invoke (Lambda's "Init Duration" adds the runtime's own start).
 * Measured with and without --enable-source-maps (the functions run with it: NODE_OPTIONS).
 * Not part of `npm test` (test/deploy/package.test.ts runs every zip's handler, without timing it).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { readZip } from '../deploy/zip.js';
import { positiveInteger } from './options.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface BundleInit {
  /** The zip's name: the function's key in serverless.yml. */
  function: string;
  zipBytes: number;
  unzippedBytes: number;
  /** The handler bundle (.mjs) and its source map. */
  bundleBytes: number;
  mapBytes: number;
  /** Median ms to import the handler in a fresh process, with and without --enable-source-maps: wall time. */
  initMs: { sourceMaps: number; plain: number };
  /** The same imports' CPU time (user + system), steadier than wall time on a shared machine. */
  initCpuMs: { sourceMaps: number; plain: number };
  runs: number;
}

/** Unzips a function's package into `dir`; returns the handler bundle's path inside it. */
async function unzipFunction(zipFile: string, dir: string): Promise<{ handler: string; unzippedBytes: number; bundleBytes: number; mapBytes: number }> {
  let unzippedBytes = 0;
  let handler = '';
  for (const entry of readZip(await readFile(zipFile)).filter((e) => !e.name.endsWith('/'))) {
    await mkdir(join(dir, dirname(entry.name)), { recursive: true });
    await writeFile(join(dir, entry.name), entry.read());
    unzippedBytes += entry.size;
    if (/^functions\/[^/]+\.mjs$/.test(entry.name)) handler = join(dir, entry.name);
  }
  if (!handler) throw new Error(`${zipFile}: no functions/*.mjs bundle`);
  const mapBytes = await stat(`${handler}.map`).then((s) => s.size, () => 0);
  return { handler, unzippedBytes, bundleBytes: (await stat(handler)).size, mapBytes };
}

/** Imports the handler in a fresh process, as the Lambda runtime would; returns the wall and CPU ms the import took. */
async function importHandler(handler: string, taskRoot: string, sourceMaps: boolean): Promise<{ wallMs: number; cpuMs: number }> {
  const script = [
    'const t0 = performance.now(); const c0 = process.cpuUsage();',
    `const m = await import(${JSON.stringify(pathToFileURL(handler).href)});`,
    "if (typeof m.handler !== 'function') throw new Error('no handler export');",
    'const cpu = process.cpuUsage(c0);',
    'process.stdout.write(JSON.stringify({ wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 }));',
  ].join(' ');
  const { stdout } = await run(process.execPath, [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script], {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH ?? '',
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'cold-start',
      POWERTOOLS_SERVICE_NAME: 'eks-fleet-auditor',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { wallMs: number; cpuMs: number };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Measures every function zip in a package directory. */
async function measurePackage(packageDir: string, runs: number): Promise<BundleInit[]> {
  const zips = (await readdir(packageDir)).filter((f) => f.endsWith('.zip')).sort();
  const work = await mkdtemp(join(tmpdir(), 'cold-start-'));
  try {
    const results: BundleInit[] = [];
    for (const zip of zips) {
      const taskRoot = join(work, zip.replace(/\.zip$/, ''));
      const unzipped = await unzipFunction(join(packageDir, zip), taskRoot);
      const withMaps: { wallMs: number; cpuMs: number }[] = [];
      const plain: { wallMs: number; cpuMs: number }[] = [];
      // Interleaved, so load on a shared machine hits both alike.
      for (let i = 0; i < runs; i++) {
        withMaps.push(await importHandler(unzipped.handler, taskRoot, true));
        plain.push(await importHandler(unzipped.handler, taskRoot, false));
      }
      results.push({
        function: zip.replace(/\.zip$/, ''),
        zipBytes: (await stat(join(packageDir, zip))).size,
        unzippedBytes: unzipped.unzippedBytes,
        bundleBytes: unzipped.bundleBytes,
        mapBytes: unzipped.mapBytes,
        initMs: { sourceMaps: median(withMaps.map((m) => m.wallMs)), plain: median(plain.map((m) => m.wallMs)) },
        initCpuMs: { sourceMaps: median(withMaps.map((m) => m.cpuMs)), plain: median(plain.map((m) => m.cpuMs)) },
        runs,
      });
    }
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

function formatBundleInits(results: readonly BundleInit[]): string {
  const lines = [
    '| function | zip | unzipped | bundle | source map | init, --enable-source-maps: wall · CPU | init without: wall · CPU |',
    '|---|---|---|---|---|---|---|',
  ];
  const ms = (wall: number, cpu: number) => `${wall.toFixed(0)} · ${cpu.toFixed(0)} ms`;
  for (const r of results) {
    lines.push(
      `| ${r.function} | ${mb(r.zipBytes)} | ${mb(r.unzippedBytes)} | ${mb(r.bundleBytes)} | ${mb(r.mapBytes)} | ${ms(r.initMs.sourceMaps, r.initCpuMs.sourceMaps)} | ${ms(r.initMs.plain, r.initCpuMs.plain)} |`,
    );
  }
  return `${lines.join('\n')}\n(median of ${results[0]?.runs ?? 0} fresh processes each, Node ${process.versions.node}, load average ${loadavg()[0]?.toFixed(1)})`;
}

const opts = new Command()
  .name('bench:cold-start')
  .description("Each function's zip: sizes and the init of its bundle, measured locally")
  .option('--package <dir>', 'a directory `npm run package -- --package DIR` wrote (default: package now, into a temporary directory)')
  .option('--runs <n>', 'fresh processes per bundle and mode', positiveInteger, 9)
  .option('--json', 'one JSON array')
  .parse()
  .opts<{ package?: string; runs: number; json?: boolean }>();
const packageDir = opts.package ?? (await mkdtemp(join(tmpdir(), 'cold-start-package-')));
try {
  // Any organization id: it only fills the AssumeRole condition of the template.
  if (!opts.package) await run('npm', ['run', 'package', '--', '--package', packageDir, '--param=organizationId=o-a1b2c3d4e5'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const results = await measurePackage(packageDir, opts.runs);
  console.log(opts.json ? JSON.stringify(results) : formatBundleInits(results));
} finally {
  if (!opts.package) await rm(packageDir, { recursive: true, force: true });
}
