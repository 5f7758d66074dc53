import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { aggregateEventSchema, parseEvent, partKey, workerEventSchema } from '../../lib/distributed/protocol.js';
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
    expect(parseEvent(workerEventSchema, event, 'scan worker').Items).toHaveLength(1);
    expect(() => parseEvent(workerEventSchema, { Items: [] }, 'scan worker')).toThrow(/not a scan worker event: Items: .*; BatchInput/);
  });

  it('accepts failed batches as the state machine reports them', () => {
    const event = { ...PLAN, parts: [{ key: 'k', accounts: 2 }, { failed: true, error: 'Sandbox.Timedout', cause: 'x', Items: [{ id: '222222222222', name: 'p', state: 'ACTIVE' }] }] };
    expect(parseEvent(aggregateEventSchema, event, 'aggregate').parts).toHaveLength(2);
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
