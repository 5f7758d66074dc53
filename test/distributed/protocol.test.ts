import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { aggregateEventSchema, partKey, workerEventSchema } from '../../lib/distributed/protocol.js';
import { EventError, parseEvent } from '../../lib/lambda/event.js';
import { stepFunctionsStarter } from '../../lib/wiring.js';

const PLAN = {
  runId: '2026-11-24T02-00-00-000Z-abc123',
  startedAt: '2026-11-24T02:00:00.000Z',
  bucket: 'history',
  accountsKey: 'fleet-audit/distributed/2026-11-24T02-00-00-000Z-abc123/accounts.json',
  managementId: '111111111111',
  listed: 3,
  excluded: 1,
};

describe('protocol', () => {
  it('reads what the Distributed Map hands a worker and names what is wrong with a bad event', () => {
    // Prepare
    const event = { Items: [{ id: '222222222222', name: 'payments', state: 'ACTIVE' }], BatchInput: { runId: PLAN.runId, startedAt: PLAN.startedAt, bucket: 'history', managementId: null } };

    // Act & Assess
    expect(parseEvent(workerEventSchema, event, 'a scan worker').Items).toHaveLength(1);
    expect(() => parseEvent(workerEventSchema, { Items: [] }, 'a scan worker')).toThrow(/not a scan worker event: Items: .*; BatchInput/);
  });

  it.each([
    ['a key added to the batch', (e: Record<string, any>) => ({ ...e, dryRun: true }), /\(event\): Unrecognized key: "dryRun"/],
    ['a key added to an account', (e: Record<string, any>) => ({ ...e, Items: [{ ...e.Items[0], regions: ['us-east-1'] }] }), /Items\.0: Unrecognized key: "regions"/],
    ['a key added to the batch input', (e: Record<string, any>) => ({ ...e, BatchInput: { ...e.BatchInput, accounts: ['333333333333'] } }), /BatchInput: Unrecognized key: "accounts"/],
    ['null', () => null, /not a scan worker event: \(event\): Invalid input: expected object, received null/],
  ])('refuses a worker event with %s', (_, change, message) => {
    // Prepare
    const event = { Items: [{ id: '222222222222', name: 'payments', state: 'ACTIVE' }], BatchInput: { runId: PLAN.runId, startedAt: PLAN.startedAt, bucket: 'history', managementId: null } };

    // Act
    const parsing = () => parseEvent(workerEventSchema, change(event), 'a scan worker');

    // Assess
    expect(parsing).toThrow(EventError);
    expect(parsing).toThrow(message);
  });

  it('refuses an aggregate event with a key the state machine does not send, in the plan or a part', () => {
    expect(() => parseEvent(aggregateEventSchema, { ...PLAN, parts: [], notify: 'never' }, 'an aggregate')).toThrow(/not an aggregate event: \(event\): Unrecognized key: "notify"/);
    expect(() => parseEvent(aggregateEventSchema, { ...PLAN, parts: [{ key: 'k', accounts: 1, findings: [] }] }, 'an aggregate')).toThrow(/parts\.0/);
    expect(() => parseEvent(aggregateEventSchema, {}, 'an aggregate')).toThrow(/runId: .*; startedAt/);
  });

  it('accepts failed batches as the state machine reports them', () => {
    const event = { ...PLAN, parts: [{ key: 'k', accounts: 2 }, { failed: true, error: 'Sandbox.Timedout', cause: 'x', Items: [{ id: '222222222222', name: 'p', state: 'ACTIVE' }] }] };
    expect(parseEvent(aggregateEventSchema, event, 'an aggregate').parts).toHaveLength(2);
  });

  it('names parts after their first account, under the run', () => {
    expect(partKey('fleet-audit/', 'run-1', [{ id: '222222222222', name: 'p', state: 'ACTIVE' }])).toBe('fleet-audit/distributed/run-1/parts/222222222222-1.json');
  });

  it('starts the execution named after the run, so a retried invoke cannot start it twice', async () => {
    // Prepare
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111111111111:execution:m:run', startDate: new Date() });
    const starter = stepFunctionsStarter(new SFNClient({ region: 'us-east-1' }), 'arn:aws:states:us-east-1:111111111111:stateMachine:m');

    // Act
    const arn = await starter.start(PLAN.runId, PLAN);

    // Assess
    expect(arn).toBe('arn:aws:states:us-east-1:111111111111:execution:m:run');
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:m', name: PLAN.runId, input: JSON.stringify(PLAN) });
  });
});
