import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../../lib/deliver/notify/email.js';
import { fixCommands } from '../../../lib/finding-text.js';
import { aCoverage, aFinding } from '../fixtures.js';
import { anInput, fleet, REPORT } from './input-fixture.js';

const critical = aFinding({ clusterName: 'ledger', severity: 'critical', ruleId: 'vpc-cni-ipamd-crash', title: 'ipamd crash loop' });
const stillHigh = aFinding({ clusterName: 'checkout', accountId: '222233334444', accountName: 'Shop' });
const newHigh = aFinding({ clusterName: 'search', region: 'us-east-1', observedVersion: 'v1.17.1-eksbuild.1' });
const fixed = aFinding({ clusterName: 'old-batch' });

describe('email.ts', () => {
  it('lists every affected cluster with account, Region, versions and the fix command', () => {
    // Prepare
    const input = anInput([critical, stillHigh, newHigh], [critical, stillHigh, fixed]);

    // Act
    const { body } = renderEmail(input);

    // Assess
    for (const f of [critical, stillHigh, newHigh]) {
      expect(body).toContain(`${f.accountName} (${f.accountId}), ${f.region}, ${f.clusterName}: ${f.observedVersion} → ${f.targetVersion}`);
      expect(body).toContain(`$ ${fixCommands(f)[0]}`);
    }
    expect(body).toContain(`${fixed.accountName} (${fixed.accountId}), ${fixed.region}, old-batch`);
    expect(body).toContain(`Full report: ${REPORT}`);
  });

  it('puts counts first, then NEW, RESOLVED, and what is still open grouped by severity then rule', () => {
    // Prepare
    const input = anInput([critical, stillHigh, newHigh], [critical, stillHigh, fixed]);

    // Act
    const { body } = renderEmail(input);

    // Assess
    const order = ['Open findings: 3 (1 critical, 2 high)', 'New: 1   Resolved: 1', 'NEW since', 'search', 'RESOLVED since', 'old-batch', 'STILL OPEN (2)', '[CRITICAL] vpc-cni-ipamd-crash', 'ledger', '[HIGH] vpc-cni-known-bug', 'checkout', 'COVERAGE', 'ERRORS (0)'];
    const positions = order.map((text) => body.indexOf(text));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('names in one line the suppressions that matched nothing this run', () => {
    // Prepare
    const unusedSuppressions = [{ entry: 2, matchers: { rule: 'vpc-cni-behind-latest', cluster: 'sandbox-*' }, reason: 'lab', expires: '2027-01-31' }];

    // Act
    const { body } = renderEmail(anInput([critical], undefined, { unusedSuppressions }));

    // Assess
    expect(body).toContain('Unused (matched nothing this run): suppressions[2] (rule vpc-cni-behind-latest, cluster sandbox-*)');
    expect(renderEmail(anInput([critical], undefined)).body).not.toContain('Unused');
  });

  it('fits the budget when thousands of suppressions matched nothing (a night no account was scanned), naming how many it left out', () => {
    // Prepare: 4,000 suppressions, non-ASCII globs among them, all unused
    const unusedSuppressions = Array.from({ length: 4000 }, (_, i) => ({ entry: i, matchers: { account: `${100000000000 + i}`, cluster: `équipe-paiements-${i}-*` }, reason: 'accepted', expires: '2027-01-31' }));

    // Act
    const { body } = renderEmail(anInput([critical], undefined, { unusedSuppressions }), { max: 60_000 });

    // Assess
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(60_000);
    expect(body).toContain('Unused (matched nothing this run): suppressions[0] (account 100000000000, cluster équipe-paiements-0-*)');
    expect(body).toMatch(/… and \d+ more, see the full report at /);
    expect(body).toContain('ipamd crash loop');
  });

  it('writes a one-line ASCII subject under 100 characters with the counts', () => {
    // Prepare
    const input = anInput([critical, stillHigh, newHigh], [critical, stillHigh, fixed], { coverage: aCoverage({ clusters: { scanned: 42, failed: 0, managedAddon: 40, selfManaged: 2 } }) });

    // Act
    const { subject } = renderEmail(input);

    // Assess
    expect(subject).toBe('EKS fleet audit: 1 critical, 2 high open (1 new, 1 resolved) - 42 clusters');
  });

  it('keeps the subject under 100 characters for a huge fleet with every severity and errors', () => {
    // Prepare
    const findings = ['critical', 'high', 'medium', 'low', 'informational'].flatMap((severity) => fleet(2000, { severity: severity as 'low' }).map((f) => ({ ...f, id: `${f.id}/${severity}` })));
    const errors = Array.from({ length: 1234 }, () => ({ accountId: '111122223333', stage: 'assume-role' as const, code: 'AccessDenied', message: 'denied' }));
    const input = anInput(findings, undefined, { minSeverity: 'informational', errors, coverage: aCoverage({ clusters: { scanned: 123456, failed: 0, managedAddon: 0, selfManaged: 0 } }) });

    // Act
    const { subject } = renderEmail(input);

    // Assess
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toContain('10000 open');
  });

  it('leaves findings below the threshold out, counting them', () => {
    // Prepare
    const low = aFinding({ clusterName: 'dev-box', severity: 'low' });
    const input = anInput([stillHigh, low], [stillHigh], { minSeverity: 'medium' });

    // Act
    const { body, subject } = renderEmail(input);

    // Assess
    expect(body).not.toContain('dev-box');
    expect(body).toContain('Below the medium threshold, not listed: 1 finding');
    expect(subject).toContain('(0 new, 0 resolved)');
  });

  it('lists every error with account, Region, cluster, stage and code', () => {
    // Prepare
    const errors = [
      { accountId: '111122223333', region: 'eu-west-1', cluster: 'ledger', stage: 'describe-addon' as const, code: 'AccessDeniedException', message: 'not authorized' },
      { accountId: '555566667777', stage: 'assume-role' as const, code: 'AccessDenied', message: 'cannot assume audit role' },
    ];

    // Act
    const { body } = renderEmail(anInput([stillHigh], [stillHigh], { errors }));

    // Assess
    expect(body).toContain('ERRORS (2)');
    expect(body).toContain('111122223333 eu-west-1 ledger describe-addon AccessDeniedException: not authorized');
    expect(body).toContain('555566667777 - - assume-role AccessDenied: cannot assume audit role');
  });

  it('marks findings whose suppression expired, and counts suppressions expiring soon', () => {
    // Prepare
    const back = aFinding({ clusterName: 'sandbox-1' });
    const quiet = aFinding({ clusterName: 'sandbox-2' });
    const input = anInput([stillHigh, back], [stillHigh], {
      expired: [{ finding: back, suppression: { cluster: 'sandbox-*', reason: 'lab', expires: '2026-01-30' } }],
      suppressed: [
        { finding: quiet, reason: 'lab until the migration', expires: '2026-02-05' },
        { finding: aFinding({ clusterName: 'sandbox-3' }), reason: 'lab', expires: '2027-01-01' },
      ],
    });

    // Act
    const { body } = renderEmail(input);

    // Assess
    expect(body).toMatch(/sandbox-1: .*\n.*\(suppression expired on 2026-01-30\)|suppression expired on 2026-01-30\)\n.*sandbox-1/);
    expect(body).toContain('SUPPRESSED: 2, 1 expiring within 14 days');
    expect(body).toContain(`${quiet.id} until 2026-02-05: lab until the migration`);
  });

  it('lists findings it could not re-check apart, neither open nor resolved', () => {
    // Prepare
    const far = aFinding({ region: 'ap-southeast-2', clusterName: 'far-away' });
    const input = anInput([stillHigh], [stillHigh, far]);
    const delta = { ...input.delta, resolved: [], unknown: [far] };

    // Act
    const { body } = renderEmail({ ...input, delta });

    // Assess
    expect(body).toContain('NOT RE-CHECKED');
    expect(body).toContain('far-away');
    expect(body).toContain('RESOLVED since the last notification (0)');
  });

  it('cuts the longest list to the budget, keeping NEW and RESOLVED whole and saying how many more', () => {
    // Prepare
    const open = fleet(3000);
    const input = anInput([...open, newHigh], [...open, fixed]);

    // Act
    const { body } = renderEmail(input, { max: 60_000 });

    // Assess
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(60_000);
    expect(body).toContain('search');
    expect(body).toContain('old-batch');
    expect(body).toMatch(new RegExp(`… and \\d+ more, see the full report at ${REPORT.replace(/[/.]/g, '\\$&')}`));
    expect(body).toContain('ERRORS (0)');
  });

  it('links the fleet page: presigned with its expiry and the console link beside it, or the console link alone', () => {
    // Prepare
    const link = { url: 'https://b.s3.amazonaws.com/p/runs/2026/01/31/run-42.html?X-Amz-Signature=abc', kind: 'presigned' as const, expiresAt: '2026-02-07T02:05:00.000Z', console: 'https://console.aws.amazon.com/s3/object/b?prefix=p' };

    // Act
    const presigned = renderEmail(anInput([aFinding()], undefined, { reportLink: link })).body;
    const consoleOnly = renderEmail(anInput([aFinding()], undefined, { reportLink: { url: link.console, kind: 'console', console: link.console } })).body;

    // Assess
    expect(presigned).toContain(`valid until 2026-02-07T02:05:00.000Z at the latest`);
    expect(presigned).toContain(`\n  ${link.url}\n`);
    expect(presigned).toContain(`If it no longer opens, in the S3 console: ${link.console}`);
    expect(consoleOnly).toContain(`Fleet report, in the S3 console (sign in with read access to the history bucket): ${link.console}`);
    expect(consoleOnly).not.toContain('X-Amz-Signature');
  });

});
