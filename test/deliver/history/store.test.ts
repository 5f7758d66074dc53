import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { directoryHistoryBackend, LocalHistoryStore } from '../../../lib/deliver/history/local-store.js';
import { S3HistoryStore } from '../../../lib/deliver/history/s3-store.js';
import type { StoredRunReport } from '../../../lib/deliver/history/delta.js';
import { PointerHistoryStore, type HistoryError } from '../../../lib/deliver/history/store.js';
import { aFinding, aReport } from '../fixtures.js';

const s3 = mockClient(S3Client);
const client = () => new S3Client({ region: 'eu-west-1' });

/** An in-memory bucket behind the S3 mock. */
function bucket(): Map<string, string> {
  const objects = new Map<string, string>();
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    objects.set(`${input.Bucket}/${input.Key}`, await textOf(input.Body));
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const body = objects.get(`${input.Bucket}/${input.Key}`);
    if (body === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    // A Node.js body, as the SDK gives it: reports are read as bytes, pointers as text.
    return { Body: Object.assign(Readable.from([Buffer.from(body)]), { transformToString: async () => body }), ContentLength: Buffer.byteLength(body) };
  });
  return objects;
}

/** A PutObject body as the bucket keeps it: a report comes as a stream of its length. */
async function textOf(body: PutObjectCommandInput['Body']): Promise<string> {
  if (!(body instanceof Readable)) return typeof body === 'string' ? body : Buffer.from(body as Uint8Array).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

beforeEach(() => s3.reset());

describe('store.ts (S3HistoryStore)', () => {
  it('saves the report under runs/YYYY/MM/DD/<runId>.json, its trend and scopes summaries beside it, with latest and last-notified pointers', async () => {
    // Prepare
    const objects = bucket();
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history', prefix: 'fleet' });

    // Act
    const { location } = await store.save(aReport(), { notified: true });

    // Assess
    const key = 'fleet/runs/2026/01/31/run-2026-01-31T02-00-00Z.json';
    expect(location).toBe(`s3://audit-history/${key}`);
    expect([...objects.keys()]).toEqual([
      'audit-history/fleet/runs/2026/01/31/run-2026-01-31T02-00-00Z.trend.json',
      'audit-history/fleet/runs/2026/01/31/run-2026-01-31T02-00-00Z.scopes.json',
      `audit-history/${key}`,
      'audit-history/fleet/latest.json',
      'audit-history/fleet/last-notified.json',
    ]);
    expect(JSON.parse(objects.get('audit-history/fleet/latest.json') ?? '')).toEqual({
      key: 'runs/2026/01/31/run-2026-01-31T02-00-00Z.json',
      runId: 'run-2026-01-31T02-00-00Z',
      startedAt: '2026-01-31T02:00:00.000Z',
    });
  });

  it('reads the previous run back in two GETs', async () => {
    // Prepare
    bucket();
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history' });
    await store.save(aReport(), { notified: true });
    s3.resetHistory();

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toEqual(aReport());
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 2);
  });

  it('moves last-notified only when the notification was delivered', async () => {
    // Prepare
    bucket();
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history' });
    await store.save(aReport({ runId: 'run-1' }), { notified: true });

    // Act
    await store.save(aReport({ runId: 'run-2', startedAt: '2026-02-01T02:00:00.000Z' }), { notified: false });

    // Assess
    expect((await store.latest())?.runId).toBe('run-2');
    expect((await store.lastNotified())?.runId).toBe('run-1');
  });

  it('has no previous run on the first run, and reports nothing', async () => {
    // Prepare
    bucket();
    const errors: HistoryError[] = [];
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history', onError: (e) => errors.push(e) });

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('reports a corrupt previous report and treats it as absent', async () => {
    // Prepare
    const objects = bucket();
    const errors: HistoryError[] = [];
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history', onError: (e) => errors.push(e) });
    await store.save(aReport(), { notified: true });
    const key = 'audit-history/runs/2026/01/31/run-2026-01-31T02-00-00Z.json';
    objects.set(key, JSON.stringify({ ...aReport(), findings: [{ id: 'x' }] }));

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ code: 'CorruptReport', message: expect.stringContaining('s3://audit-history/runs/2026/01/31/run-2026-01-31T02-00-00Z.json') })]);
    expect(errors[0]?.message).toContain('findings.0.ruleId');
  });

  it('refuses a report of another schemaVersion', async () => {
    // Prepare
    const objects = bucket();
    const errors: HistoryError[] = [];
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history', onError: (e) => errors.push(e) });
    await store.save(aReport(), { notified: false });
    objects.set('audit-history/runs/2026/01/31/run-2026-01-31T02-00-00Z.json', JSON.stringify({ ...aReport(), schemaVersion: 2 }));

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['UnsupportedSchemaVersion']);
  });

  it('reports a pointer naming a report that is gone', async () => {
    // Prepare
    const objects = bucket();
    const errors: HistoryError[] = [];
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history', onError: (e) => errors.push(e) });
    objects.set('audit-history/latest.json', JSON.stringify({ key: 'runs/2026/01/31/deleted.json', runId: 'deleted' }));

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['MissingReport']);
  });

  it('reports an unreadable history (AccessDenied) without throwing', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const errors: HistoryError[] = [];
    const store = new S3HistoryStore({ client: client(), bucket: 'audit-history', onError: (e) => errors.push(e) });

    // Act
    const latest = await store.lastNotified();

    // Assess
    expect(latest).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ code: 'ReadFailed', message: expect.stringContaining('s3://audit-history/last-notified.json') })]);
  });
});

describe('local-store.ts (LocalHistoryStore)', () => {
  it('keeps the same layout in a directory and reads it back', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);

    // Act
    const { location } = await store.save(aReport(), { notified: true });

    // Assess
    expect(location).toBe(join(dir, 'runs', '2026', '01', '31', 'run-2026-01-31T02-00-00Z.json'));
    expect(JSON.parse(await readFile(join(dir, 'last-notified.json'), 'utf8')).key).toBe('runs/2026/01/31/run-2026-01-31T02-00-00Z.json');
    expect(await store.lastNotified()).toEqual(aReport());
  });

  it('reports a report that is not JSON and treats it as absent', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const errors: HistoryError[] = [];
    const store = new LocalHistoryStore(dir, { onError: (e) => errors.push(e) });
    await store.save(aReport(), { notified: false });
    await writeFile(join(dir, 'runs', '2026', '01', '31', 'run-2026-01-31T02-00-00Z.json'), '{"schemaVersion": 1, "runId": ');

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['CorruptReport']);
  });

  it('refuses a run id that cannot name a file', async () => {
    // Prepare
    const store = new LocalHistoryStore(await mkdtemp(join(tmpdir(), 'history-')));

    // Act
    const save = store.save(aReport({ runId: '../../etc/passwd' }), { notified: false });

    // Assess
    await expect(save).rejects.toMatchObject({ name: 'HistoryError', code: 'InvalidRunId' });
  });

  it('refuses a run id ending in .trend, whose report would be taken for another run\'s trend summary and never listed', async () => {
    // Prepare: run "a" saved; "a.trend"'s report would land on a.trend.json, run a's summary
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);
    await store.save(aReport({ runId: 'a', startedAt: '2026-01-31T02:00:00.000Z' }), { notified: true });
    const summaryBefore = await readFile(join(dir, 'runs', '2026', '01', '31', 'a.trend.json'), 'utf8');

    // Act
    const save = store.save(aReport({ runId: 'a.trend', startedAt: '2026-01-31T03:00:00.000Z' }), { notified: true });

    // Assess
    await expect(save).rejects.toMatchObject({ name: 'HistoryError', code: 'InvalidRunId', message: expect.stringContaining('a.trend') });
    expect(await readFile(join(dir, 'runs', '2026', '01', '31', 'a.trend.json'), 'utf8')).toBe(summaryBefore);
  });

  it('reads back the last runs oldest first, each validated, an unreadable one reported and in its place', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const errors: HistoryError[] = [];
    const store = new LocalHistoryStore(dir, { onError: (e) => errors.push(e) });
    for (const day of [1, 2, 3, 4]) await store.save(aReport({ runId: `run-${day}`, startedAt: `2026-01-0${day}T02:00:00.000Z` }), { notified: true });
    await writeFile(join(dir, 'runs', '2026', '01', '03', 'run-3.json'), '{"schemaVersion": 2}');

    // Act
    const runs: (string | undefined)[] = [];
    for await (const report of store.recent(3)) runs.push(report?.runId);

    // Assess
    expect(runs).toEqual(['run-2', undefined, 'run-4']);
    expect(errors.map((e) => e.code)).toEqual(['UnsupportedSchemaVersion']);
    expect(errors[0]?.message).toContain('run-3.json');
  });

  it('reads back only the runs before a given one, and of each only the members asked for, without reading that run or later ones', async () => {
    // Prepare: run-3's report is unreadable; a reader that opened it would report it
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const errors: HistoryError[] = [];
    const store = new LocalHistoryStore(dir, { onError: (e) => errors.push(e) });
    for (const day of [1, 2, 3, 4]) await store.save(aReport({ runId: `run-${day}`, startedAt: `2026-01-0${day}T02:00:00.000Z`, findings: [aFinding({ id: `f-${day}` })] }), { notified: true });
    await writeFile(join(dir, 'runs', '2026', '01', '03', 'run-3.json'), 'not JSON');

    // Act
    const runs = [];
    for await (const report of store.recent(5, { before: { runId: 'run-3', startedAt: '2026-01-03T02:00:00.000Z' }, members: ['findings'] })) runs.push(report);

    // Assess
    expect(runs.map((r) => [r?.runId, r?.findings.map((f) => f.id)])).toEqual([['run-1', ['f-1']], ['run-2', ['f-2']]]);
    expect(runs.every((r) => r !== undefined && !('clusters' in r))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('saves a trend summary beside each report, and reads the runs\' trends from the summaries, or from a report saved without one', async () => {
    // Prepare: run-2 saved before summaries existed (its summary removed); run-3's summary is not what it should be
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const errors: HistoryError[] = [];
    const store = new LocalHistoryStore(dir, { onError: (e) => errors.push(e) });
    for (const day of [1, 2, 3, 4]) {
      const findings = [aFinding({ id: `f-${day}`, severity: 'high' }), aFinding({ id: `g-${day}`, severity: 'low' })];
      const report: StoredRunReport = { ...aReport({ runId: `run-${day}`, startedAt: `2026-01-0${day}T02:00:00.000Z`, findings }), newIds: [`f-${day}`], resolved: [{ ...aFinding({ id: `f-${day - 1}` }), resolvedBecause: 'fixed' }] };
      await store.save(report, { notified: true });
    }
    await rm(join(dir, 'runs', '2026', '01', '02', 'run-2.trend.json'));
    await writeFile(join(dir, 'runs', '2026', '01', '03', 'run-3.trend.json'), '{"runId": 3}');
    const summary = JSON.parse(await readFile(join(dir, 'runs', '2026', '01', '01', 'run-1.trend.json'), 'utf8')) as unknown;

    // Act
    const trends = [];
    for await (const run of store.recentTrends(5, { before: { runId: 'run-4', startedAt: '2026-01-04T02:00:00.000Z' } })) trends.push(run);
    const reports = [];
    for await (const report of store.recent(10, { members: ['findings'] })) reports.push(report?.runId);

    // Assess
    expect(summary).toEqual({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z', open: { critical: 0, high: 1, medium: 0, low: 1, informational: 0 }, newIds: ['f-1'], resolved: [{ id: 'f-0', resolvedBecause: 'fixed' }] });
    expect(trends.map((t) => [t?.runId, t?.open.high, t?.newIds, t?.resolved.map((r) => r.id)])).toEqual([
      ['run-1', 1, ['f-1'], ['f-0']],
      ['run-2', 1, ['f-2'], ['f-1']],
      ['run-3', 1, ['f-3'], ['f-2']],
    ]);
    expect(reports).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
    expect(errors).toEqual([]);
  });

  it('reads the trend summaries of the last runs 8 at a time and yields them oldest first, and reports one at a time', async () => {
    // Prepare: 12 runs in a history whose every read takes a moment
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const backend = directoryHistoryBackend(dir);
    let reading = 0;
    let most = 0;
    const slowly = async <T>(read: () => Promise<T>): Promise<T> => {
      most = Math.max(most, ++reading);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await read();
      } finally {
        reading -= 1;
      }
    };
    const store = new PointerHistoryStore({ ...backend, readBytes: (key) => slowly(() => backend.readBytes(key)), read: (key) => slowly(() => backend.read(key)) });
    for (let day = 10; day < 22; day++) {
      await store.save({ ...aReport({ runId: `run-${day}`, startedAt: `2026-01-${day}T02:00:00.000Z`, findings: [aFinding({ id: `f-${day}` })] }), newIds: [`f-${day}`] }, { notified: true });
    }

    // Act
    most = 0;
    const trends = [];
    for await (const run of store.recentTrends(12)) trends.push(run?.runId);
    const trendsAtOnce = most;
    most = 0;
    for await (const report of store.recent(12, { members: ['findings'] })) void report;

    // Assess
    expect(trends).toEqual(Array.from({ length: 12 }, (_, i) => `run-${10 + i}`));
    expect(trendsAtOnce).toBe(8);
    expect(most).toBe(1);
  });

  it('reads the reports of runs saved without a trend summary one at a time, as recent does: a report is MBs, 8 at once would not fit', async () => {
    // Prepare: 12 runs saved before trend summaries existed (their reports are the trend's source)
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const backend = directoryHistoryBackend(dir);
    let reading = 0;
    let most = 0;
    const store = new PointerHistoryStore({
      ...backend,
      readBytes: async (key) => {
        if (key.endsWith('.trend.json') || key.endsWith('.scopes.json')) return backend.readBytes(key);
        most = Math.max(most, ++reading);
        try {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return await backend.readBytes(key);
        } finally {
          reading -= 1;
        }
      },
    });
    for (let day = 10; day < 22; day++) {
      await store.save({ ...aReport({ runId: `run-${day}`, startedAt: `2026-01-${day}T02:00:00.000Z`, findings: [aFinding({ id: `f-${day}` })] }), newIds: [`f-${day}`] }, { notified: true });
      await rm(join(dir, 'runs', '2026', '01', String(day), `run-${day}.trend.json`));
    }

    // Act
    most = 0;
    const trends = [];
    for await (const run of store.recentTrends(12)) trends.push([run?.runId, run?.newIds]);

    // Assess
    expect(trends).toEqual(Array.from({ length: 12 }, (_, i) => [`run-${10 + i}`, [`f-${10 + i}`]]));
    expect(most).toBe(1);
  });

  it('reads a run\'s trend from its report when its summary names another run (a summary copied or left over)', async () => {
    // Prepare: run-2's summary replaced by run-1's, as a copy between days would leave it
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);
    for (const day of [1, 2]) {
      await store.save({ ...aReport({ runId: `run-${day}`, startedAt: `2026-01-0${day}T02:00:00.000Z`, findings: [aFinding({ id: `f-${day}` })] }), newIds: [`f-${day}`] }, { notified: true });
    }
    const first = await readFile(join(dir, 'runs', '2026', '01', '01', 'run-1.trend.json'), 'utf8');
    await writeFile(join(dir, 'runs', '2026', '01', '02', 'run-2.trend.json'), first);

    // Act
    const trends = [];
    for await (const run of store.recentTrends(5)) trends.push(run);

    // Assess
    expect(trends.map((t) => [t?.runId, t?.startedAt, t?.newIds])).toEqual([
      ['run-1', '2026-01-01T02:00:00.000Z', ['f-1']],
      ['run-2', '2026-01-02T02:00:00.000Z', ['f-2']],
    ]);
  });

  it('saves the report and its pointers when its trend summary cannot be written, and says so: the trend reads the report', async () => {
    // Prepare: a history where summaries cannot be written
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const backend = directoryHistoryBackend(dir);
    const errors: HistoryError[] = [];
    const store = new PointerHistoryStore(
      { ...backend, write: (key, text, condition) => (key.endsWith('.trend.json') ? Promise.reject(new Error('AccessDenied')) : backend.write(key, text, condition)) },
      { onError: (e) => errors.push(e) },
    );
    const report = { ...aReport({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z', findings: [aFinding({ id: 'f-1' })] }), newIds: ['f-1'] };

    // Act
    await store.save(report, { notified: true });
    const trends = [];
    for await (const run of store.recentTrends(5)) trends.push(run);

    // Assess
    expect((await store.lastNotified(['findings']))?.runId).toBe('run-1');
    expect(trends.map((t) => [t?.runId, t?.newIds])).toEqual([['run-1', ['f-1']]]);
    expect(errors).toEqual([expect.objectContaining({ code: 'WriteFailed', message: expect.stringContaining('run-1.trend.json') })]);
  });

  it('tells the latest run\'s known scopes from its scopes summary, or from its report when the summary is missing or another run\'s', async () => {
    // Prepare: findings in two account-regions, one carried, one sync left pending
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);
    const report: StoredRunReport = {
      ...aReport({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z', findings: [aFinding({ accountId: '111111111111', region: 'us-east-1' })] }),
      carriedOver: [{ ...aFinding({ accountId: '222222222222', region: 'eu-west-1' }), carriedBecause: 'not re-checked' }],
      securityHubPending: ['333333333333/ap-south-1'],
    };
    await store.save(report, { notified: true });
    const expected = new Set(['111111111111/us-east-1', '222222222222/eu-west-1', '333333333333/ap-south-1']);
    const summaryFile = join(dir, 'runs', '2026', '01', '01', 'run-1.scopes.json');

    // Act
    const fromSummary = await store.latestKnownScopes();
    // A summary of this run that says something else is believed: the report is not read
    await writeFile(summaryFile, JSON.stringify({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z', scopes: ['444444444444/sa-east-1'] }));
    const fromSummaryNotReport = await store.latestKnownScopes();
    await writeFile(summaryFile, JSON.stringify({ runId: 'other', startedAt: '2026-01-01T02:00:00.000Z', scopes: ['999999999999/us-east-1'] }));
    const fromReportWhenForeign = await store.latestKnownScopes();
    await rm(summaryFile);
    const fromReportWhenMissing = await store.latestKnownScopes();

    // Assess
    expect(fromSummary).toEqual(expected);
    expect(fromSummaryNotReport).toEqual(new Set(['444444444444/sa-east-1']));
    expect(fromReportWhenForeign).toEqual(expected);
    expect(fromReportWhenMissing).toEqual(expected);
  });

  it('counts among the known scopes those of later runs saved without moving the latest pointer (its move, or their report, failed)', async () => {
    // Prepare: run-2 imported a finding in a new scope, then could not move the pointer; run-3 could not write its report
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const backend = directoryHistoryBackend(dir);
    let refuse: (key: string) => boolean = () => false;
    const store = new PointerHistoryStore({ ...backend, write: (key, text, condition) => (refuse(key) ? Promise.reject(new Error('SlowDown')) : backend.write(key, text, condition)) });
    const run = (n: number, accountId: string) => aReport({ runId: `run-${n}`, startedAt: `2026-01-0${n}T02:00:00.000Z`, findings: [aFinding({ id: `f-${n}`, accountId, region: 'us-east-1' })] });
    await store.save(run(1, '111111111111'), { notified: true });
    refuse = (key) => key === 'latest.json' || key === 'last-notified.json';
    await expect(store.save(run(2, '222222222222'), { notified: true })).rejects.toMatchObject({ code: 'WriteFailed' });
    refuse = (key) => key === 'runs/2026/01/03/run-3.json';
    await expect(store.save(run(3, '333333333333'), { notified: true })).rejects.toMatchObject({ code: 'WriteFailed' });

    // Act
    const known = await store.latestKnownScopes();

    // Assess: Security Hub holds run-2's and run-3's findings too: the next run reads their scopes
    expect(known).toEqual(new Set(['111111111111/us-east-1', '222222222222/us-east-1', '333333333333/us-east-1']));
  });

  it('counts among the known scopes those a run recorded before importing (intents), of the latest run and later ones, and not of older ones', async () => {
    // Prepare: run-2 is the latest; run-1 (older) and run-3 (died before saving anything) recorded intents
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);
    const run = (n: number) => ({ runId: `run-${n}`, startedAt: `2026-01-0${n}T02:00:00.000Z` });
    await store.save(aReport({ ...run(1), findings: [aFinding({ accountId: '111111111111', region: 'us-east-1' })] }), { notified: true });
    await store.save(aReport({ ...run(2), findings: [aFinding({ accountId: '222222222222', region: 'us-east-1' })] }), { notified: true });
    await store.intents(run(1), 'audit').record(['100000000000/eu-west-1']);
    await store.intents(run(2), 'batch-1').record(['200000000000/eu-west-1']);
    await store.intents(run(3), 'batch-1').record(['300000000000/eu-west-1', '300000000000/eu-west-2']);
    await store.intents(run(3), 'batch-2').record(['310000000000/eu-west-1']);

    // Act
    const known = await store.latestKnownScopes();

    // Assess: run-1 is older than the latest run, whose scopes summary carries on what it knew
    expect(known).toEqual(new Set(['222222222222/us-east-1', '200000000000/eu-west-1', '300000000000/eu-west-1', '300000000000/eu-west-2', '310000000000/eu-west-1']));
    expect(JSON.parse(await readFile(join(dir, 'runs', '2026', '01', '03', 'run-3.intents', 'batch-1.json'), 'utf8'))).toEqual({
      runId: 'run-3',
      startedAt: '2026-01-03T02:00:00.000Z',
      scopes: ['300000000000/eu-west-1', '300000000000/eu-west-2'],
    });
  });

  it('counts the intents of a run that started before the latest one and saved no report: it lost its lease and imported after the latest run read its known scopes', async () => {
    // Prepare: run-2 (a CLI scan with --security-hub on a laptop that slept) lost its lease to
    // run-3; run-3 read its known scopes, then run-2 woke, recorded 200000000000/eu-west-1 and
    // imported there before it saw its lease gone (it saves nothing); run-3 saved
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);
    const run = (n: number) => ({ runId: `run-${n}`, startedAt: `2026-01-0${n}T02:00:00.000Z` });
    await store.save(aReport({ ...run(1), findings: [aFinding({ accountId: '111111111111', region: 'us-east-1' })] }), { notified: true });
    await store.intents(run(2), 'audit').record(['200000000000/eu-west-1']);
    await store.save(aReport({ ...run(3), findings: [aFinding({ accountId: '111111111111', region: 'us-east-1' })] }), { notified: true });

    // Act
    const known = await store.latestKnownScopes();
    // An older dead run's record that cannot be read is left out (reported), not a reason to read everywhere for 400 days
    await writeFile(join(dir, 'runs', '2026', '01', '02', 'run-2.intents', 'batch-9.json'), '{');
    const withCorruptOldRecord = await store.latestKnownScopes();

    // Assess: nothing else tells that Security Hub holds a finding of ours there
    expect(known).toEqual(new Set(['111111111111/us-east-1', '200000000000/eu-west-1']));
    expect(withCorruptOldRecord).toEqual(known);
  });

  it('records no intents on a history\'s first run (the next run would read everywhere), and records them once a run is saved', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const store = new LocalHistoryStore(dir);
    const intentFile = (n: number) => join(dir, 'runs', '2026', '01', `0${n}`, `run-${n}.intents`, 'audit.json');

    // Act
    await store.intents({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z' }, 'audit').record(['111111111111/us-east-1']);
    const firstRun = await readFile(intentFile(1), 'utf8').catch(() => undefined);
    await store.save(aReport({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z' }), { notified: true });
    await store.intents({ runId: 'run-2', startedAt: '2026-01-02T02:00:00.000Z' }, 'audit').record(['222222222222/us-east-1']);

    // Assess
    expect(firstRun).toBeUndefined();
    expect(JSON.parse(await readFile(intentFile(2), 'utf8'))).toMatchObject({ scopes: ['222222222222/us-east-1'] });
  });

  it('reads Security Hub everywhere when a later run\'s intents cannot be read or the history cannot be listed', async () => {
    // Prepare: a latest run, and a later run's intent record that is not one (or another run's)
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const backend = directoryHistoryBackend(dir);
    let listing = true;
    const errors: HistoryError[] = [];
    const store = new PointerHistoryStore({ ...backend, list: (prefix) => (listing ? backend.list(prefix) : Promise.reject(new Error('AccessDenied'))) }, { onError: (e) => errors.push(e) });
    await store.save(aReport({ runId: 'run-1', startedAt: '2026-01-01T02:00:00.000Z', findings: [] }), { notified: true });
    const intentFile = 'runs/2026/01/02/run-2.intents/audit.json';
    const knownBefore = await store.latestKnownScopes();

    // Act
    await backend.write(intentFile, '{"runId":"run-2"');
    const whenCorrupt = await store.latestKnownScopes();
    await backend.write(intentFile, JSON.stringify({ runId: 'run-9', startedAt: '2026-01-02T02:00:00.000Z', scopes: [] }));
    const whenForeign = await store.latestKnownScopes();
    await backend.write(intentFile, JSON.stringify({ runId: 'run-2', startedAt: '2026-01-02T02:00:00.000Z', scopes: ['222222222222/us-east-1'] }));
    const whenGood = await store.latestKnownScopes();
    listing = false;
    const whenUnlisted = await store.latestKnownScopes();

    // Assess
    expect(knownBefore).toEqual(new Set());
    expect(whenCorrupt).toBeUndefined();
    expect(whenForeign).toBeUndefined();
    expect(whenGood).toEqual(new Set(['222222222222/us-east-1']));
    expect(whenUnlisted).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('run-2.intents/audit.json is not a run\'s record of the scopes it imports into'),
      expect.stringContaining('is the record of run run-9'),
      expect.stringContaining('AccessDenied'),
    ]);
  });

  it('refuses a run id its report would share with a summary\'s name', async () => {
    const store = new LocalHistoryStore(await mkdtemp(join(tmpdir(), 'history-')));
    await expect(store.save(aReport({ runId: 'nightly.scopes' }), { notified: false })).rejects.toMatchObject({ code: 'InvalidRunId' });
  });

  it('writes the report as compact JSON with a newline, byte for byte what JSON.stringify writes', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'history-'));
    const report = aReport({ findings: [aFinding({ why: 'v1.7.1 → v1.19.2 … "quoted" \u2028' })] });

    // Act
    await new LocalHistoryStore(dir).save(report, { notified: true });

    // Assess
    expect(await readFile(join(dir, 'runs', '2026', '01', '31', 'run-2026-01-31T02-00-00Z.json'), 'utf8')).toBe(`${JSON.stringify(report)}\n`);
  });
});

describe('s3-store.ts (a report written as a stream)', () => {
  it('sends the report as a stream of its announced length, and sends it again, made anew, after S3 failed', async () => {
    // Prepare: S3 answers the report's first PutObject with a 500
    const objects = bucket();
    const reportKey = 'runs/2026/01/31/run-2026-01-31T02-00-00Z.json';
    let refused = 0;
    s3.on(PutObjectCommand, { Key: reportKey }).callsFake(async (input: PutObjectCommandInput) => {
      const text = await textOf(input.Body);
      if (refused++ === 0) throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
      expect(input.ContentLength).toBe(Buffer.byteLength(text));
      objects.set(`${input.Bucket}/${input.Key}`, text);
      return {};
    });
    const report = aReport({ findings: [aFinding({ why: 'v1.7.1 → v1.19.2 … "quoted"' })] });

    // Act
    await new S3HistoryStore({ client: client(), bucket: 'history', prefix: '' }).save(report, { notified: true });

    // Assess
    expect(refused).toBe(2);
    expect(objects.get(`history/${reportKey}`)).toBe(`${JSON.stringify(report)}\n`);
  });

  it('does not send the report again when S3 refused it (AccessDenied): the save fails, naming the report', async () => {
    // Prepare
    bucket();
    let tries = 0;
    s3.on(PutObjectCommand, { Key: 'runs/2026/01/31/run-2026-01-31T02-00-00Z.json' }).callsFake(async () => {
      tries += 1;
      throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    });

    // Act
    const saving = new S3HistoryStore({ client: client(), bucket: 'history', prefix: '' }).save(aReport(), { notified: true });

    // Assess
    await expect(saving).rejects.toThrow('s3://history/runs/2026/01/31/run-2026-01-31T02-00-00Z.json');
    expect(tries).toBe(1);
  });
});
