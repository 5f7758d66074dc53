import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applySuppressions, describeUnused, loadSuppressions, maxExpiry, parseSuppressions, SuppressionsError } from '../../lib/deliver/suppressions.js';
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
    const back = { ...finding, suppressionExpired: '2026-01-30' };
    expect(result.active).toEqual([back]);
    expect(result.expired).toEqual([{ finding: back, suppression: expired }]);
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
    ['a blank reason', { suppressions: [{ cluster: 'a', reason: ' \t ', expires: '2027-01-31' }] }, 'suppressions[0].reason: must not be empty or blank'],
    ['an empty matcher', { suppressions: [{ cluster: '', reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0].cluster: must not be empty or blank'],
    ['an expiry more than a year ahead', { suppressions: [{ cluster: 'a', reason: 'r', expires: '2027-02-01' }] }, 'suppressions[0].expires: 2027-02-01 is more than one year ahead: at most 2027-01-31'],
    ['an expiry time more than a year ahead', { suppressions: [{ cluster: 'a', reason: 'r', expires: '2027-02-01T00:00:01Z' }] }, 'suppressions[0].expires: 2027-02-01T00:00:01Z is more than one year ahead'],
    ['a glob that cannot compile', { suppressions: [{ cluster: 'a', reason: 'r', expires: '2027-01-31' }, { cluster: 'sandbox-[0-9', reason: 'r', expires: '2027-01-31' }] }, 'suppressions[1].cluster: not a valid glob: unclosed "[" at 9'],
    ['an extglob', { suppressions: [{ region: '@(eu|us)-*', reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0].region: not a valid glob: "(" at 2'],
    ['a negated glob', { suppressions: [{ account: '!111122223333', reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0].account: not a valid glob: a leading "!"'],
    ['a rule no loaded rule has', { suppressions: [{ rule: 'vpc-cni-behind-lastest', reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0].rule: "vpc-cni-behind-lastest" matches no loaded rule id'],
    ['a rule glob no loaded rule matches', { suppressions: [{ rule: 'eks-*', reason: 'r', expires: '2027-01-31' }] }, 'suppressions[0].rule: "eks-*" matches no loaded rule id'],
  ])('rejects a file with %s, naming the entry and field', (_, content, message) => {
    // Act: a run on 2026-01-31 with two rules loaded
    const parse = () => parseSuppressions(JSON.stringify(content), 'suppressions.json', { now: new Date(now), ruleIds: ['vpc-cni-behind-latest', 'vpc-cni-unhealthy'] });

    // Assess
    expect(parse).toThrow(SuppressionsError);
    expect(parse).toThrow(message);
  });

  it('accepts an expiry up to the same date next year, and rule globs that match a loaded rule', () => {
    // Prepare
    const file = { suppressions: [{ rule: 'vpc-cni-*', reason: 'r', expires: '2027-01-31' }, { rule: 'vpc-cni-unhealthy', reason: 'r', expires: '2027-01-31T23:59:59Z' }] };

    // Act
    const parsed = parseSuppressions(JSON.stringify(file), 'suppressions.json', { now: new Date(now), ruleIds: ['vpc-cni-unhealthy'] });

    // Assess
    expect(parsed).toHaveLength(2);
    expect(maxExpiry(new Date('2028-02-29T10:00:00Z'))).toBe('2029-03-01');
  });

  it('reports the suppressions that matched no finding, expired ones included, by entry', () => {
    // Prepare
    const suppressions: Suppression[] = [
      { cluster: 'payments-*', reason: 'live', expires: '2027-01-31' },
      { rule: 'vpc-cni-unhealthy', cluster: 'gone-*', reason: 'fixed since', expires: '2027-01-31' },
      { account: '111122223333', reason: 'lapsed', expires: '2026-01-01' },
      { region: 'ap-*', reason: 'lapsed, nothing there', expires: '2026-01-01' },
    ];

    // Act
    const result = applySuppressions([aFinding()], suppressions, now);

    // Assess
    expect(result.unused).toEqual([
      { entry: 1, matchers: { rule: 'vpc-cni-unhealthy', cluster: 'gone-*' }, reason: 'fixed since', expires: '2027-01-31' },
      { entry: 3, matchers: { region: 'ap-*' }, reason: 'lapsed, nothing there', expires: '2026-01-01' },
    ]);
    expect(result.unused.map(describeUnused)).toEqual(['suppressions[1] (rule vpc-cni-unhealthy, cluster gone-*)', 'suppressions[3] (region ap-*)']);
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
