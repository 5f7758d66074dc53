import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AssumeRoleError, CallerAccountMismatchError, MalformedResponseError, describeError } from './errors.js';
import { retryGate, type GateRetryOptions } from './gate-retry.js';
import type { AccountSession, CredentialBroker, RoleToAssume } from './ports.js';

/** Same window as the SDK's own identity cache, so it never asks us for credentials we would not renew. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface CredentialBrokerOptions {
  /** STS client in the home region (regional endpoint) with the caller's credentials. */
  sts: STSClient;
  partition: string;
  /** The caller's own credentials, used as-is for 'caller' sessions. */
  callerCredentials: AwsCredentialIdentityProvider;
  durationSeconds?: number;
  now?: () => number;
  /**
   * A failed AssumeRole loses the whole account for the night: after the SDK's attempts, it is
   * retried (throttling, 5xx) while the scan may go on.
   */
  retry?: GateRetryOptions;
}

export function createCredentialBroker(options: CredentialBrokerOptions): CredentialBroker {
  const sessions = new Map<string, Promise<AccountSession>>();
  let callerAccount: Promise<string> | undefined;

  const open = async (accountId: string, role: RoleToAssume | 'caller'): Promise<AccountSession> => {
    if (role === 'caller') {
      // Run from a delegated administrator, the caller's credentials are not the management
      // account's: scanning with them would report another account's clusters under its id.
      callerAccount ??= callerAccountId(options.sts);
      const actual = await callerAccount;
      if (actual !== accountId) {
        throw new CallerAccountMismatchError(
          `the caller's credentials belong to account ${actual}, not ${accountId}: assume the audit role there instead (assumeRoleInManagementAccount)`,
        );
      }
      return { accountId, partition: options.partition, credentials: options.callerCredentials };
    }
    const roleArn = `arn:${options.partition}:iam::${accountId}:role/${role.roleName}`;
    const credentials = refreshingProvider(() => retryGate(() => assumeRole(options, roleArn, role), options.retry), options.now ?? Date.now);
    try {
      // Assume now so an account we cannot enter fails here, before any regional call.
      await credentials();
    } catch (error) {
      throw new AssumeRoleError(`cannot assume ${roleArn} in account ${accountId}: ${describeError(error)}`, { cause: error });
    }
    return { accountId, partition: options.partition, credentials };
  };

  return {
    sessionFor(accountId, role) {
      const key = `${accountId}|${role === 'caller' ? 'caller' : role.roleName}`;
      let session = sessions.get(key);
      if (!session) {
        // A failure is kept too: one AssumeRole attempt per account per run.
        session = open(accountId, role);
        sessions.set(key, session);
      }
      return session;
    },
  };
}

async function callerAccountId(sts: STSClient): Promise<string> {
  const { Account } = await sts.send(new GetCallerIdentityCommand({}));
  if (!Account) throw new MalformedResponseError('GetCallerIdentity returned no Account');
  return Account;
}

async function assumeRole(
  options: CredentialBrokerOptions,
  roleArn: string,
  role: RoleToAssume,
): Promise<AwsCredentialIdentity> {
  const { Credentials } = await options.sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: role.sessionName,
      ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
      ...(options.durationSeconds === undefined ? {} : { DurationSeconds: options.durationSeconds }),
    }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) {
    throw new MalformedResponseError(`AssumeRole ${roleArn} returned no credentials`);
  }
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    ...(Credentials.SessionToken === undefined ? {} : { sessionToken: Credentials.SessionToken }),
    ...(Credentials.Expiration === undefined ? {} : { expiration: Credentials.Expiration }),
  };
}

/**
 * Memoizes the credentials and fetches new ones shortly before they expire; callers racing for
 * a refresh share one call. A failed refresh is not kept, so the next call tries again.
 */
export function refreshingProvider(
  fetch: () => Promise<AwsCredentialIdentity>,
  now: () => number,
): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (c: AwsCredentialIdentity) =>
    c.expiration === undefined || c.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS;

  return async () => {
    if (current && fresh(current)) return current;
    pending ??= fetch()
      .then((c) => (current = c))
      .finally(() => (pending = undefined));
    return pending;
  };
}
