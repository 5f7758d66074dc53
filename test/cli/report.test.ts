import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { LocalHistoryStore } from '../../lib/deliver/history/local-store.js';
import { S3HistoryStore } from '../../lib/deliver/history/s3-store.js';
import { S3Client } from '@aws-sdk/client-s3';
import type { StoredRunReport } from '../../lib/deliver/history/delta.js';
import { aFinding, aReport } from '../deliver/fixtures.js';
import { pageDataOf } from '../report/html/read-page.js';
import { startSimulator, SIM_MANAGEMENT_CREDENTIALS, type Simulator } from '../sim/server.js';

const night = (day: number, findings = [aFinding()]): StoredRunReport => ({
  ...aReport({ runId: `run-2026-01-0${day}`, startedAt: `2026-01-0${day}T02:00:00.000Z`, findings }),
  newIds: day === 1 ? findings.map((f) => f.id) : [],
});

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), isTty: false });
  return { code, out, err };
}

async function historyOf(nights: StoredRunReport[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'report-history-'));
  const store = new LocalHistoryStore(dir);
  for (const n of nights) await store.save(n, { notified: true });
  return dir;
}

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ org: 'events/demo-org.json', port: 0 });
});
afterAll(async () => {
  await sim.stop();
});

describe('report', () => {
  it('renders the latest run of a --history-dir with the trend of the runs before it, without scanning', async () => {
    // Prepare
    const dir = await historyOf([night(1), night(2), night(3, [])]);
    const out = join(dir, 'fleet.html');

    // Act
    const { code, err } = await run('report', '--history-dir', dir, '--out', out, '--runs', '2');

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    const data = pageDataOf(await readFile(out, 'utf8'));
    expect(data.run.runId).toBe('run-2026-01-03');
    expect(data.trend.points.map((p) => [p.runId, p.open.high])).toEqual([['run-2026-01-02', 1], ['run-2026-01-03', 0]]);
  });

  it('prints CSV and JSON of the latest run', async () => {
    // Prepare
    const dir = await historyOf([night(1)]);

    // Act
    const csv = await run('report', '--history-dir', dir, '--format', 'csv');
    const json = await run('report', '--history-dir', dir, '--format', 'json');

    // Assess
    expect(csv.out.split('\r\n')[1]).toContain(aFinding().id);
    expect((JSON.parse(json.out) as StoredRunReport).runId).toBe('run-2026-01-01');
  });

  it('reads the stack\'s history bucket with --history-bucket and --history-prefix', async () => {
    // Prepare
    const client = new S3Client({ region: 'us-east-1', endpoint: sim.endpoint, forcePathStyle: true, credentials: SIM_MANAGEMENT_CREDENTIALS });
    const store = new S3HistoryStore({ client, bucket: 'acme-fleet-audit-history', prefix: 'fleet-audit/' });
    for (const n of [night(1), night(2)]) await store.save(n, { notified: true });
    const env = { AWS_ACCESS_KEY_ID: SIM_MANAGEMENT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SIM_MANAGEMENT_CREDENTIALS.secretAccessKey };
    Object.assign(process.env, env);

    // Act
    const { code, out } = await run('report', '--history-bucket', 'acme-fleet-audit-history', '--region', 'us-east-1', '--endpoint', sim.endpoint);

    // Assess
    expect(code).toBe(0);
    expect(pageDataOf(out).trend.points).toHaveLength(2);
    client.destroy();
  });

  it('refuses with exit 2 and a message naming the flag: no history, two histories, nothing saved, a bad --runs', async () => {
    // Prepare
    const empty = await mkdtemp(join(tmpdir(), 'report-empty-'));

    // Act
    const none = await run('report');
    const both = await run('report', '--history-dir', empty, '--history-bucket', 'b-ucket');
    const nothing = await run('report', '--history-dir', empty);
    const runs = await run('report', '--history-dir', empty, '--runs', '0');
    const prefix = await run('report', '--history-bucket', 'my-bucket', '--history-prefix', '../x', '--region', 'us-east-1');

    // Assess
    expect([none.code, both.code, nothing.code, runs.code, prefix.code]).toEqual([2, 2, 2, 2, 2]);
    expect(none.err).toContain('--history-dir DIR or --history-bucket NAME');
    expect(nothing.err).toContain('no run saved in');
    expect(runs.err).toContain('--runs 0');
    expect(prefix.err).toContain('--history-prefix');
  });

  it('refuses before reading anything (exit 2, one line): an --out it cannot write, an --endpoint without scheme, a prefix without a bucket, a bucket that does not exist', async () => {
    // Prepare
    const dir = await historyOf([night(1)]);
    const missingDir = join(dir, 'no-such-dir', 'fleet.html');
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: SIM_MANAGEMENT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SIM_MANAGEMENT_CREDENTIALS.secretAccessKey });

    // Act
    const missing = await run('report', '--history-dir', dir, '--out', missingDir);
    const directory = await run('report', '--history-dir', dir, '--out', dir);
    const endpoint = await run('report', '--history-bucket', 'acme-fleet-audit-history', '--region', 'us-east-1', '--endpoint', '127.0.0.1:4566');
    const prefix = await run('report', '--history-dir', dir, '--history-prefix', 'audit/');
    const bucket = await run('report', '--history-bucket', 'nope-bucket', '--region', 'us-east-1', '--endpoint', sim.endpoint);

    // Assess
    expect(missing).toMatchObject({ code: 2, out: '', err: `fleet-audit: --out ${missingDir}: the directory ${join(dir, 'no-such-dir')} does not exist (create it first)\n` });
    expect(directory).toMatchObject({ code: 2, out: '', err: `fleet-audit: --out ${dir}: is a directory; give a file name\n` });
    expect(endpoint).toMatchObject({ code: 2, err: expect.stringMatching(/^fleet-audit: --endpoint 127\.0\.0\.1:4566: give a URL with its scheme/) });
    expect(prefix).toMatchObject({ code: 2, err: 'fleet-audit: --history-prefix needs --history-bucket (the bucket the prefix is in)\n' });
    expect(bucket.code).toBe(2);
    expect(bucket.err).toMatch(/^fleet-audit: --history-bucket nope-bucket: no such bucket\. Give the stack's HistoryBucket output/);
    expect(bucket.err.split('\n')).toHaveLength(2);
  });

  it('exits 4 naming the file when the latest report cannot be read', async () => {
    // Prepare
    const dir = await historyOf([night(1)]);
    await writeFile(join(dir, 'runs', '2026', '01', '01', 'run-2026-01-01.json'), '{"schemaVersion": 1, "runId": ');

    // Act
    const { code, err } = await run('report', '--history-dir', dir);

    // Assess
    expect(code).toBe(4);
    expect(err).toContain('run-2026-01-01.json');
  });
});
