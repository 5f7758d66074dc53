import {
  BatchImportFindingsCommand,
  GetFindingsCommand,
  InternalException,
  InvalidAccessException,
  SecurityHubClient,
  SecurityHubServiceException,
} from '@aws-sdk/client-securityhub';
import type { AwsSecurityFinding, BatchImportFindingsCommandInput } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { toAsff } from '../../../lib/deliver/securityhub/asff.js';
import { SecurityHubSink } from '../../../lib/deliver/securityhub/sink.js';
import type { SecurityHubScope } from '../../../lib/deliver/securityhub/sink.js';
import type { Clock } from '../../../lib/deliver/securityhub/pacing.js';
import { aFinding } from '../fixtures.js';

const securityHub = mockClient(SecurityHubClient);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };
/** Every finding not observed was re-checked: a fixed cluster. */
const scope: SecurityHubScope = { accountId: '111122223333', region: 'eu-west-1', partition: 'aws', credentials, fate: () => ({ kind: 'resolved', reason: 'fixed' }) };
const ctx = { now: '2026-01-31T02:00:00.000Z', productVersion: '0.1.0' };

/** Time that only moves when someone sleeps: pacing is checked without waiting. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}

function sinkWith(clock = fakeClock()) {
  const regions: string[] = [];
  const sink = new SecurityHubSink({
    clientFactory: (region, creds) => {
      regions.push(region);
      return new SecurityHubClient({ region, credentials: creds });
    },
    clock,
  });
  return { sink, regions };
}

function findings(n: number) {
  return Array.from({ length: n }, (_, i) => aFinding({ clusterName: `cluster-${String(i).padStart(3, '0')}` }));
}

/** What a previous run left in Security Hub, as GetFindings returns it. */
function existing(clusterName: string, firstObservedAt: string): AwsSecurityFinding {
  return {
    ...toAsff(aFinding({ clusterName }), { now: '2026-01-30T02:00:00.000Z', firstObservedAt, createdAt: firstObservedAt, productVersion: '0.0.9' }),
    ProcessedAt: '2026-01-30T02:00:03.000Z',
    Workflow: { Status: 'NEW' },
  };
}

function imported(): AwsSecurityFinding[][] {
  return securityHub.commandCalls(BatchImportFindingsCommand).map((call) => (call.args[0].input as BatchImportFindingsCommandInput).Findings ?? []);
}

beforeEach(() => {
  securityHub.reset();
  securityHub.on(GetFindingsCommand).resolves({ Findings: [] });
  securityHub.on(BatchImportFindingsCommand).callsFake((input: BatchImportFindingsCommandInput) => ({
    SuccessCount: input.Findings?.length ?? 0,
    FailedCount: 0,
    FailedFindings: [],
  }));
});

describe('sink.ts', () => {
  it('reads only our findings of the account and Region (ACTIVE and ARCHIVED, in one read), in the cluster Region', async () => {
    // Prepare
    const { sink, regions } = sinkWith();

    // Act
    await sink.sync(scope, findings(1), ctx);

    // Assess
    expect(regions).toEqual(['eu-west-1']);
    expect(securityHub).toHaveReceivedCommandWith(GetFindingsCommand, {
      Filters: {
        ProductArn: [{ Value: 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default', Comparison: 'EQUALS' }],
        GeneratorId: [{ Value: 'eks-fleet-auditor/', Comparison: 'PREFIX' }],
        AwsAccountId: [{ Value: '111122223333', Comparison: 'EQUALS' }],
        Region: [{ Value: 'eu-west-1', Comparison: 'EQUALS' }],
      },
    });
  });

  it('imports 250 findings in 3 batches of at most 100', async () => {
    // Prepare
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, findings(250), ctx);

    // Assess
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 3);
    expect(imported().map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(new Set(imported().flat().map((f) => f.Id)).size).toBe(250);
    expect(result).toMatchObject({ imported: 250, archived: 0, failed: [], errors: [], notes: [] });
  });

  it('keeps FirstObservedAt and CreatedAt of findings already in Security Hub, and sets them to now for new ones', async () => {
    // Prepare
    securityHub.on(GetFindingsCommand).resolves({ Findings: [existing('cluster-000', '2025-11-01T00:00:00.000Z')] });
    const { sink } = sinkWith();

    // Act
    await sink.sync(scope, findings(2), ctx);

    // Assess
    const [old, fresh] = imported().flat();
    expect(old).toMatchObject({ FirstObservedAt: '2025-11-01T00:00:00.000Z', CreatedAt: '2025-11-01T00:00:00.000Z', UpdatedAt: ctx.now, LastObservedAt: ctx.now });
    expect(fresh).toMatchObject({ FirstObservedAt: ctx.now, CreatedAt: ctx.now, UpdatedAt: ctx.now });
  });

  it('finds existing findings on every page of GetFindings', async () => {
    // Prepare
    securityHub
      .on(GetFindingsCommand)
      .resolvesOnce({ Findings: [existing('cluster-000', '2025-11-01T00:00:00.000Z')], NextToken: 'page-2' })
      .resolvesOnce({ Findings: [existing('cluster-001', '2025-12-01T00:00:00.000Z')] });
    const { sink } = sinkWith();

    // Act
    await sink.sync(scope, findings(2), ctx);

    // Assess
    expect(securityHub).toHaveReceivedNthCommandWith(GetFindingsCommand, 2, { NextToken: 'page-2' });
    expect(imported().flat().map((f) => f.FirstObservedAt)).toEqual(['2025-11-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z']);
  });

  it('archives findings no longer observed whose rule and cluster were re-checked, keeping their observation times', async () => {
    // Prepare
    const gone = existing('decommissioned', '2025-10-01T00:00:00.000Z');
    securityHub.on(GetFindingsCommand).resolves({ Findings: [gone] });
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, findings(1), ctx);

    // Assess
    const archivedCopy = imported().flat().find((f) => f.Id === gone.Id);
    expect(archivedCopy).toMatchObject({
      RecordState: 'ARCHIVED',
      UpdatedAt: ctx.now,
      FirstObservedAt: '2025-10-01T00:00:00.000Z',
      LastObservedAt: gone.LastObservedAt,
    });
    expect(archivedCopy?.Workflow).toBeUndefined();
    expect(result).toMatchObject({ imported: 1, archived: 1, archivedFindings: [{ finding: expect.objectContaining({ id: gone.Id, clusterName: 'decommissioned' }), reason: 'fixed' }] });
  });

  it('asks the fate of each finding by its rule and cluster, and archives only the resolved and the archivable departed', async () => {
    // Prepare
    const notRead = existing('not-read', '2025-10-01T00:00:00.000Z');
    const otherRule = { ...existing('team-rule', '2025-10-01T00:00:00.000Z'), GeneratorId: 'eks-fleet-auditor/team-rule', ProductFields: { 'eks-fleet-auditor/RuleId': 'team-rule', 'eks-fleet-auditor/ClusterName': 'team-rule' } };
    const excluded = existing('excluded', '2025-10-01T00:00:00.000Z');
    const suspended = existing('suspended', '2025-10-01T00:00:00.000Z');
    securityHub.on(GetFindingsCommand).resolves({ Findings: [notRead, otherRule, excluded, suspended] });
    const asked: string[] = [];
    const fate: SecurityHubScope['fate'] = (key) => {
      asked.push(`${key.ruleId}@${key.clusterName}`);
      if (key.ruleId === 'team-rule') return { kind: 'other-rule' };
      if (key.clusterName === 'excluded') return { kind: 'departed', reason: 'the account is excluded from the audit', archivable: true };
      if (key.clusterName === 'suspended') return { kind: 'departed', reason: 'the account is SUSPENDED', archivable: false };
      return { kind: 'not-rechecked', reason: 'aws-node unreadable: 403 Forbidden' };
    };
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync({ ...scope, fate }, [], ctx);

    // Assess
    expect(asked.sort()).toEqual(['team-rule@team-rule', ...['excluded', 'not-read', 'suspended'].map((c) => `${aFinding().ruleId}@${c}`)].sort());
    expect(imported().flat().map((f) => [f.Resources?.[0]?.Details?.AwsEksCluster?.Name, f.RecordState])).toEqual([['excluded', 'ARCHIVED']]);
    expect(result).toMatchObject({ imported: 0, archived: 1, kept: 2, otherRules: 1 });
  });

  it('keeps the first observation of a finding that returns after it was archived', async () => {
    // Prepare
    const back: AwsSecurityFinding = { ...existing('cluster-000', '2025-06-01T00:00:00.000Z'), RecordState: 'ARCHIVED' };
    securityHub.on(GetFindingsCommand).resolves({ Findings: [back] });
    const { sink } = sinkWith();

    // Act
    await sink.sync(scope, findings(1), ctx);

    // Assess
    expect(imported().flat()).toEqual([expect.objectContaining({ Id: back.Id, RecordState: 'ACTIVE', FirstObservedAt: '2025-06-01T00:00:00.000Z', CreatedAt: '2025-06-01T00:00:00.000Z' })]);
  });

  it('sends the FailedFindings again, only them, then reports those still refused', async () => {
    // Prepare
    const current = findings(5);
    const [, second, third] = current.map((f) => f.id);
    securityHub
      .on(BatchImportFindingsCommand)
      .resolvesOnce({
        SuccessCount: 3,
        FailedCount: 2,
        FailedFindings: [
          { Id: second, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding rejected' },
          { Id: third, ErrorCode: 'ServiceUnavailable', ErrorMessage: 'Try again' },
        ],
      })
      .resolvesOnce({ SuccessCount: 1, FailedCount: 1, FailedFindings: [{ Id: second, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding rejected' }] })
      .resolvesOnce({ SuccessCount: 0, FailedCount: 1, FailedFindings: [{ Id: second, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding rejected' }] });
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, current, ctx);

    // Assess
    expect(imported().map((batch) => batch.map((f) => f.Id))).toEqual([current.map((f) => f.id), [second, third], [second]]);
    expect(result.failed).toEqual([{ id: second, code: 'InvalidInput', message: 'Finding rejected' }]);
    expect(result.imported).toBe(4);
  });

  it('reports Security Hub not enabled as a coverage note, not an error', async () => {
    // Prepare
    securityHub.on(GetFindingsCommand).rejects(new InvalidAccessException({ message: 'Account 111122223333 is not subscribed to AWS Security Hub', $metadata: {} }));
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, findings(3), ctx);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.notes).toEqual([expect.objectContaining({ accountId: '111122223333', region: 'eu-west-1', kind: 'securityhub-not-enabled' })]);
    expect(securityHub).not.toHaveReceivedCommand(BatchImportFindingsCommand);
  });

  it('imports nothing when the existing findings cannot be read, and says why', async () => {
    // Prepare
    securityHub.on(GetFindingsCommand).rejects(new SecurityHubServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized to perform securityhub:GetFindings', $metadata: {} }));
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, findings(3), ctx);

    // Assess
    expect(securityHub).not.toHaveReceivedCommand(BatchImportFindingsCommand);
    expect(result.errors).toEqual([
      expect.objectContaining({ accountId: '111122223333', region: 'eu-west-1', stage: 'deliver-securityhub', code: 'AccessDeniedException' }),
    ]);
  });

  it('reports a failed request as an error with its findings, without sending it again', async () => {
    // Prepare
    securityHub.on(BatchImportFindingsCommand).rejects(new InternalException({ message: 'Internal failure', $metadata: {} }));
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, findings(2), ctx);

    // Assess
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
    expect(result.errors).toEqual([expect.objectContaining({ stage: 'deliver-securityhub', code: 'InternalException' })]);
    expect(result.failed.map((f) => f.code)).toEqual(['InternalException', 'InternalException']);
    expect(result.imported).toBe(0);
  });

  it('leaves out findings of another account or Region, as an error', async () => {
    // Prepare
    const { sink } = sinkWith();

    // Act
    const result = await sink.sync(scope, [aFinding(), aFinding({ region: 'us-east-1' })], ctx);

    // Assess
    expect(imported().flat().map((f) => f.Id)).toEqual([aFinding().id]);
    expect(result.errors).toEqual([expect.objectContaining({ code: 'OutOfScope' })]);
  });

  it('paces requests within 10 per second after a burst of 30', async () => {
    // Prepare
    const clock = fakeClock();
    const { sink } = sinkWith(clock);

    // Act
    await sink.sync(scope, findings(3_300), ctx);

    // Assess
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 33);
    expect(clock.slept).toEqual([100, 100, 100]);
  });
});
