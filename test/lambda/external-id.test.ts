import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../lib/config.js';
import { withExternalIdFromParameter } from '../../lib/lambda/external-id.js';
import { cachedSetup } from '../../lib/lambda/tools.js';

const ssm = mockClient(SSMClient);
const BASE = { AWS_REGION: 'us-east-1', AUDIT_ROLE_NAME: 'EksFleetAuditRole' };

beforeEach(() => ssm.reset());

describe('external-id.ts', () => {
  it('reads the ExternalId once per container from the SecureString, decrypted', async () => {
    // Prepare: Powertools caches per name, so each test reads its own parameter
    ssm.on(GetParameterCommand, { Name: '/eks-fleet-auditor/external-id-a', WithDecryption: true }).resolves({ Parameter: { Value: 'a1b2c3d4e5f6' } });
    const setup = cachedSetup({ ...BASE, AUDIT_EXTERNAL_ID_PARAMETER: '/eks-fleet-auditor/external-id-a' }, withExternalIdFromParameter);

    // Act
    const first = await setup();
    const second = await setup();

    // Assess
    expect(first.config.externalId).toBe('a1b2c3d4e5f6');
    expect(second.config.externalId).toBe('a1b2c3d4e5f6');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('leaves the configuration as it is without a parameter', async () => {
    // Act
    const config = await withExternalIdFromParameter(readConfig(BASE));

    // Assess
    expect(config.externalId).toBeUndefined();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it('names the variable when the parameter cannot be read, and retries on the next invocation', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejectsOnce(Object.assign(new Error('User is not authorized to perform: ssm:GetParameter'), { name: 'AccessDeniedException' })).resolves({ Parameter: { Value: 'later-ok' } });
    const setup = cachedSetup({ ...BASE, AUDIT_EXTERNAL_ID_PARAMETER: '/eks-fleet-auditor/external-id-b' }, withExternalIdFromParameter);

    // Act
    const failed = setup();

    // Assess
    await expect(failed).rejects.toThrow(ConfigError);
    await expect(failed).rejects.toThrow(/^AUDIT_EXTERNAL_ID_PARAMETER: \/eks-fleet-auditor\/external-id-b cannot be read: AccessDeniedException/);
    expect((await setup()).config.externalId).toBe('later-ok');
  });

  it('refuses a stored value STS would refuse, without echoing it', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'not valid; has spaces' } });

    // Act
    const read = withExternalIdFromParameter(readConfig({ ...BASE, AUDIT_EXTERNAL_ID_PARAMETER: '/eks-fleet-auditor/external-id-c' }));

    // Assess
    await expect(read).rejects.toThrow(/^AUDIT_EXTERNAL_ID_PARAMETER: the value of \/eks-fleet-auditor\/external-id-c must be 2 to 1224 characters/);
    await expect(read).rejects.not.toThrow(/has spaces/);
  });
});
