import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { assumeInto, clientConfig, EXTERNAL, MANAGEMENT, NO_ROLE, PAYMENTS, rejectionOf, smallOrg } from './helpers.js';

describe('sts.ts', () => {
  let sim: Simulator;
  let sts: STSClient;

  beforeAll(async () => {
    sim = await startSimulator({ org: smallOrg() });
    sts = new STSClient(clientConfig(sim));
  });
  afterAll(() => sim.stop());

  it('hands out credentials whose later calls act as the assumed account', async () => {
    // Prepare
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/EksFleetAuditRole`, RoleSessionName: 'nightly-scan' }));
    const c = out.Credentials!;
    const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };

    // Act
    const identity = await new STSClient(clientConfig(sim, { credentials })).send(new GetCallerIdentityCommand({}));
    const clusters = await new EKSClient(clientConfig(sim, { credentials })).send(new ListClustersCommand({}));

    // Assess
    expect(c.AccessKeyId).toMatch(new RegExp(`^ASIA${PAYMENTS}[0-9A-F]{4}$`));
    expect(c.Expiration!.getTime() - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PAYMENTS}:assumed-role/EksFleetAuditRole/nightly-scan`);
    expect(identity).toMatchObject({ Account: PAYMENTS, Arn: `arn:aws:sts::${PAYMENTS}:assumed-role/EksFleetAuditRole/nightly-scan` });
    expect(clusters.clusters).toEqual(['payments-use1', 'payments-selfmanaged-use1']);
  });

  it('treats a key it did not issue as the management account', async () => {
    // Act
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const clusters = await new EKSClient(clientConfig(sim)).send(new ListClustersCommand({}));

    // Assess
    expect(identity.Account).toBe(MANAGEMENT);
    expect(clusters.clusters).toEqual(['mgmt-tools']);
  });

  it.each([
    ['an account without the audit role', NO_ROLE, 'EksFleetAuditRole'],
    ['an account outside the organization', '999999999999', 'EksFleetAuditRole'],
    ['a SUSPENDED account', '666666666666', 'EksFleetAuditRole'],
    ['a role that does not exist in the account', PAYMENTS, 'NoSuchRole'],
  ])('answers AccessDenied (403) for %s', async (_label, accountId, roleName = 'EksFleetAuditRole') => {
    // Act
    const error = await rejectionOf(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: 'scan' })));

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toBe(`User: arn:aws:iam::${MANAGEMENT}:user/sim-operator is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${accountId}:role/${roleName}`);
  });

  it('requires the external id the org file sets, and records session name and external id', async () => {
    // Prepare
    sim.records.assumeRoles.length = 0;

    // Act
    const wrong = await rejectionOf(assumeInto(sim, EXTERNAL, 'not-it'));
    const granted = await assumeInto(sim, EXTERNAL, 'ext-42');

    // Assess
    expect(wrong.name).toBe('AccessDenied');
    expect(granted.accessKeyId).toContain(EXTERNAL);
    expect(sim.records.assumeRoles).toEqual([
      expect.objectContaining({ accountId: EXTERNAL, roleSessionName: 'fleet-audit-test', externalId: 'not-it', granted: false }),
      expect.objectContaining({ accountId: EXTERNAL, roleSessionName: 'fleet-audit-test', externalId: 'ext-42', granted: true }),
    ]);
  });

  it('rejects a session longer than the role allows', async () => {
    // Act
    const error = await rejectionOf(
      sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/EksFleetAuditRole`, RoleSessionName: 'scan', DurationSeconds: 7200 })),
    );

    // Assess
    expect(error.name).toBe('ValidationError');
  });
});
