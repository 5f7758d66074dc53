/**
 * The benchmark's child processes: the simulator (`tsx test/sim/main.ts`) and the measured run
 * (product-child.ts bundled with esbuild, as the Lambda is deployed: no TypeScript loader in its
 * memory), each alone in its process so that the run's peak RSS and CPU time are its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { CALLS_PATH, type CallCount } from '../sim/server.js';
import { RESULT_MARKER, type ChildRequest, type ChildResult } from './protocol.js';
import { lambdaHeapFlags } from './measurement.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export class BenchProcessError extends Error {
  override readonly name = 'BenchProcessError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function node(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * local-lambda.ts imports the simulator for simulatorEnv, which only the parent calls: the bundle
 * gets an empty stand-in, so the simulator's code (and its TLS files) stay out of the measured process.
 */
const withoutSimulator: Plugin = {
  name: 'without-simulator',
  setup(b) {
    b.onResolve({ filter: /\/sim\/server\.js$/ }, () => ({ path: 'simulator', namespace: 'bench-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'bench-stub' }, () => ({ contents: 'export const SIM_MANAGEMENT_CREDENTIALS = {};', loader: 'js' }));
  },
};

/**
 * Bundles a measured child (test/bench/`entry`.ts: product-child, distributed-child) into `dir`
 * with a source map, as serverless.yml bundles the handler; returns the bundle's path.
 */
export async function buildChild(dir: string, entry = 'product-child'): Promise<string> {
  const outfile = join(dir, `${entry}.mjs`);
  await build({
    // As serverless.yml's custom.esbuild builds the functions: the map's size is memory once loaded.
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    entryPoints: [join(ROOT, `test/bench/${entry}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS dependencies call require(); an ES module bundle has none of its own.
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
    plugins: [withoutSimulator],
    logLevel: 'error',
  });
  return outfile;
}

/** Collects a child's output as text (kept for error messages and for parsing). */
function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return { out: () => out, err: () => err };
}

export interface SimChild {
  endpoint: string;
  calls(): Promise<CallCount[]>;
  /** CPU seconds the simulator used so far (Linux /proc; undefined elsewhere). */
  cpuSeconds(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startSimChild(orgFile: string): Promise<SimChild> {
  const child = node(['--import', 'tsx', 'test/sim/main.ts', '--org', orgFile, '--port', '0']);
  const output = collect(child);
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const match = /simulator listening on (http:\/\/\S+)/.exec(output.out());
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new BenchProcessError(`the simulator exited with ${code} before listening: ${output.err() || output.out()}`)));
  });
  return {
    endpoint,
    calls: async () => (await (await fetch(`${endpoint}${CALLS_PATH}`)).json()) as CallCount[],
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** utime + stime of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s). */
async function cpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

let requests = 0;

/** Runs one measured run in its own process (the bundle from buildChild); `logs` are its Powertools log lines (JSON). */
export async function runChild<Request extends Pick<ChildRequest, 'env'> & { mode: string } = ChildRequest, Result = ChildResult>(
  bundle: string,
  request: Request,
  options: { heapLimitMB?: number; memorySizeMB?: number; sourceMaps: boolean; cpuProfDir?: string },
): Promise<{ result: Result; logs: Record<string, unknown>[] }> {
  const heap = options.memorySizeMB === undefined ? [] : lambdaHeapFlags(options.memorySizeMB);
  const flags = [
    // The Lambda runs with NODE_OPTIONS=--enable-source-maps (serverless.yml): every Error's stack is mapped.
    ...(options.sourceMaps ? ['--enable-source-maps'] : []),
    ...(options.heapLimitMB === undefined ? heap : [...heap.filter((f) => !f.startsWith('--max-old-space-size=')), `--max-old-space-size=${options.heapLimitMB}`]),
    // Named by mode: the floor's profile beside the handler's shows what the product adds.
    ...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${request.mode}-${process.pid}-${Date.now()}.cpuprofile`]),
  ];
  // The bundle is not next to rules/: the loader's own override points it there.
  // The run's environment is the process's from the start, as Lambda's is: what modules read when
  // they load (tracing, the SDK's settings) sees it.
  // The request goes through a file: a floor's list of calls is too long for a command line.
  // Numbered: children started in parallel (the distributed run's workers) may share a millisecond.
  const requestFile = `${bundle}.${process.pid}-${Date.now()}-${++requests}.request.json`;
  await writeFile(requestFile, JSON.stringify(request));
  const child = node([...flags, bundle, requestFile], { ...process.env, ...request.env, FLEET_AUDIT_RULES_DIR: join(ROOT, 'rules') });
  const output = collect(child);
  const [code] = (await once(child, 'exit')) as [number | null];
  const lines = output.out().split('\n');
  const marked = lines.find((line) => line.startsWith(RESULT_MARKER));
  if (code !== 0 || !marked) {
    throw new BenchProcessError(`the ${request.mode} run exited with ${code}: ${output.err().slice(-2000) || output.out().slice(-2000)}`);
  }
  const logs = lines.filter((line) => line.startsWith('{')).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { result: JSON.parse(marked.slice(RESULT_MARKER.length)) as Result, logs };
}
