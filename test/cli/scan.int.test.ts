import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator } from '../sim/server.js';
import { DEMO_BUCKET, DEMO_TOPIC_ARN, simulatorEnv, withEnv } from '../support/local-lambda.js';
import { pageDataOf } from '../report/html/read-page.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ org: 'events/demo-org.json', port: 0 });
});
afterAll(async () => {
  await sim.stop();
});

/** The CLI as a user runs it: the default credential chain (here, environment keys) and --endpoint. */
async function scan(...args: string[]) {
  return scanWith({}, ...args);
}

async function scanWith(extraEnv: Record<string, string>, ...args: string[]) {
  let out = '';
  let err = '';
  const env = simulatorEnv(sim);
  const credentials = Object.fromEntries(
    ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'AWS_REGION'].map((k) => [k, env[k]!]),
  );
  const code = await withEnv({ ...credentials, ...extraEnv }, () =>
    main(['scan', '--endpoint', sim.endpoint, ...args], { out: (s) => void (out += s), err: (s) => void (err += s), isTty: false }),
  );
  return { code, out, err };
}

describe('scan', () => {
  it('prints the report.json shape and exits 3 (incomplete) when an account failed, saying why on stderr', async () => {
    // Act
    const { code, out, err } = await scan('--format', 'json');

    // Assess
    const report = JSON.parse(out) as { schemaVersion: number; errors: { accountId: string }[]; coverage: { accounts: { failed: number } } };
    expect(code).toBe(3);
    expect(report.schemaVersion).toBe(1);
    expect(report.coverage.accounts.failed).toBe(1);
    expect(report.errors.map((e) => e.accountId)).toEqual(['555555555555']);
    expect(err).toContain('incomplete: 1 account(s) failed');
    // The progress and the report count the same accounts: 8 selected of 9 listed, 7 scanned and 1 failed
    expect(err).toMatch(/\nscanned 8\/8 selected accounts in \d+\.\d s: 22 clusters, 1 error\n/);
    expect(err).toContain('\ncoverage: 7 of 9 accounts scanned, 1 failed, 1 excluded; ');
  });

  it('exits 1 when a finding reaches --fail-on, even in an incomplete run, and 0 when none does', async () => {
    // Act: the demo organization has high findings in 333333333333 and no critical one there
    const high = await scan('--fail-on', 'high');
    const critical = await scan('--accounts', '333333333333', '--fail-on', 'critical');
    const badSeverity = await scan('--fail-on', 'severe');

    // Assess
    expect(high.code).toBe(1);
    expect(critical.code).toBe(0);
    expect(critical.out).toContain('HIGH');
    expect(badSeverity.code).toBe(2);
    expect(badSeverity.err).toMatch(/--fail-on.*Allowed choices are critical, high, medium, low, informational/);
  });

  it('exits 3 when a delivery failed although every account was scanned', async () => {
    // Prepare: SNS refuses the publish
    sim.setFaults({ rules: [{ service: 'sns', operation: 'Publish', error: 'AuthorizationError', status: 403, message: 'not authorized to publish' }] });

    try {
      // Act
      const { code, out, err } = await scan('--exclude-accounts', '555555555555', '--topic-arn', DEMO_TOPIC_ARN, '--format', 'json');

      // Assess
      const report = JSON.parse(out) as { coverage: { accounts: { failed: number } }; errors: { stage: string }[] };
      expect(code).toBe(3);
      expect(report.coverage.accounts.failed).toBe(0);
      expect(report.errors.map((e) => e.stage)).toEqual(['deliver-sns']);
      expect(err).toContain('incomplete: 1 delivery error(s)');
    } finally {
      sim.setFaults({});
    }
  });

  it('counts a Security Hub import refused as a whole (403) once, not again for each finding it carried', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 'securityhub', operation: 'BatchImportFindings', error: 'AccessDeniedException', status: 403, message: 'not authorized to perform: securityhub:BatchImportFindings' }] });

    try {
      // Act
      const { code, out, err } = await scan('--accounts', '333333333333', '--regions', 'us-east-1', '--security-hub', '--format', 'json');

      // Assess
      const report = JSON.parse(out) as { errors: { stage: string; code: string }[] };
      expect(code).toBe(3);
      expect(report.errors.map((e) => `${e.stage}:${e.code}`)).toEqual(['deliver-securityhub:AccessDeniedException']);
      expect(err).toContain('incomplete: 1 delivery error(s)');
    } finally {
      sim.setFaults({});
    }
  });

  it('shows progress on stderr whatever --out says: the scan, Security Hub, delivery, then the file written', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'scan-progress-'));
    const file = join(dir, 'audit.json');

    // Act
    const { code, out, err } = await scan('--accounts', '333333333333,444444444444', '--security-hub', '--topic-arn', DEMO_TOPIC_ARN, '--history-dir', join(dir, 'history'), '--format', 'json', '--out', file);

    // Assess
    expect(code).toBe(0);
    expect(out).toBe('');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ schemaVersion: 1 });
    expect(err.split('\n')).toEqual([
      "warning: no --history-bucket: this run does not take the nightly run's lease (--history-dir is a history of its own) and may overlap it",
      "warning: --security-hub without --history-bucket: a nightly audit stack will not know this run imported findings; one imported into an account-region where it has none may never be archived once fixed (Security Hub deletes it after 90 days). Pass the stack's --history-bucket.",
      'scanning the organization…',
      expect.stringMatching(/^scanned 2\/2 selected accounts in \d+\.\d s: \d+ clusters, 0 errors$/),
      'Security Hub: importing findings, archiving fixed ones…',
      'delivering: notification and run history…',
      expect.stringMatching(/^coverage: 2 of 9 accounts scanned, 7 excluded; /),
      `wrote ${file}`,
      '',
    ]);
  });

  it('exits 4 with one line when Organizations denies the caller, pointing at the management account or a delegated administrator', async () => {
    // Prepare
    sim.setFaults({ rules: [{ service: 'organizations', operation: 'ListAccounts', error: 'AccessDeniedException', status: 400, message: 'You don\'t have permissions to access this resource.' }] });

    try {
      // Act
      const { code, out, err } = await scan();

      // Assess
      expect(code).toBe(4);
      expect(out).toBe('');
      expect(err).toContain("fleet-audit: access denied (You don't have permissions to access this resource.). Run from the management account or an Organizations delegated administrator");
      expect(err).not.toMatch(/^\s+at /m);
    } finally {
      sim.setFaults({});
    }
  });

  it('prints an AWS error message without the escape sequences or line breaks it carries', async () => {
    // Prepare: an endpoint answers with a hostile message
    sim.setFaults({ rules: [{ service: 'organizations', operation: 'ListAccounts', error: 'AccessDeniedException', status: 400, message: 'denied\u001b[2J\u001b]8;;https://attacker.example\u0007click\u001b]8;;\u0007\u2028$ rm -rf ~' }] });

    try {
      // Act
      const { code, err } = await scan();

      // Assess
      expect(code).toBe(4);
      expect(err).toContain('fleet-audit: access denied (denied');
      // eslint-disable-next-line no-control-regex
      expect(err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u2028]/);
      expect(err.trimEnd().split('\n').filter((l) => l.startsWith('fleet-audit:'))).toHaveLength(1);
      expect(err).not.toMatch(/^\$ rm/m);
    } finally {
      sim.setFaults({});
    }
  });

  it('checks --out before scanning: a missing directory is bad input (exit 2) and no AWS call is made', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'scan-out-'));
    sim.resetCalls();

    // Act
    const missing = await scan('--out', join(dir, 'no-such-dir', 'audit.md'));
    const directory = await scan('--out', dir);

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`fleet-audit: --out ${join(dir, 'no-such-dir', 'audit.md')}: the directory ${join(dir, 'no-such-dir')} does not exist (create it first)\n`);
    expect(directory.code).toBe(2);
    expect(directory.err).toContain('is a directory; give a file name');
    expect(sim.calls()).toEqual([]);
  });

  it('exits 0 when every selected account was scanned, and reads only by default', async () => {
    // Prepare
    const importsBefore = sim.records.securityHubImports.length;
    const publishesBefore = sim.records.sns.length;

    // Act
    const { code, out } = await scan('--exclude-accounts', '555555555555', '--regions', 'us-east-1');

    // Assess
    expect(code).toBe(0);
    expect(out).toContain('Pods may lose external networking on vpc-cni below v1.7.2');
    expect(out).toContain('checkout-prod (333333333333) us-east-1 checkout-legacy-use1');
    expect(sim.records.securityHubImports.length).toBe(importsBefore);
    expect(sim.records.sns.length).toBe(publishesBefore);
  });

  it('writes markdown to --out and keeps history in --history-dir, so the next scan knows what is new', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'scan-'));
    const out = join(dir, 'audit.md');
    const history = join(dir, 'history');

    // Act
    await scan('--accounts', '333333333333', '--format', 'markdown', '--out', out, '--history-dir', history);
    const first = await readFile(out, 'utf8');
    await scan('--accounts', '333333333333', '--format', 'markdown', '--out', out, '--history-dir', history);
    const second = await readFile(out, 'utf8');

    // Assess
    expect(first).toMatch(/^# EKS fleet audit /);
    expect(first).toMatch(/\*\*Findings:\*\* .+ — [1-9]\d* new/);
    expect(second).toContain('— 0 new, 0 resolved');
  });

  it('applies a suppressions file and rejects a malformed one naming the entry', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'supp-'));
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    const nextMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await writeFile(good, `suppressions:\n  - cluster: checkout-legacy-use1\n    reason: Decommissioned next week, CHG-42\n    expires: ${nextMonth}\n`);
    await writeFile(bad, 'suppressions:\n  - cluster: checkout-legacy-use1\n    reason: no expiry\n');

    // Act
    const ok = await scan('--accounts', '333333333333', '--suppressions', good, '--format', 'json');
    const broken = await scan('--accounts', '333333333333', '--suppressions', bad);

    // Assess
    const report = JSON.parse(ok.out) as { findings: { clusterName: string }[]; suppressed: { reason: string }[] };
    expect(report.findings.some((f) => f.clusterName === 'checkout-legacy-use1')).toBe(false);
    expect(report.suppressed.map((s) => s.reason)).toContain('Decommissioned next week, CHG-42');
    expect(broken.code).toBe(2);
    expect(broken.err).toBe(`fleet-audit: --suppressions ${bad}: suppressions[0].expires: required\n`);
  });

  it('marks a finding whose suppression expired in text, Markdown and JSON, and lists the fleet inventory', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'expired-'));
    const file = join(dir, 'suppressions.yaml');
    await writeFile(file, 'suppressions:\n  - cluster: checkout-legacy-use1\n    reason: Decommissioned by now, CHG-17\n    expires: 2026-01-31\n');
    const args = ['--accounts', '333333333333', '--suppressions', file];

    // Act
    const text = await scan(...args);
    const markdown = await scan(...args, '--format', 'markdown');
    const json = await scan(...args, '--format', 'json');

    // Assess
    expect(text.out).toMatch(/checkout-prod \(333333333333\) us-east-1 checkout-legacy-use1: .* \(suppression expired on 2026-01-31\)/);
    expect(markdown.out).toMatch(/\| checkout-legacy-use1 \| .* \(suppression expired on 2026-01-31\) \|/);
    const findings = (JSON.parse(json.out) as { findings: { clusterName: string; suppressionExpired?: string }[] }).findings;
    expect(findings.filter((f) => f.clusterName === 'checkout-legacy-use1').map((f) => f.suppressionExpired)).toEqual(expect.arrayContaining(['2026-01-31']));
    expect(findings.filter((f) => f.clusterName !== 'checkout-legacy-use1').every((f) => f.suppressionExpired === undefined)).toBe(true);
    expect(text.out).toMatch(/\nFleet inventory \(\d+ clusters\)\n  checkout-prod \(333333333333\)\n/);
    expect(text.out).toMatch(/checkout-legacy-use1 +Kubernetes \S+ +vpc-cni v1\.7\.1-eksbuild\.1 \(managed add-on\), \d+ findings/);
    expect(markdown.out).toContain('## Fleet inventory');
  });

  it.each([
    [['--regions', 'mars'], /--regions: mars is not an AWS Region/],
    [['--concurrency', 'many'], /--concurrency: .*got "many"/],
    [['--accounts', '12'], /--accounts: every account id has 12 digits/],
    [['--endpoint', '127.0.0.1:4566'], /^fleet-audit: --endpoint 127\.0\.0\.1:4566: give a URL with its scheme, e\.g\. http:\/\/127\.0\.0\.1:4566/],
    [['--accounts', ''], /^fleet-audit: --accounts is empty: give at least one value, or leave the flag out\n$/],
    [['--regions', ' , '], /^fleet-audit: --regions is empty/],
    [['--notify', 'on-change'], /^fleet-audit: --notify needs --topic-arn/],
    [['--min-severity', 'high'], /^fleet-audit: --min-severity needs --topic-arn/],
    [['--history-prefix', 'audit/'], /^fleet-audit: --history-prefix needs --history-bucket/],
  ])('exits 2 on bad input %j, before any AWS call', async (args, message) => {
    // Prepare
    sim.resetCalls();

    // Act
    const { code, err } = await scan(...args);

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(sim.calls()).toEqual([]);
  });

  it('names the --accounts ids that are not ACTIVE members, and exits 2 when none is; an unknown --ou exits 2 naming it', async () => {
    // Act: 999999999999 is SUSPENDED in the demo organization, 123456789012 is not in it
    const some = await scan('--accounts', '123456789012,333333333333,999999999999', '--format', 'json');
    const none = await scan('--accounts', '123456789012,999999999999');
    const ou = await scan('--ou', 'ou-nope-12345678');

    // Assess
    expect(some.code).toBe(0);
    expect(some.err).toContain('warning: --accounts: not scanned, not an ACTIVE member of the organization: 123456789012 (not in the organization), 999999999999 (SUSPENDED, not ACTIVE)\n');
    expect((JSON.parse(some.out) as { coverage: { accounts: { scanned: number } } }).coverage.accounts.scanned).toBe(1);
    expect(none).toMatchObject({ code: 2, out: '' });
    expect(none.err).toBe('fleet-audit: --accounts: no ACTIVE member of the organization among them: 123456789012 (not in the organization), 999999999999 (SUSPENDED, not ACTIVE)\n');
    expect(ou).toMatchObject({ code: 2, out: '' });
    expect(ou.err).toMatch(/^fleet-audit: --ou: ou-nope-12345678 is not an OU \(or root\) of this organization/);
  });

  it('stops with exit 4 and one line to refresh them when the caller\'s credentials expire mid-run, not an error per account', async () => {
    // Prepare: the organization was listed, then every AssumeRole finds the caller's token expired
    sim.setFaults({ rules: [{ service: 'sts', operation: 'AssumeRole', error: 'ExpiredToken', status: 403, message: 'The security token included in the request is expired' }] });
    sim.resetCalls();

    try {
      // Act
      const { code, out, err } = await scan('--security-hub', '--topic-arn', DEMO_TOPIC_ARN, '--format', 'json');

      // Assess
      expect(code).toBe(4);
      expect(out).toBe('');
      expect(err).toContain('fleet-audit: the AWS credentials have expired (The security token included in the request is expired). Refresh them: `aws sso login`');
      expect(err.match(/^fleet-audit:/gm)).toHaveLength(1);
      expect(sim.calls().filter((c) => c.service === 'sns' || c.service === 'securityhub')).toEqual([]);
    } finally {
      sim.setFaults({});
    }
  });

  it('exits 2 naming a --history-bucket that does not exist, before scanning, in one line', async () => {
    // Prepare
    sim.resetCalls();

    // Act
    const { code, out, err } = await scan('--history-bucket', 'nope-bucket', '--security-hub');

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^fleet-audit: --history-bucket nope-bucket: no such bucket\. Give the stack's HistoryBucket output \(aws cloudformation describe-stacks\) and its Region with --region\n$/);
    expect(sim.calls().filter((c) => c.service !== 's3')).toEqual([]);
  });

  it('exits 2 naming the AWS_PROFILE that is in neither AWS file', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'profile-'));
    await writeFile(join(dir, 'config'), '[profile audit]\nregion = us-east-1\n');
    await writeFile(join(dir, 'credentials'), '[other]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n');

    // Act
    const { code, err } = await scanWith({ AWS_PROFILE: 'audti', AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(`fleet-audit: AWS_PROFILE audti: no such profile in ${join(dir, 'config')} or ${join(dir, 'credentials')} (\`aws configure list-profiles\` lists them)\n`);
  });

  it('does not start while another run holds the lease, saying who holds it, until when, and what to do', async () => {
    // Prepare: the nightly run holds the lease for 5 more minutes
    const s3 = new S3Client({ region: 'us-east-1', endpoint: sim.endpoint, forcePathStyle: true, credentials: SIM_MANAGEMENT_CREDENTIALS });
    const until = new Date(Date.now() + 300_000).toISOString();
    const lease = (released: boolean) =>
      s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: 'fleet-audit/lease.json', Body: JSON.stringify({ runId: 'night-1', holder: 'lambda:eks-fleet-auditor-prod-audit', acquiredAt: new Date().toISOString(), expiresAt: until, released }) }));
    await lease(false);

    try {
      // Act
      const { code, out, err } = await scan('--history-bucket', DEMO_BUCKET, '--security-hub', '--accounts', '333333333333');

      // Assess
      expect(code).toBe(4);
      expect(out).toBe('');
      expect(err.split('\n')[0]).toBe(`fleet-audit: another run holds the run lease in ${DEMO_BUCKET}: run night-1 by lambda:eks-fleet-auditor-prod-audit, until ${until} (renewed while it runs).`);
      expect(err).toContain('Wait for the nightly run to finish and retry; scan without --security-hub and --topic-arn to only read');
    } finally {
      await lease(true);
      s3.destroy();
    }
  });

  it('keeps the report when the --out directory is removed during the scan: it goes to a temporary file, and says where', async () => {
    // Prepare: EKS answers slowly, and the directory goes while the scan waits
    const dir = await mkdtemp(join(tmpdir(), 'scan-gone-'));
    sim.setFaults({ rules: [{ service: 'eks', operation: 'ListClusters', latencyMs: 1_500 }] });
    sim.resetCalls();

    try {
      // Act: the directory goes once the organization was read (the scan then waits for EKS)
      const running = scan('--accounts', '333333333333', '--regions', 'us-east-1', '--format', 'json', '--out', join(dir, 'audit.json'));
      await vi.waitUntil(() => sim.calls().some((c) => c.operation === 'ListAccounts'), { timeout: 20_000, interval: 20 });
      await rm(dir, { recursive: true });
      const { code, err } = await running;

      // Assess
      const fallback = /the report is in (\S+)\n/.exec(err)?.[1];
      expect(err).toContain(`fleet-audit: --out ${join(dir, 'audit.json')} could not be written (ENOENT: `);
      expect(fallback).toMatch(/fleet-audit-.+-audit\.json$/);
      expect(JSON.parse(await readFile(fallback!, 'utf8'))).toMatchObject({ schemaVersion: 1 });
      expect(code).toBe(3);
    } finally {
      sim.setFaults({});
    }
  });

  it('writes the fleet page with --format html (its trend from --history-dir) and one CSV row per finding with --format csv', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'scan-page-'));
    const page = join(dir, 'fleet.html');
    await scan('--history-dir', dir, '--regions', 'us-east-1', '--format', 'json');

    // Act
    const html = await scan('--history-dir', dir, '--regions', 'us-east-1', '--format', 'html', '--out', page);
    const csv = await scan('--regions', 'us-east-1', '--format', 'csv');

    // Assess
    const data = pageDataOf(await readFile(page, 'utf8'));
    expect(html.out).toBe('');
    expect(data.trend.points).toHaveLength(2);
    expect(data.headline.clusters).toBeGreaterThan(0);
    const rows = csv.out.replace(/^\uFEFF/, '').split('\r\n').filter((r) => /^(critical|high|medium|low|informational),/.test(r));
    expect(rows.length).toBe(data.headline.open.critical + data.headline.open.high + data.headline.open.medium + data.headline.open.low + data.headline.open.informational);
  });
});
