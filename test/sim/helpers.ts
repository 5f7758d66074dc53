/** Shared test setup for the simulator tests: a small org and SDK client configs pointed at a sim. */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { SimOrgInput } from './schema.js';
import { SIM_MANAGEMENT_CREDENTIALS, type Simulator } from './server.js';

export const MANAGEMENT = '111111111111';
export const PAYMENTS = '222222222222';
export const NO_ROLE = '333333333333';
export const NO_HUB = '444444444444';
export const EXTERNAL = '555555555555';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Client options that reach the simulator; retries off unless a test asks for them. */
export function clientConfig(sim: Simulator, opts: { credentials?: Credentials; region?: string; maxAttempts?: number } = {}) {
  return {
    endpoint: sim.endpoint,
    region: opts.region ?? 'us-east-1',
    credentials: opts.credentials ?? SIM_MANAGEMENT_CREDENTIALS,
    maxAttempts: opts.maxAttempts ?? 1,
  };
}

/** Assumes the audit role of an account, as the scanner does, and returns its temporary credentials. */
export async function assumeInto(sim: Simulator, accountId: string, externalId?: string): Promise<Credentials> {
  const sts = new STSClient(clientConfig(sim));
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/EksFleetAuditRole`, RoleSessionName: 'fleet-audit-test', ExternalId: externalId }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`AssumeRole into ${accountId} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** The error an SDK call rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export function smallOrg(): SimOrgInput {
  return {
    managementAccountId: MANAGEMENT,
    topics: [`arn:aws:sns:us-east-1:${MANAGEMENT}:fleet-audit-findings`],
    ous: [
      { id: 'ou-ab12-prod', name: 'Production', parent: 'r-root' },
      { id: 'ou-ab12-payments', name: 'Payments', parent: 'ou-ab12-prod' },
    ],
    accounts: [
      { id: MANAGEMENT, name: 'management', regions: { 'us-east-1': { clusters: [{ name: 'mgmt-tools', version: '1.30' }] } } },
      {
        id: PAYMENTS,
        name: 'payments-prod',
        ou: 'ou-ab12-payments',
        regions: {
          'us-east-1': {
            clusters: [
              {
                name: 'payments-use1',
                version: '1.29',
                tags: { team: 'payments' },
                podIdentityAssociations: [{ namespace: 'monitoring', serviceAccount: 'prometheus', roleArn: `arn:aws:iam::${PAYMENTS}:role/prom` }],
                addons: {
                  'vpc-cni': {
                    addonVersion: 'v1.18.0-eksbuild.1',
                    configurationValues: '{"env":{"WARM_IP_TARGET":"5"}}',
                    serviceAccountRoleArn: `arn:aws:iam::${PAYMENTS}:role/cni`,
                    podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: `arn:aws:iam::${PAYMENTS}:role/cni-pia` }],
                    health: { issues: [{ code: 'InsufficientNumberOfReplicas', message: 'not enough replicas' }] },
                    status: 'DEGRADED',
                  },
                },
              },
              { name: 'payments-selfmanaged-use1', version: '1.28' },
            ],
          },
          'ap-east-1': { enabled: false },
        },
      },
      { id: NO_ROLE, name: 'no-audit-role', ou: 'ou-ab12-prod', auditRole: false },
      { id: NO_HUB, name: 'no-security-hub', ou: 'ou-zz99-sandbox', securityHub: false, legacyStatusOnly: true, regions: { 'us-east-1': {} } },
      { id: EXTERNAL, name: 'external-id', externalId: 'ext-42', state: 'ACTIVE' },
      { id: '666666666666', name: 'suspended', state: 'SUSPENDED' },
    ],
    addonVersions: {
      'vpc-cni': [
        { addonVersion: 'v1.18.6-eksbuild.1', compatibilities: [{ clusterVersion: '1.29' }, { clusterVersion: '1.30', defaultVersion: true }] },
        { addonVersion: 'v1.16.4-eksbuild.2', compatibilities: [{ clusterVersion: '1.23' }, { clusterVersion: '1.29', defaultVersion: true }] },
        { addonVersion: 'v1.12.6-eksbuild.2', compatibilities: [{ clusterVersion: '1.23' }] },
      ],
    },
  };
}
