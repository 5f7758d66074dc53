import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { SnsPublish } from '../sim/server.js';
import { loadOrgFile } from '../sim/schema.js';

/** `npm run demo -- --nights 2 --record DIR`, as a new user runs it, and what it leaves behind. */
let dir: string;
let stdout: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-'));
  ({ stdout } = await promisify(execFile)('npx', ['tsx', 'test/demo.ts', '--nights', '2', '--record', dir], { timeout: 120_000 }));
}, 150_000);

const REQUIRED: (keyof AwsSecurityFinding)[] = [
  'SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources',
];

describe('demo', () => {
  it('prints a report a person reads, and the second night shows the fixed cluster resolved and archived', () => {
    expect(stdout).toContain('Night 1: audit run against the simulator');
    expect(stdout).toMatch(/between the nights, a team upgraded .+: vpc-cni v\S+ → v\S+/);
    expect(stdout).toMatch(/Resolved since the last notified run \([1-9]\d*\)/);
    expect(stdout).toMatch(/Security Hub: \d+ imported, [1-9]\d* archived, \d+ kept open \(not re-checked\), 0 failed/);
  });

  it('records Security Hub findings that pass the ASFF rules', async () => {
    // Act
    const findings = JSON.parse(await readFile(join(dir, 'securityhub.json'), 'utf8')) as AwsSecurityFinding[];

    // Assess
    expect(findings.length).toBeGreaterThan(20);
    for (const f of findings) {
      for (const field of REQUIRED) expect(f[field], `${f.Id} ${field}`).toBeDefined();
      expect(f.SchemaVersion).toBe('2018-10-08');
      expect(f.ProductArn).toBe(`arn:aws:securityhub:${f.Resources![0]!.Region}:${f.AwsAccountId}:product/${f.AwsAccountId}/default`);
      expect(f.Id).toMatch(new RegExp(`^[a-z0-9.-]+/${f.AwsAccountId}/[a-z0-9-]+/[\\w-]+$`));
      expect(f.Id!.length).toBeLessThanOrEqual(512);
      expect(f.Title!.length).toBeLessThanOrEqual(256);
      expect(f.Description!.length).toBeLessThanOrEqual(1024);
      expect(f.Remediation?.Recommendation?.Text?.length ?? 0).toBeLessThanOrEqual(512);
      expect(Object.keys(f.ProductFields ?? {}).length).toBeLessThanOrEqual(50);
      expect(f.Severity?.Label).toBe(f.FindingProviderFields?.Severity?.Label);
      expect(f.Resources![0]!.Type).toBe('AwsEksCluster');
      expect(f.Types!.every((t) => t.startsWith('Software and Configuration Checks/'))).toBe(true);
    }
    const archived = findings.filter((f) => f.RecordState === 'ARCHIVED');
    expect(archived.length).toBeGreaterThan(0);
    for (const a of archived) {
      const first = findings.find((f) => f.Id === a.Id && f.RecordState === 'ACTIVE');
      expect(a.FirstObservedAt).toBe(first?.FirstObservedAt);
    }
  });

  it('records SNS messages that fit SNS limits and name the clusters', async () => {
    // Act
    const published = JSON.parse(await readFile(join(dir, 'sns.json'), 'utf8')) as SnsPublish[];

    // Assess
    expect(published).toHaveLength(2);
    for (const p of published) {
      expect(Buffer.byteLength(p.message)).toBeLessThanOrEqual(262_144);
      expect(p.subject!.length).toBeLessThan(100);
      expect(p.subject).not.toMatch(/[\r\n]/);
      const bodies = JSON.parse(p.message) as { default: string; https: string };
      expect(bodies.default).toContain('checkout-legacy-use1');
      const slack = JSON.parse(bodies.https) as { version: string; source: string; content: { textType: string; description: string } };
      expect(slack).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
      expect(slack.content.description).toContain('checkout-legacy-use1');
    }
  });

  it('records the report of the last night', async () => {
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { schemaVersion: number; findings: unknown[]; coverage: unknown; errors: unknown[] };
    expect(report.schemaVersion).toBe(1);
    expect(report.findings.length).toBeGreaterThan(10);
    expect(report.errors).toContainEqual(expect.objectContaining({ accountId: '555555555555', stage: 'assume-role' }));
  });

  it('prints only --addon-version values the catalog offered for that cluster, and no command line twice', async () => {
    // Prepare: what DescribeAddonVersions offers, by Kubernetes version, and each cluster's version
    const org = await loadOrgFile('events/demo-org.json');
    const offered = (k8s: string) => org.addonVersions['vpc-cni']!.filter((e) => e.compatibilities.some((c) => c.clusterVersion === k8s)).map((e) => e.addonVersion);
    const k8sOf = new Map(org.accounts.flatMap((a) => Object.values(a.regions).flatMap((r) => r.clusters.map((c) => [c.name, c.version] as const))));
    const night1 = stdout.slice(0, stdout.indexOf('Night 2:'));
    const commands = night1.split('\n').filter((l) => l.trim().startsWith('$ ')).map((l) => l.trim().slice(2));
    // Each plan starts with `  account (id) region cluster: ...`: the commands under it are that cluster's.
    const byCluster: [string, string][] = [];
    let cluster = '';
    for (const line of night1.slice(night1.indexOf('Plans, one per cluster')).split('\n')) {
      const heading = /^ {2}\S.* \(\d{12}\) \S+ (\S+): /.exec(line);
      if (heading) cluster = heading[1]!;
      else if (line.trim().startsWith('$ ')) byCluster.push([cluster, line.trim().slice(2)]);
    }

    // Assess
    const versioned = byCluster.filter(([, c]) => c.includes('--addon-version'));
    expect(versioned.length).toBeGreaterThan(10);
    for (const [name, command] of versioned) {
      for (const [, version] of command.matchAll(/--addon-version (\S+)/g)) expect(offered(k8sOf.get(name)!), `${name}: ${command}`).toContain(version);
    }
    expect(commands.length - new Set(commands).size).toBe(0);
    expect(night1).not.toMatch(/\(unknown\)|--force(\s|$)|<EKS registry|(\S+) → \1(\s|$)/);
  });
});
