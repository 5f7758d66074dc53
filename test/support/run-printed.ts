/**
 * Runs a printed command as a person pasting it would: through bash, with stub `aws`, `kubectl`
 * and `helm` that record their arguments (nothing reaches AWS or a cluster), and the shell
 * variables the plan asks for in the environment. jq, where a command uses it, is the real one.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrintedRun {
  /** Exit status of the command line. */
  status: number;
  stderr: string;
  /** Each stub call, in order: the program and its arguments, exactly as the shell passed them. */
  calls: { program: string; args: string[] }[];
}

// Each argument NUL-terminated (an empty one too), each call ended by a \x01.
const STUB = `#!/bin/sh\n{ printf '%s\\0' "$(basename "$0")"; for a in "$@"; do printf '%s\\0' "$a"; done; printf '\\001'; } >> "$STUB_LOG"\n`;

export function runPrinted(command: string, variables: Record<string, string> = {}, cwd?: string): PrintedRun {
  const dir = mkdtempSync(join(tmpdir(), 'printed-'));
  try {
    for (const program of ['aws', 'kubectl', 'helm']) {
      writeFileSync(join(dir, program), STUB);
      chmodSync(join(dir, program), 0o755);
    }
    const log = join(dir, 'calls');
    writeFileSync(log, '');
    const result = spawnSync('bash', ['-c', command], {
      cwd: cwd ?? dir,
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH ?? ''}`, HOME: dir, STUB_LOG: log, ...variables },
    });
    const calls = readFileSync(log, 'utf8')
      .split('\u0001')
      .filter((c) => c !== '')
      .map((c) => {
        const [program, ...args] = c.slice(0, -1).split('\0');
        return { program: program!, args };
      });
    return { status: result.status ?? -1, stderr: result.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The value a recorded call gave an option (`--configuration-values`). */
export function optionValue(call: { args: string[] }, option: string): string | undefined {
  const i = call.args.indexOf(option);
  return i >= 0 ? call.args[i + 1] : undefined;
}
