/**
 * The deliver layer with real SDK clients over HTTP against the local AWS simulator (test/sim):
 * Security Hub sync across two runs, SNS publish of a full-size message, S3 run history.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3HistoryStore } from '../../lib/deliver/history/s3-store.js';
import { buildNotification } from '../../lib/deliver/notify/message.js';
import { SnsNotifier } from '../../lib/deliver/notify/sns-notifier.js';
import { SecurityHubSink } from '../../lib/deliver/securityhub/sink.js';
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
    const scope = { accountId: PAYMENTS, region: 'us-east-1', partition: 'aws', credentials, complete: true };
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
    const scope = { accountId: NO_HUB, region: 'us-east-1', partition: 'aws', credentials: await assumeInto(sim, NO_HUB), complete: true };

    // Act
    const result = await sink().sync(scope, [aFinding({ accountId: NO_HUB, region: 'us-east-1' })], { now: '2026-01-31T02:00:00.000Z', productVersion: '0.1.0' });

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.notes.map((n) => n.kind)).toEqual(['securityhub-not-enabled']);
  });

  it("publishes a 5,000-cluster organization's message, which SNS accepts", async () => {
    // Prepare
    const topicArn = 'arn:aws:sns:us-east-1:111111111111:fleet-audit';
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
    ]);
  });
});
