import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('main.ts', () => {
  it('prints the endpoint and the env to export, answers, and stops on SIGTERM', async () => {
    // Prepare
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--port', '0', '--org', 'events/demo-org.json'], { cwd: ROOT });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const match = /export AWS_REGION=\S+/.test(out) && /simulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`sim exited early with ${code}: ${out}`)));
    });

    // Act
    const endpoint = await listening;
    const answer = await fetch(`${endpoint}/clusters`);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');

    // Assess
    expect(out).toContain(`export AWS_ENDPOINT_URL=${endpoint}`);
    expect(out).toMatch(/export AWS_ACCESS_KEY_ID=\S+/);
    expect(out).toMatch(/export AWS_SECRET_ACCESS_KEY=\S+/);
    expect(answer.status).toBe(403);
    expect(code).toBe(0);
  });
});
