/**
 * The deliver layer with real SDK clients over HTTP against the local AWS simulator (test/sim):
 * Security Hub sync across two runs, SNS publish of a full-size message, S3 run history.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3HistoryStore } from '../../lib/deliver/history/s3-store.js';
import type { HistoryError } from '../../lib/deliver/history/store.js';
import { buildNotification } from '../../lib/deliver/notify/message.js';
import { SnsNotifier } from '../../lib/deliver/notify/sns-notifier.js';
import { SecurityHubSink, type SecurityHubScope } from '../../lib/deliver/securityhub/sink.js';
import { assumeInto, clientConfig, NO_HUB, PAYMENTS, smallOrg } from '../sim/helpers.js';
import { startSimulator, type Simulator } from '../sim/server.js';
import { aFinding, aReport } from './fixtures.js';
import { anInput, fleet } from './notify/input-fixture.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ org: { ...smallOrg(), buckets: ['audit-history'] } });
});

afterAll(async () => {
  await sim.stop();
});

function sink(): SecurityHubSink {
  return new SecurityHubSink({ clientFactory: (region, credentials) => new SecurityHubClient({ ...clientConfig(sim, { region }), credentials }) });
}

describe('deliver layer over the simulator', () => {
  it('imports findings in the member account, then archives the one gone, keeping FirstObservedAt', async () => {
    // Prepare
    const credentials = await assumeInto(sim, PAYMENTS);
    const scope: SecurityHubScope = { accountId: PAYMENTS, region: 'us-east-1', partition: 'aws', credentials, fate: () => ({ kind: 'resolved', reason: 'fixed' }) };
    const stays = aFinding({ accountId: PAYMENTS, region: 'us-east-1', clusterName: 'payments-use1' });
    const goes = aFinding({ accountId: PAYMENTS, region: 'us-east-1', clusterName: 'payments-selfmanaged-use1', ruleId: 'vpc-cni-self-managed' });
    const first = await sink().sync(scope, [stays, goes], { now: '2026-01-30T02:00:00.000Z', productVersion: '0.1.0' });

    // Act
    const second = await sink().sync(scope, [stays], { now: '2026-01-31T02:00:00.000Z', productVersion: '0.1.0' });

    // Assess
    expect(first).toMatchObject({ imported: 2, archived: 0, failed: [], errors: [] });
    expect(second).toMatchObject({ imported: 1, archived: 1, failed: [], errors: [] });
    const stored = new Map(sim.findings(PAYMENTS, 'us-east-1').map((f) => [f.Id, f]));
    expect(stored.get(stays.id)).toMatchObject({ RecordState: 'ACTIVE', FirstObservedAt: '2026-01-30T02:00:00.000Z', LastObservedAt: '2026-01-31T02:00:00.000Z' });
    expect(stored.get(goes.id)).toMatchObject({ RecordState: 'ARCHIVED', FirstObservedAt: '2026-01-30T02:00:00.000Z', UpdatedAt: '2026-01-31T02:00:00.000Z' });
  });

  it('notes an account without Security Hub instead of failing', async () => {
    // Prepare
    const scope: SecurityHubScope = { accountId: NO_HUB, region: 'us-east-1', partition: 'aws', credentials: await assumeInto(sim, NO_HUB), fate: () => ({ kind: 'resolved', reason: 'fixed' }) };

    // Act
    const result = await sink().sync(scope, [aFinding({ accountId: NO_HUB, region: 'us-east-1' })], { now: '2026-01-31T02:00:00.000Z', productVersion: '0.1.0' });

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.notes.map((n) => n.kind)).toEqual(['securityhub-not-enabled']);
  });

  it("publishes a 5,000-cluster organization's message, which SNS accepts", async () => {
    // Prepare
    const topicArn = 'arn:aws:sns:us-east-1:111111111111:fleet-audit-findings';
    const notifier = new SnsNotifier(new SNSClient(clientConfig(sim)), topicArn);

    // Act
    const { messageId } = await notifier.publish(buildNotification(anInput(fleet(5000), undefined)));

    // Assess
    const published = sim.records.sns.find((p) => p.messageId === messageId);
    expect(published?.messageStructure).toBe('json');
    expect(published?.messageAttributes['newFindings']?.StringValue).toBe('5000');
  });

  it('saves and reads back the run history in S3', async () => {
    // Prepare
    const store = new S3HistoryStore({ client: new S3Client({ ...clientConfig(sim), forcePathStyle: true }), bucket: 'audit-history', prefix: 'fleet-audit/' });

    // Act
    const { location } = await store.save(aReport(), { notified: true });
    const back = await store.lastNotified();

    // Assess
    expect(location).toBe('s3://audit-history/fleet-audit/runs/2026/01/31/run-2026-01-31T02-00-00Z.json');
    expect(back).toEqual(aReport());
    expect([...sim.objects('audit-history').keys()].sort()).toEqual([
      'fleet-audit/last-notified.json',
      'fleet-audit/latest.json',
      'fleet-audit/runs/2026/01/31/run-2026-01-31T02-00-00Z.json',
      'fleet-audit/runs/2026/01/31/run-2026-01-31T02-00-00Z.scopes.json',
      'fleet-audit/runs/2026/01/31/run-2026-01-31T02-00-00Z.trend.json',
    ]);
  });
});

describe('run history over the simulator: a baseline that survives a bad read', () => {
  const history = (prefix: string, errors: HistoryError[] = []) =>
    new S3HistoryStore({ client: new S3Client({ ...clientConfig(sim, { maxAttempts: 1 }), forcePathStyle: true }), bucket: 'audit-history', prefix, onError: (e) => errors.push(e) });
  const night = (n: number) => aReport({ runId: `night-${n}`, startedAt: `2026-02-0${n}T02:00:00.000Z` });

  it('retries a read cut short or not JSON, which the SDK does not retry', async () => {
    // Prepare
    const store = history('retry/');
    await store.save(night(1), { notified: true });
    sim.setFaults({ rules: [{ service: 's3', operation: 'GetObject', truncate: true, times: 1 }, { service: 's3', operation: 'GetObject', malformed: true, times: 1 }] });

    // Act
    const { baseline } = await store.baseline();
    sim.setFaults({});

    // Assess
    expect(baseline).toEqual({ kind: 'last-notified', runId: 'night-1' });
  });

  it('falls back to the newest readable report when the last notified one is corrupt', async () => {
    // Prepare
    const errors: HistoryError[] = [];
    const store = history('fallback/', errors);
    await store.save(night(1), { notified: true });
    await store.save(night(2), { notified: false });
    sim.objects('audit-history').get('fallback/runs/2026/02/01/night-1.json')!.body = Buffer.from('{"schemaVersion":1,"runId":"night-1","findi');

    // Act
    const { report, baseline } = await store.baseline();

    // Assess
    expect(baseline).toMatchObject({ kind: 'fallback', runId: 'night-2' });
    expect(report?.runId).toBe('night-2');
    expect(errors.map((e) => e.code)).toEqual(['CorruptReport']);
  });

  it('says the baseline is unavailable when S3 answers 503 all night, never a first run', async () => {
    // Prepare
    const store = history('unavailable/');
    await store.save(night(1), { notified: true });
    sim.setFaults({ rules: [{ service: 's3', operation: 'GetObject', error: 'ServiceUnavailable', status: 503 }] });

    // Act
    const { report, baseline } = await store.baseline();
    sim.setFaults({});

    // Assess
    expect(report).toBeUndefined();
    expect(baseline.kind).toBe('unavailable');
  });

  it("never moves the pointers back over a newer run's", async () => {
    // Prepare: night 3 started after night 2 and finished first
    const store = history('pointers/');
    await store.save(night(3), { notified: true });

    // Act
    const late = await store.save(night(2), { notified: true });

    // Assess
    expect(late.pointersKept?.map((p) => p.runId)).toEqual(['night-3', 'night-3']);
    expect((await store.latest())?.runId).toBe('night-3');
    expect((await store.lastNotified())?.runId).toBe('night-3');
    expect(sim.objects('audit-history').has('pointers/runs/2026/02/02/night-2.json')).toBe(true);
  });
});
