import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applySuppressions, loadSuppressions, parseSuppressions, SuppressionsError } from '../../lib/deliver/suppressions.js';
import type { Suppression } from '../../lib/deliver/suppressions.js';
import { aFinding } from './fixtures.js';

const s3 = mockClient(S3Client);
const now = '2026-01-31T02:00:00.000Z';

beforeEach(() => s3.reset());

describe('suppressions.ts', () => {
  it('suppresses a finding every given matcher matches, with globs', () => {
    // Prepare
    const sandbox = aFinding({ clusterName: 'sandbox-1', region: 'eu-west-1' });
    const otherRegion = aFinding({ clusterName: 'sandbox-2', region: 'us-east-1' });
    const prod = aFinding({ clusterName: 'payments-prod' });
    const suppressions: Suppression[] = [{ rule: 'vpc-cni-*', region: 'eu-*', cluster: 'sandbox-*', reason: 'throwaway clusters', expires: '2027-01-31' }];

    // Act
    const result = applySuppressions([sandbox, otherRegion, prod], suppressions, now);

    // Assess
    expect(result.suppressed).toEqual([{ finding: sandbox, reason: 'throwaway clusters', expires: '2027-01-31' }]);
    expect(result.active).toEqual([otherRegion, prod]);
    expect(result.expired).toEqual([]);
  });

  it('matches by account and OU', () => {
    // Prepare
    const inOu = aFinding({ accountId: '444455556666', ou: 'ou-abcd-22222222' });
    const suppressions: Suppression[] = [
      { account: '111122223333', reason: 'legacy account', expires: '2027-01-31' },
      { ou: 'ou-abcd-2*', reason: 'lab OU', expires: '2027-01-31' },
    ];

    // Act
    const result = applySuppressions([aFinding(), inOu], suppressions, now);

    // Assess
    expect(result.suppressed.map((s) => s.reason)).toEqual(['legacy account', 'lab OU']);
  });

  it('matches an OU anywhere above the account, as --ou takes a whole subtree', () => {
    // Prepare: a sandbox account two OUs below the one the suppression names
    const nested = aFinding({ accountId: '555566667777', ou: 'ou-abcd-team1', ouPath: ['r-abcd', 'ou-abcd-sandbox', 'ou-abcd-labs', 'ou-abcd-team1'] });
    const elsewhere = aFinding({ accountId: '888899990000', ou: 'ou-abcd-prod', ouPath: ['r-abcd', 'ou-abcd-prod'] });

    // Act
    const result = applySuppressions([nested, elsewhere], [{ ou: 'ou-abcd-sandbox', reason: 'sandboxes', expires: '2027-01-31' }], now);

    // Assess
    expect(result.suppressed.map((s) => s.finding.accountId)).toEqual(['555566667777']);
    expect(result.active.map((f) => f.accountId)).toEqual(['888899990000']);
  });

  it('lets a finding return when its suppression expired, marked as such', () => {
    // Prepare
    const finding = aFinding();
    const expired: Suppression = { cluster: 'payments-*', reason: 'waiting for the Q4 upgrade', expires: '2026-01-30' };

    // Act
    const result = applySuppressions([finding], [expired], now);

    // Assess
    expect(result.active).toEqual([finding]);
    expect(result.expired).toEqual([{ finding, suppression: expired }]);
  });

  it('keeps a date-only suppression through its last day', () => {
    // Prepare
    const suppression: Suppression = { cluster: '*', reason: 'accepted', expires: '2026-01-31' };

    // Act
    const lateThatDay = applySuppressions([aFinding()], [suppression], '2026-01-31T23:59:59.000Z');
    const nextDay = applySuppressions([aFinding()], [suppression], '2026-02-01T00:00:00.000Z');

    // Assess
    expect(lateThatDay.suppressed).toHaveLength(1);
    expect(nextDay.expired).toHaveLength(1);
  });

  it('reads YAML with account ids kept as written', () => {
    // Prepare
    const yaml = ['suppressions:', '  - account: 012345678901', '    reason: lab', '    expires: 2027-01-31T00:00:00Z'].join('\n');

    // Act
    const suppressions = parseSuppressions(yaml, 'suppressions.yaml');

    // Assess
    expect(suppressions).toEqual([{ account: '012345678901', reason: 'lab', expires: '2027-01-31T00:00:00Z' }]);
  });

  it.each([
    ['a missing field', { suppressions: [{ cluster: 'a', reason: 'r', expires: '2027-01-31' }, { cluster: 'b', reason: 'r' }] }, 'suppressions.json: suppressions[1].expires: required'],
    ['an unknown key', { suppressions: [{ cluster: 'a', reason: 'r', expires: '2027-01-31', owner: 'me' }] }, 'suppressions[0]: unknown key "owner"'],
    ['no matcher', { suppressions: [{ reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0]: needs at least one of rule, account, ou, region, cluster'],
    ['a bad date', { suppressions: [{ cluster: 'a', reason: 'r', expires: '31/01/2027' }] }, 'suppressions[0].expires: must be an ISO date'],
    ['a number for an account', { suppressions: [{ account: 123456789012, reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0].account: must be a string'],
  ])('rejects a file with %s, naming the entry and field', (_, content, message) => {
    // Act
    const parse = () => parseSuppressions(JSON.stringify(content), 'suppressions.json');

    // Assess
    expect(parse).toThrow(SuppressionsError);
    expect(parse).toThrow(message);
  });

  it('rejects a file that is not YAML, naming it', () => {
    // Act
    const parse = () => parseSuppressions('suppressions: [unclosed', 'suppressions.yml');

    // Assess
    expect(parse).toThrow(/^suppressions\.yml: not valid YAML/);
  });

  it('loads the file from S3 for the Lambda', async () => {
    // Prepare
    const body = JSON.stringify({ suppressions: [{ cluster: 'sandbox-*', reason: 'lab', expires: '2027-01-31' }] });
    s3.on(GetObjectCommand, { Bucket: 'audit-config', Key: 'suppressions.json' }).resolves({ Body: { transformToString: async () => body } as never });

    // Act
    const suppressions = await loadSuppressions('s3://audit-config/suppressions.json', { s3: new S3Client({ region: 'eu-west-1' }) });

    // Assess
    expect(suppressions).toEqual([{ cluster: 'sandbox-*', reason: 'lab', expires: '2027-01-31' }]);
  });

  it('loads the file from a path for the CLI, and names a missing one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'suppressions-'));
    const path = join(dir, 'suppressions.yaml');
    await writeFile(path, 'suppressions:\n  - region: ap-*\n    reason: not ours\n    expires: 2027-01-31\n');

    // Act
    const suppressions = await loadSuppressions(path);
    const missing = loadSuppressions(join(dir, 'absent.yaml'));

    // Assess
    expect(suppressions).toEqual([{ region: 'ap-*', reason: 'not ours', expires: '2027-01-31' }]);
    await expect(missing).rejects.toThrow(/absent\.yaml: cannot be read: .*ENOENT/);
  });
});
