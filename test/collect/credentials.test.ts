import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createCredentialBroker, refreshingProvider } from '../../lib/collect/credentials.js';
import { AssumeRoleError, CallerAccountMismatchError, toScanError } from '../../lib/collect/errors.js';
import { awsError, callerCredentials } from './fake-org.js';

const sts = mockClient(STSClient);
const role = { roleName: 'FleetAuditRole', externalId: 'ext-1', sessionName: 'eks-fleet-auditor' };

function broker(partition = 'aws', now = () => Date.parse('2025-01-01T00:00:00Z')) {
  return createCredentialBroker({ sts: new STSClient({ region: 'eu-west-1' }), partition, callerCredentials, now });
}

function grant(expiration: string, key = 'ASIAFIRST') {
  return { Credentials: { AccessKeyId: key, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(expiration) } };
}

afterEach(() => {
  sts.reset();
});

describe('credentials.ts', () => {
  it('assumes the role once per account, with the partition ARN, external id and session name', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves(grant('2025-01-01T01:00:00Z'));
    const credentials = broker('aws-us-gov');

    // Act
    const sessions = await Promise.all([
      credentials.sessionFor('123456789012', role),
      credentials.sessionFor('123456789012', role),
    ]);
    await sessions[0].credentials();
    await sessions[1].credentials();

    // Assess
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws-us-gov:iam::123456789012:role/FleetAuditRole',
      ExternalId: 'ext-1',
      RoleSessionName: 'eks-fleet-auditor',
    });
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[0]).toMatchObject({ accountId: '123456789012', partition: 'aws-us-gov' });
    await expect(sessions[0].credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAFIRST', sessionToken: 't' });
  });

  it("uses the caller's credentials without any AssumeRole for a 'caller' session", async () => {
    // Prepare
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });

    // Act
    const session = await broker().sessionFor('111111111111', 'caller');

    // Assess
    expect(sts).not.toHaveReceivedCommand(AssumeRoleCommand);
    await expect(session.credentials()).resolves.toMatchObject({ accessKeyId: 'CALLER' });
  });

  it("refuses a 'caller' session for an account the caller's credentials do not belong to (a delegated administrator)", async () => {
    // Prepare
    sts.on(GetCallerIdentityCommand).resolves({ Account: '555555555555' });

    // Act
    const error = await broker()
      .sessionFor('111111111111', 'caller')
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CallerAccountMismatchError);
    expect(toScanError(error, { accountId: '111111111111', stage: 'assume-role' })).toMatchObject({
      code: 'CallerAccountMismatchError',
      message: expect.stringContaining('belong to account 555555555555, not 111111111111'),
    });
  });

  it('fails with an AssumeRoleError naming the account and role, and does not retry it in the same run', async () => {
    // Prepare
    const denied = awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole');
    sts.on(AssumeRoleCommand).rejects(denied);
    const credentials = broker();

    // Act
    const first = credentials.sessionFor('222222222222', role);
    const second = credentials.sessionFor('222222222222', role);

    // Assess
    await expect(first).rejects.toBeInstanceOf(AssumeRoleError);
    await expect(first).rejects.toMatchObject({
      message: expect.stringContaining('arn:aws:iam::222222222222:role/FleetAuditRole'),
      cause: denied,
    });
    await expect(second).rejects.toBeInstanceOf(AssumeRoleError);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it('assumes the role again only when the credentials come within five minutes of expiry', async () => {
    // Prepare
    let clock = Date.parse('2025-01-01T00:00:00Z');
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(grant('2025-01-01T01:00:00Z', 'ASIAFIRST'))
      .resolvesOnce(grant('2025-01-01T02:00:00Z', 'ASIASECOND'));
    const credentials = createCredentialBroker({
      sts: new STSClient({ region: 'eu-west-1' }),
      partition: 'aws',
      callerCredentials,
      now: () => clock,
    });
    const session = await credentials.sessionFor('333333333333', role);

    // Act
    clock = Date.parse('2025-01-01T00:54:00Z');
    const beforeWindow = await session.credentials();
    clock = Date.parse('2025-01-01T00:56:00Z');
    const [inWindow, concurrent] = await Promise.all([session.credentials(), session.credentials()]);

    // Assess
    expect(beforeWindow.accessKeyId).toBe('ASIAFIRST');
    expect(inWindow.accessKeyId).toBe('ASIASECOND');
    expect(concurrent.accessKeyId).toBe('ASIASECOND');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('tries again after a failed refresh instead of keeping the failure', async () => {
    // Prepare
    let calls = 0;
    const provider = refreshingProvider(async () => {
      calls++;
      if (calls === 1) throw awsError('ThrottlingException');
      return { accessKeyId: 'K', secretAccessKey: 'S' };
    }, Date.now);

    // Act
    const first = provider();
    await expect(first).rejects.toThrow('ThrottlingException');
    const second = await provider();

    // Assess
    expect(second.accessKeyId).toBe('K');
    expect(calls).toBe(2);
  });
});
