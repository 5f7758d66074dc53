import { describe, expect, it } from 'vitest';
import { ConfigError, deadlineOf, readConfig, redactedConfig } from '../lib/config.js';

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
      reportPresign: true,
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
    [{ AUDIT_REGIONS: 'us-east-1,mars' }, /^AUDIT_REGIONS: mars is not an AWS Region/],
    [{ AUDIT_CONCURRENCY: 'lots' }, /^AUDIT_CONCURRENCY: .*got "lots"/],
    [{ AUDIT_ACCOUNTS: '1234' }, /^AUDIT_ACCOUNTS: every account id has 12 digits/],
    [{ NOTIFY_MODE: 'sometimes' }, /^NOTIFY_MODE: must be always, on-change or never/],
    [{ MIN_SEVERITY: 'urgent' }, /^MIN_SEVERITY: must be one of critical/],
    [{ TOPIC_ARN: 'my-topic' }, /^TOPIC_ARN: is not an SNS topic ARN/],
    [{ SUPPRESSIONS_URI: '/tmp/x.yaml' }, /^SUPPRESSIONS_URI: must look like s3:\/\/bucket\/key/],
    [{ AWS_REGION: 'eu-west-9' }, /^AWS_REGION: eu-west-9 is not an AWS Region/],
    [{ AWS_REGION: 'mars-north-1' }, /^AWS_REGION: mars-north-1 is not an AWS Region/],
    [{ AUDIT_REGIONS: 'us-east-1,eu-central-3' }, /^AUDIT_REGIONS: eu-central-3 is not an AWS Region/],
    [{ AUDIT_REGIONS: 'us-east-1,cn-north-1' }, /^AUDIT_REGIONS: every Region must be in the aws partition of AWS_REGION/],
    [{ AUDIT_REGIONS: ' , ' }, /^AUDIT_REGIONS: is "all" or a comma list/],
    [{ AUDIT_CONCURRENCY: '0x20' }, /^AUDIT_CONCURRENCY: must be a whole decimal number \(got "0x20"\)/],
    [{ AUDIT_MAX_ATTEMPTS: '1e1' }, /^AUDIT_MAX_ATTEMPTS: must be a whole decimal number \(got "1e1"\)/],
    [{ DEADLINE_MARGIN_MS: '1e2' }, /^DEADLINE_MARGIN_MS: must be a whole decimal number/],
    [{ DISTRIBUTED_THRESHOLD: '12.0' }, /^DISTRIBUTED_THRESHOLD: must be a whole decimal number/],
    [{ AUDIT_CONCURRENCY: '-1' }, /^AUDIT_CONCURRENCY: must be a whole decimal number/],
    [{ AUDIT_CONCURRENCY: '257' }, /^AUDIT_CONCURRENCY: must be at most 256/],
    [{ HISTORY_PREFIX: 'fleet-audit' }, /^HISTORY_PREFIX: must be path segments .* ending in \//],
    [{ HISTORY_PREFIX: '/fleet-audit/' }, /^HISTORY_PREFIX: must be path segments/],
    [{ HISTORY_PREFIX: 'fleet-audit/*/' }, /^HISTORY_PREFIX: must be path segments/],
    [{ HISTORY_PREFIX: 'a/../b/' }, /^HISTORY_PREFIX: must not have a \. or \.\. segment/],
    [{ HISTORY_PREFIX: 'fleet audit/' }, /^HISTORY_PREFIX: must be path segments/],
    [{ TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:findings.fifo.fifo' }, /^TOPIC_ARN: is not an SNS topic ARN/],
    [{ TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:find ings' }, /^TOPIC_ARN: is not an SNS topic ARN/],
    [{ AUDIT_EXTERNAL_ID_PARAMETER: 'external id' }, /^AUDIT_EXTERNAL_ID_PARAMETER: is not an SSM parameter path/],
    [{ AUDIT_EXTERNAL_ID_PARAMETER: 'eks-fleet-auditor-external-id' }, /^AUDIT_EXTERNAL_ID_PARAMETER: is not an SSM parameter path/],
    [{ AUDIT_EXTERNAL_ID: 'abc123', AUDIT_EXTERNAL_ID_PARAMETER: '/eks-fleet-auditor/external-id' }, /^AUDIT_EXTERNAL_ID_PARAMETER: set either it or AUDIT_EXTERNAL_ID/],
  ])('names the variable in error: %j', (change, message) => {
    expect(() => readConfig({ ...BASE, ...change })).toThrow(ConfigError);
    expect(() => readConfig({ ...BASE, ...change })).toThrow(message);
  });

  it('reads whole decimal numbers, hierarchical prefixes, FIFO topics and the partitions the SDK lists', () => {
    // Act
    const config = readConfig({
      ...BASE,
      AWS_REGION: 'eusc-de-east-1',
      AUDIT_REGIONS: 'eusc-de-east-1',
      AUDIT_CONCURRENCY: '064',
      HISTORY_PREFIX: 'audits/eks_fleet-v2.1/',
      TOPIC_ARN: 'arn:aws-eusc:sns:eusc-de-east-1:111111111111:eks-fleet-audit.fifo',
      AUDIT_EXTERNAL_ID_PARAMETER: '/eks-fleet-auditor/external-id',
    });

    // Assess
    expect(config).toMatchObject({
      partition: 'aws-eusc',
      regions: ['eusc-de-east-1'],
      concurrency: 64,
      historyPrefix: 'audits/eks_fleet-v2.1/',
      topicArn: 'arn:aws-eusc:sns:eusc-de-east-1:111111111111:eks-fleet-audit.fifo',
      externalIdParameter: '/eks-fleet-auditor/external-id',
    });
    expect(readConfig({ ...BASE, AWS_REGION: 'cn-northwest-1' }).partition).toBe('aws-cn');
    expect(readConfig({ ...BASE, AWS_REGION: 'us-isob-east-1' }).partition).toBe('aws-iso-b');
  });

  it.each(['Z', 'has spaceZ', 'semi;colonZ', 'Z'.repeat(1225), 'quote"dZ'])('refuses the ExternalId %j without echoing it', (externalId) => {
    // Act
    const read = () => readConfig({ ...BASE, AUDIT_EXTERNAL_ID: externalId });

    // Assess
    expect(read).toThrow(/^AUDIT_EXTERNAL_ID: must be 2 to 1224 characters of letters, digits and _\+=,\.@:\/-; expected/);
    expect(read).not.toThrow(externalId);
  });

  it('accepts an ExternalId of every character STS allows', () => {
    expect(readConfig({ ...BASE, AUDIT_EXTERNAL_ID: 'Ab_0+=,.@:/-' }).externalId).toBe('Ab_0+=,.@:/-');
  });

  it('refuses a DEADLINE_MARGIN_MS that leaves no time to scan, naming it', () => {
    // Prepare
    const config = readConfig({ ...BASE, DEADLINE_MARGIN_MS: '900000' });

    // Act
    const atTimeout = () => deadlineOf(config, 0, 900_000);
    const leavesHalfASecond = () => deadlineOf({ deadlineMarginMs: 60_000 }, 0, 60_500);

    // Assess
    expect(atTimeout).toThrow(ConfigError);
    expect(atTimeout).toThrow(/^DEADLINE_MARGIN_MS: 900000 ms leaves 0 ms of the Lambda's remaining 900000 ms to scan \(at least 1000 ms needed\)/);
    expect(leavesHalfASecond).toThrow(/^DEADLINE_MARGIN_MS: 60000 ms leaves 500 ms/);
    expect(deadlineOf({ deadlineMarginMs: 60_000 }, 1_000, 900_000)).toBe(841_000);
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
