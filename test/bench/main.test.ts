import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Measurement } from './measurement.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the bench with `args`; resolves with its exit code, its stdout parsed (one JSON object per line) and its stderr. */
async function bench(args: string[]): Promise<{ code: number | null; runs: Measurement[]; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/main.ts', ...args], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, runs: out.trim() ? out.trim().split('\n').map((line) => JSON.parse(line) as Measurement) : [], err };
}

/** Keeps `npm run bench` from rotting: a tiny organization, fast calls, no figures asserted. */
describe('main.ts', () => {
  it('measures against the floor the ratio goals were set with (--floor-clients minimal), saying so, with the product\'s calls replayed', { timeout: 120_000 }, async () => {
    // Act
    const { code, runs, err } = await bench(['--accounts', '5', '--latency', '2', '--no-naive', '--no-calibrate', '--floor-clients', 'minimal', '--json']);

    // Assess
    expect(code, err).toBe(0);
    const [handler] = runs;
    expect(handler?.scenario.floorClients).toBe('minimal');
    expect(handler?.sdkFloor?.calls).toBeGreaterThanOrEqual(Math.floor((handler?.calls.total ?? 0) * 0.95));
    expect(handler?.cpuRatioToSdkFloor).toBeGreaterThan(0);
  });

  it('refuses a floor it does not know, naming the option', async () => {
    // Act
    const { code, err } = await bench(['--accounts', '5', '--floor-clients', 'naive']);

    // Assess
    expect(code).not.toBe(0);
    expect(err).toContain('--floor-clients');
  });

  it('measures the handler and the naive scan of a 5-account organization and prints one JSON object per run', { timeout: 120_000 }, async () => {
    // Prepare
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/main.ts', '--accounts', '5', '--latency', '2', '--json'], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));

    // Act
    const [code] = (await once(child, 'exit')) as [number | null];

    // Assess
    expect(code, err).toBe(0);
    const runs = out.trim().split('\n').map((line) => JSON.parse(line) as Measurement);
    expect(runs.map((r) => r.kind)).toEqual(['handler', 'naive']);
    for (const run of runs) {
      expect(run).toMatchObject({ scenario: { accounts: 5, latencyMs: 2 }, org: { accountsListed: 5 } });
      expect(run.wallSeconds).toBeGreaterThan(0);
      expect(run.peakRssMB).toBeGreaterThan(run.rssBaselineMB - 1);
      expect(run.bound.ms).toBeGreaterThan(0);
      expect(run.ratio).toBeGreaterThan(0);
      expect(run.cpuFloor?.cpuMsPerCall).toBeGreaterThan(0);
      expect(Object.keys(run.calls.byOperation)).toEqual(expect.arrayContaining(['sts:AssumeRole', 'eks:ListClusters', 'eks:DescribeCluster']));
      expect(run.run && 'clusters' in run.run).toBe(true);
    }
    const [handler] = runs;
    expect(handler?.run).toMatchObject({ clusters: { scanned: handler?.org.clusters }, delivery: { notification: { sent: true } } });
    expect(handler?.phasesSeconds).toBeDefined();
    expect(Object.keys(handler?.calls.byOperation ?? {})).toEqual(expect.arrayContaining(['securityhub:BatchImportFindings', 'sns:Publish', 's3:PutObject']));
  });
});
