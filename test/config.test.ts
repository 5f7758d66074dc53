import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig, redactedConfig } from '../lib/config.js';

const BASE = { AWS_REGION: 'us-east-1', AUDIT_ROLE_NAME: 'EksFleetAuditRole' };

describe('config', () => {
  it('applies the defaults', () => {
    expect(readConfig(BASE)).toEqual({
      partition: 'aws',
      homeRegion: 'us-east-1',
      roleName: 'EksFleetAuditRole',
      sessionName: 'eks-fleet-auditor',
      regions: 'all',
      assumeRoleInManagementAccount: false,
      concurrency: 32,
      perAccountConcurrency: 8,
      retryMode: 'standard',
      maxAttempts: 8,
      historyPrefix: 'fleet-audit/',
      notifyMode: 'on-change',
      minSeverity: 'low',
      securityHub: true,
      deadlineMarginMs: 60_000,
      distributedThreshold: 1500,
      readDaemonSet: 'self-managed',
    });
  });

  it('reads lists and the partition of the home region', () => {
    // Act
    const config = readConfig({ ...BASE, AWS_REGION: 'us-gov-west-1', AUDIT_REGIONS: 'us-gov-west-1, us-gov-east-1', AUDIT_EXCLUDE_ACCOUNTS: '111111111111,222222222222' });

    // Assess
    expect(config).toMatchObject({ partition: 'aws-us-gov', regions: ['us-gov-west-1', 'us-gov-east-1'], excludeAccounts: ['111111111111', '222222222222'] });
  });

  it.each([
    [{ AUDIT_ROLE_NAME: undefined }, /^AUDIT_ROLE_NAME: is required/],
    [{ AUDIT_REGIONS: 'us-east-1,mars' }, /^AUDIT_REGIONS: is "all" or a comma list/],
    [{ AUDIT_CONCURRENCY: 'lots' }, /^AUDIT_CONCURRENCY: .*got "lots"/],
    [{ AUDIT_ACCOUNTS: '1234' }, /^AUDIT_ACCOUNTS: every account id has 12 digits/],
    [{ NOTIFY_MODE: 'sometimes' }, /^NOTIFY_MODE: must be always, on-change or never/],
    [{ MIN_SEVERITY: 'urgent' }, /^MIN_SEVERITY: must be one of critical/],
    [{ TOPIC_ARN: 'my-topic' }, /^TOPIC_ARN: is not an SNS topic ARN/],
    [{ SUPPRESSIONS_URI: '/tmp/x.yaml' }, /^SUPPRESSIONS_URI: must look like s3:\/\/bucket\/key/],
  ])('names the variable in error: %j', (change, message) => {
    expect(() => readConfig({ ...BASE, ...change })).toThrow(ConfigError);
    expect(() => readConfig({ ...BASE, ...change })).toThrow(message);
  });

  it('never echoes the external id, in errors or in what is logged', () => {
    // Act
    const error = (() => {
      try {
        readConfig({ ...BASE, AUDIT_EXTERNAL_ID: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    const logged = JSON.stringify(redactedConfig(readConfig({ ...BASE, AUDIT_EXTERNAL_ID: 's3cr3t-id' })));

    // Assess
    expect(error?.message).toMatch(/^AUDIT_EXTERNAL_ID/);
    expect(error?.message).not.toContain('"x"');
    expect(logged).not.toContain('s3cr3t-id');
  });
});
