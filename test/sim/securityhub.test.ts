import { BatchImportFindingsCommand, GetFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { assumeInto, clientConfig, NO_HUB, PAYMENTS, rejectionOf, smallOrg } from './helpers.js';

const PRODUCT = `arn:aws:securityhub:us-east-1:${PAYMENTS}:product/${PAYMENTS}/default`;

function finding(id: string, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: PRODUCT,
    GeneratorId: `eks-fleet-auditor/${id.split('/')[0]}`,
    AwsAccountId: PAYMENTS,
    Types: ['Software and Configuration Checks/Vulnerabilities/CVE'],
    CreatedAt: '2026-11-24T00:00:00Z',
    UpdatedAt: '2026-11-24T00:00:00Z',
    Severity: { Label: 'HIGH' },
    Title: `Finding ${id}`,
    Description: 'The vpc-cni add-on is affected.',
    Resources: [{ Type: 'AwsEksCluster', Id: `arn:aws:eks:us-east-1:${PAYMENTS}:cluster/payments-use1` }],
    ProductFields: { 'fleet-audit/ruleId': id.split('/')[0]! },
    ...overrides,
  };
}

describe('securityhub.ts', () => {
  let sim: Simulator;
  let hub: SecurityHubClient;

  beforeAll(async () => {
    sim = await startSimulator({ org: smallOrg() });
    hub = new SecurityHubClient(clientConfig(sim, { credentials: await assumeInto(sim, PAYMENTS) }));
  });
  afterAll(() => sim.stop());

  it('stores imported findings by Id, replacing a re-imported Id, and records the call', async () => {
    // Prepare
    const first = [finding('cni-ipamd/a'), finding('cni-old/b')];

    // Act
    const out = await hub.send(new BatchImportFindingsCommand({ Findings: first }));
    await hub.send(new BatchImportFindingsCommand({ Findings: [finding('cni-old/b', { RecordState: 'ARCHIVED' })] }));

    // Assess
    expect(out).toMatchObject({ SuccessCount: 2, FailedCount: 0, FailedFindings: [] });
    expect(sim.findings(PAYMENTS, 'us-east-1').map((f) => [f.Id, f['RecordState']])).toEqual([
      ['cni-ipamd/a', 'ACTIVE'],
      ['cni-old/b', 'ARCHIVED'],
    ]);
    expect(sim.records.securityHubImports.map((i) => [i.accountId, i.region, i.findings.length])).toEqual([
      [PAYMENTS, 'us-east-1', 2],
      [PAYMENTS, 'us-east-1', 1],
    ]);
  });

  it('filters GetFindings by EQUALS and PREFIX on strings and ProductFields', async () => {
    // Act
    const byPrefix = await hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: 'cni-', Comparison: 'PREFIX' }] } }));
    const active = await hub.send(new GetFindingsCommand({ Filters: { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }] } }));
    const byField = await hub.send(
      new GetFindingsCommand({
        Filters: {
          ProductFields: [{ Key: 'fleet-audit/ruleId', Value: 'cni-old', Comparison: 'EQUALS' }],
          GeneratorId: [{ Value: 'eks-fleet-auditor/', Comparison: 'PREFIX' }],
          AwsAccountId: [{ Value: PAYMENTS, Comparison: 'EQUALS' }],
          ProductArn: [{ Value: PRODUCT, Comparison: 'EQUALS' }],
        },
      }),
    );

    // Assess
    expect(byPrefix.Findings?.map((f) => f.Id)).toEqual(['cni-ipamd/a', 'cni-old/b']);
    expect(active.Findings?.map((f) => f.Id)).toEqual(['cni-ipamd/a']);
    expect(byField.Findings?.map((f) => f.Id)).toEqual(['cni-old/b']);
  });

  it('pages GetFindings and refuses MaxResults above 100', async () => {
    // Act
    const first = await hub.send(new GetFindingsCommand({ MaxResults: 1 }));
    const second = await hub.send(new GetFindingsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    const error = await rejectionOf(hub.send(new GetFindingsCommand({ MaxResults: 101 })));

    // Assess
    expect([first.Findings?.[0]?.Id, second.Findings?.[0]?.Id, second.NextToken]).toEqual(['cni-ipamd/a', 'cni-old/b', undefined]);
    expect(error.name).toBe('InvalidInputException');
  });

  it('rejects an import of more than 100 findings with InvalidInputException', async () => {
    // Prepare
    const many = Array.from({ length: 101 }, (_, i) => finding(`bulk/${i}`));

    // Act
    const error = await rejectionOf(hub.send(new BatchImportFindingsCommand({ Findings: many })));

    // Assess
    expect(error.name).toBe('InvalidInputException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sim.findings(PAYMENTS, 'us-east-1').some((f) => f.Id.startsWith('bulk/'))).toBe(false);
  });

  it('fails findings for another account, another product or without required fields, and keeps the rest', async () => {
    // Act
    const out = await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding('ok/1'),
          finding('wrong-account/1', { AwsAccountId: '999999999999' }),
          finding('wrong-product/1', { ProductArn: `arn:aws:securityhub:eu-west-1:${PAYMENTS}:product/${PAYMENTS}/default` }),
          finding('no-title/1', { Title: undefined }),
        ],
      }),
    );

    // Assess
    expect(out.SuccessCount).toBe(1);
    expect(out.FailedFindings?.map((f) => [f.Id, f.ErrorCode])).toEqual([
      ['wrong-account/1', 'AccessDeniedException'],
      ['wrong-product/1', 'AccessDeniedException'],
      ['no-title/1', 'InvalidInput'],
    ]);
    expect(sim.findings(PAYMENTS, 'us-east-1').map((f) => f.Id)).toContain('ok/1');
  });

  it('fails the finding Ids a failFindingIds rule names, for as many calls as `times` says', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 'securityhub', operation: 'BatchImportFindings', failFindingIds: ['flaky/2'], times: 1 }] });
    const batch = [finding('flaky/1'), finding('flaky/2')];

    // Act
    const first = await hub.send(new BatchImportFindingsCommand({ Findings: batch }));
    const storedAfterFirst = sim.findings(PAYMENTS, 'us-east-1').map((f) => f.Id).filter((id) => id.startsWith('flaky/'));
    const second = await hub.send(new BatchImportFindingsCommand({ Findings: batch }));
    sim.setFaults({});

    // Assess
    expect(first).toMatchObject({ SuccessCount: 1, FailedCount: 1, FailedFindings: [{ Id: 'flaky/2', ErrorCode: 'InternalException' }] });
    expect(storedAfterFirst).toEqual(['flaky/1']);
    expect(second).toMatchObject({ SuccessCount: 2, FailedCount: 0 });
  });

  it('answers InvalidAccessException (401) for an account without Security Hub', async () => {
    // Prepare
    const noHub = new SecurityHubClient(clientConfig(sim, { credentials: await assumeInto(sim, NO_HUB) }));

    // Act
    const error = await rejectionOf(noHub.send(new GetFindingsCommand({})));

    // Assess
    expect(error.name).toBe('InvalidAccessException');
    expect(error.$metadata?.httpStatusCode).toBe(401);
    expect(error.message).toBe(`Account ${NO_HUB} is not subscribed to AWS Security Hub`);
  });
});
