import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { describeAddonVersions, K8S_124_EARLY_2023, K8S_129_SPRING_2024, K8S_129_SPRING_2024_DEFAULT } from '../fixtures/catalogs.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), isTty: false });
  return { code, out, err };
}

/** A rules directory that exists nowhere (a fixed path like /nonexistent may exist on a shared machine). */
const MISSING_RULES = join(tmpdir(), `missing-rules-${process.pid}-${Date.now()}`);

const ruleIds = (out: string) => (JSON.parse(out) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId);

describe('check', () => {
  it('lists the below-1.7.2 and below-1.8.0 risks for v1.7.1-eksbuild.1 on 1.21', async () => {
    // Act
    const { code, out } = await run('check', '--version', 'v1.7.1-eksbuild.1', '--k8s', '1.21', '--format', 'json');

    // Assess
    expect(code).toBe(0);
    expect(ruleIds(out)).toEqual(['vpc-cni-below-v1.7.2', 'vpc-cni-below-v1.8.0']);
  });

  it('lists not the below-1.7.2 risk for v1.7.2-eksbuild.1, which is the 1.7.2 release', async () => {
    // Act
    const { out } = await run('check', '--version', 'v1.7.2-eksbuild.1', '--k8s', '1.21', '--format', 'json');

    // Assess
    expect(ruleIds(out)).toEqual(['vpc-cni-below-v1.8.0', 'vpc-cni-stale-imds-same-ip-count']);
  });

  it('reads YAML configuration values as EKS stores them', async () => {
    // Act
    const { code, out } = await run('check', '--version', 'v1.18.6', '--config', 'env:\n  WARM_IP_TARGET: "5"\n', '--format', 'json');

    // Assess
    expect(code).toBe(0);
    expect(ruleIds(out)).toEqual(['vpc-cni-warm-ip-target-without-minimum']);
  });

  it('exits 1 when a finding reaches --fail-on, 0 when none does', async () => {
    expect((await run('check', '--version', 'v1.12.0-eksbuild.1', '--fail-on', 'high')).code).toBe(1);
    expect((await run('check', '--version', 'v1.12.0-eksbuild.1', '--fail-on', 'critical')).code).toBe(0);
  });

  it.each([
    [['check', '--version', 'latest'], /--version "latest" is not a vpc-cni version/],
    [['check', '--version', 'v1.9.3', '--k8s', '129'], /--k8s "129" must look like 1.29/],
    [['check', '--version', 'v1.9.3', '--managed', 'maybe'], /--managed must be one of true, false/],
    [['check', '--version', 'v1.9.3', '--fail-on', 'urgent'], /Allowed choices are critical, high/],
    [['check', '--version', 'v1.9.3', '--catalog', 'x.json'], /--catalog needs --k8s/],
    [['check', '--version', 'v1.9.3', '--rules', MISSING_RULES], /missing-rules-\d+-\d+: cannot read the rules directory/],
    [['check'], /required option '--version <version>' not specified/],
  ])('exits 2 with a clear message on bad input: %j', async (args, message) => {
    // Act
    const { code, err } = await run(...args);

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('reads a saved describe-addon-versions catalog and names a bad one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    await writeFile(good, JSON.stringify({ addons: [{ addonName: 'vpc-cni', addonVersions: [
      { addonVersion: 'v1.18.6-eksbuild.1', compatibilities: [{ clusterVersion: '1.29' }] },
      { addonVersion: 'v1.16.4-eksbuild.2', compatibilities: [{ clusterVersion: '1.29' }] },
    ] }] }));
    await writeFile(bad, JSON.stringify({ addons: [{ addonVersions: [{ version: 'x' }] }] }));

    // Act
    const ok = await run('check', '--version', 'v1.18.4-eksbuild.1', '--k8s', '1.29', '--catalog', good, '--format', 'json');
    const broken = await run('check', '--version', 'v1.16.4-eksbuild.1', '--k8s', '1.29', '--catalog', bad);

    // Assess
    expect(ruleIds(ok.out)).toEqual(['vpc-cni-behind-latest']);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/bad\.json: addons\.0\.addonVersions\.0\.addonVersion/);
  });

  it('flags no IAM role only when told the role is none', async () => {
    expect(ruleIds((await run('check', '--version', 'v1.18.6', '--format', 'json')).out)).toEqual([]);
    expect(ruleIds((await run('check', '--version', 'v1.18.6', '--role-arn', 'none', '--format', 'json')).out)).toEqual(['vpc-cni-no-iam-role']);
  });

  it('prints what a person reads: severity, title, why, the fix, and the plan without inventing a version', async () => {
    // Act
    const { out } = await run('check', '--version', 'v1.11.4-eksbuild.1', '--cluster', 'payments', '--region', 'eu-west-1');

    // Assess
    expect(out).toContain('HIGH');
    expect(out).toContain('vpc-cni v1.11.4 to v1.12.4 cannot reconcile IPs after an IMDS desync');
    expect(out).toContain('Why: vpc-cni v1.11.4-eksbuild.1 (release 1.11.4) is in the affected range >=1.11.4-rc1 <1.12.5');
    // 1.12.5 is still in the stale-IMDS range: the first release clear of both is 1.18.4; without --catalog no build is named
    expect(out).toContain('Fix: Upgrade vpc-cni to release 1.18.4 or later');
    expect(out).toContain('$ aws eks describe-addon-versions --addon-name vpc-cni --kubernetes-version "$(aws eks describe-cluster --name payments --region eu-west-1');
    expect(out).not.toContain('--addon-version');
  });

  it('applies a rule file dropped into a --rules directory, through the installed bin', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'org-rules-'));
    await writeFile(
      join(dir, 'org-minimum-1-15.md'),
      [
        '---',
        'id: org-minimum-1-15',
        'title: Our platform requires vpc-cni 1.15 or later',
        'severity: medium',
        'addon: vpc-cni',
        'affected: "<1.15.0"',
        'fixed: "1.15.0"',
        'remediation:',
        '  preset: upgrade',
        '  text: Upgrade to {{fix.target}}.',
        '---',
        ...['Impact', 'Root cause', 'Trigger conditions', 'Remediation', 'Mitigation'].map((s) => `## ${s}\nOur policy.\n`),
      ].join('\n'),
    );

    // Act
    const { stdout } = await promisify(execFile)('node', ['bin/fleet-audit.js', 'check', '--version', 'v1.14.1-eksbuild.1', '--rules', dir, '--format', 'json']);
    const ids = ruleIds(stdout);

    // Assess
    expect(ids).toContain('org-minimum-1-15');
    expect(ids.filter((id) => !id.startsWith('vpc-cni-'))).toEqual(['org-minimum-1-15']);
  });

  it('prints arn:aws-cn ARNs for a cluster in cn-northwest-1, and the China manifest for a self-managed CNI', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const catalog = join(dir, 'cn.json');
    await writeFile(catalog, JSON.stringify(describeAddonVersions('1.29', K8S_129_SPRING_2024, K8S_129_SPRING_2024_DEFAULT)));
    const base = ['check', '--version', 'v1.17.1', '--k8s', '1.29', '--catalog', catalog, '--managed', 'false', '--cluster', 'orders', '--region', 'cn-northwest-1'];

    // Act
    const json = await run(...base, '--role-arn', 'arn:aws-cn:iam::111122223333:role/cni', '--format', 'json');
    const text = await run(...base, '--role-arn', 'arn:aws-cn:iam::111122223333:role/cni');
    const wrong = await run(...base, '--role-arn', 'arn:aws:iam::111122223333:role/cni');

    // Assess
    const { findings, plan } = JSON.parse(json.out) as { findings: { clusterArn: string; partition: string }[]; plan: { partition: string } };
    expect(findings[0]).toMatchObject({ clusterArn: 'arn:aws-cn:eks:cn-northwest-1:111122223333:cluster/orders', partition: 'aws-cn' });
    expect(plan.partition).toBe('aws-cn');
    expect(json.out).not.toContain('arn:aws:');
    expect(text.out).toContain('https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.18.0/config/master/aws-k8s-cni-cn.yaml');
    expect(text.out).toContain('--service-account-role-arn arn:aws-cn:iam::111122223333:role/cni');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--role-arn is in the aws partition, but --region cn-northwest-1 is in aws-cn/);
  });

  it('refuses a --cluster or --region that could not be a cluster name or a Region', async () => {
    expect((await run('check', '--version', 'v1.9.3', '--cluster', 'prod; rm -rf /')).err).toMatch(/--cluster "prod; rm -rf \/" is not an EKS cluster name/);
    expect((await run('check', '--version', 'v1.9.3', '--region', 'us-east-1 && id')).err).toMatch(/is not an AWS Region/);
  });

  it('refuses a saved catalog of another Kubernetes version than --k8s, naming the file and the versions it lists', async () => {
    // Prepare: a catalog saved with --kubernetes-version 1.24, used for a 1.29 cluster
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const catalog = join(dir, '124.json');
    await writeFile(catalog, JSON.stringify(describeAddonVersions('1.24', K8S_124_EARLY_2023)));

    // Act
    const { err, out } = await run('check', '--version', 'v1.15.1-eksbuild.1', '--k8s', '1.29', '--catalog', catalog, '--format', 'json');

    // Assess
    expect(err).toContain(`--catalog ${catalog} lists vpc-cni builds for Kubernetes 1.24, not for --k8s 1.29`);
    expect(out).not.toContain('--addon-version');
  });

  it('with a saved early-2023 catalog for Kubernetes 1.24, gives every finding one target: the least bad build EKS offered', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const catalog = join(dir, '124.json');
    await writeFile(catalog, JSON.stringify(describeAddonVersions('1.24', K8S_124_EARLY_2023)));

    // Act
    const { out } = await run('check', '--version', 'v1.12.0-eksbuild.1', '--k8s', '1.24', '--catalog', catalog, '--cluster', 'orders', '--region', 'us-east-1', '--format', 'json');

    // Assess
    const { findings, plan } = JSON.parse(out) as { findings: { ruleId: string; targetVersion: string | null }[]; plan: { target: string; steps: { commands: string[] }[] } };
    expect(findings.map((f) => [f.ruleId, f.targetVersion])).toEqual([
      ['vpc-cni-ipamd-reconcile-regression', 'v1.11.3-eksbuild.1'],
      ['vpc-cni-stale-imds-same-ip-count', 'v1.11.3-eksbuild.1'],
      // Going down for the regression does not catch up with the newest build: that finding moves nowhere.
      ['vpc-cni-behind-latest', null],
    ]);
    const versions = plan.steps.flatMap((s) => s.commands).flatMap((c) => [...c.matchAll(/--addon-version (\S+)/g)].map((m) => m[1]));
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect(K8S_124_EARLY_2023).toContain(v);
  });
  it('prints whole commands with the placeholders <cluster> and <region> when --cluster and --region are not given, and says so', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'check-placeholders-'));
    const catalog = join(dir, 'catalog.json');
    await writeFile(catalog, JSON.stringify(describeAddonVersions('1.29', K8S_129_SPRING_2024, K8S_129_SPRING_2024_DEFAULT)));

    // Act
    const text = await run('check', '--version', 'v1.16.0-eksbuild.1', '--k8s', '1.29', '--catalog', catalog);
    const json = await run('check', '--version', 'v1.16.0-eksbuild.1', '--k8s', '1.29', '--catalog', catalog, '--format', 'json');
    const region = await run('check', '--version', 'v1.16.0-eksbuild.1', '--k8s', '1.29', '--catalog', catalog, '--region', 'eu-west-1');

    // Assess
    expect(text.out).toMatch(/\$ aws eks update-addon --cluster-name <cluster> --region <region> --addon-name vpc-cni --addon-version v1\.\d+\.\d+-eksbuild\.\d+ /);
    expect(text.out).toContain('The commands hold the placeholders <cluster> (--cluster) and <region> (--region): they do not run as printed. Give both flags for commands ready to paste.');
    const plan = (JSON.parse(json.out) as { plan: { clusterName: string; region: string; steps: { commands: string[] }[] } }).plan;
    expect([plan.clusterName, plan.region]).toEqual(['<cluster>', '<region>']);
    expect(plan.steps.flatMap((s) => s.commands).some((c) => c.includes('--cluster-name <cluster> --region <region>'))).toBe(true);
    expect(`${text.out}${json.out}`).not.toMatch(/fleetauditplaceholder|us-east-2/);
    expect(region.out).toContain('--cluster-name <cluster> --region eu-west-1 ');
    expect(region.out).toContain('The commands hold the placeholder <cluster> (--cluster): they do not run as printed. Give the flag');
  });
  it('loads no AWS SDK client: check makes no AWS call, and starts without them', async () => {
    // Prepare: the CLI in a process of its own, which then lists the SDK clients Node loaded
    const script = [
      "import { createRequire } from 'node:module';",
      "const { main } = await import('./lib/cli/main.ts');",
      "const code = await main(['check', '--version', 'v1.7.1-eksbuild.1', '--k8s', '1.21'], { out: () => undefined, err: (s) => process.stderr.write(s), isTty: false });",
      "const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /@aws-sdk\\/client-|@aws-sdk\\/s3-/.test(k));",
      'console.log(JSON.stringify({ code, loaded }));',
    ].join('\n');

    // Act
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', '--input-type=module', '-e', script]);

    // Assess
    expect(JSON.parse(stdout)).toEqual({ code: 0, loaded: [] });
  });
});
