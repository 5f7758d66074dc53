/**
 * The package as a user gets it: `npm pack` (which builds lib/ to dist/), installed with
 * `npm install -g` into a temporary prefix, run from a directory outside the clone with an
 * environment that has nothing of the repository (no tsx, no NODE_OPTIONS, no SDK opt-outs).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator } from '../sim/server.js';
import { packAndInstall, type InstalledPackage } from '../support/installed-package.js';
import { LocalHistoryStore } from '../../lib/deliver/history/local-store.js';
import { aReport } from '../deliver/fixtures.js';
import { pageDataOf } from '../report/html/read-page.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL_TIMEOUT_MS = 240_000;

let dir: string;
let installed: InstalledPackage;
let sim: Simulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-audit-installed-'));
  installed = await packAndInstall(dir, INSTALL_TIMEOUT_MS);
  sim = await startSimulator({ org: join(ROOT, 'events/demo-org.json'), port: 0 });
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The installed command, found on PATH as a shell finds it, from outside the clone. */
async function fleetAudit(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const path = [installed.binDir, dirname(process.execPath), '/usr/bin', '/bin'].join(':');
  return new Promise((resolve) => {
    execFile('fleet-audit', args, { cwd: installed.outside, env: { PATH: path, HOME: installed.outside, ...env }, timeout: 60_000 }, (error, out, err) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, out, err }),
    );
  });
}

describe('fleet-audit (the packed, installed package)', () => {
  it('ships the built CLI, its bin and the rules, and neither the TypeScript nor the tests', () => {
    // Assess
    expect(installed.files).toEqual(expect.arrayContaining(['bin/fleet-audit.js', 'dist/cli/main.js', 'dist/rules/load.js', 'package.json', 'rules/vpc-cni-below-v1.8.0.md']));
    expect(installed.files.filter((p) => /^(lib|test|functions)\//.test(p) || p.endsWith('.ts'))).toEqual([]);
  });

  it('packs a package.json without scripts (no install script for npm to warn about), and leaves the clone\'s own as it was', async () => {
    // Act
    const packed = JSON.parse(await readFile(join(installed.prefix, 'lib', 'node_modules', 'eks-fleet-auditor', 'package.json'), 'utf8')) as Record<string, unknown>;
    const clone = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

    // Assess
    expect(packed.scripts).toBeUndefined();
    expect(packed).toMatchObject({ name: 'eks-fleet-auditor', bin: { 'fleet-audit': 'bin/fleet-audit.js' } });
    expect(clone.scripts).toMatchObject({ prepare: expect.any(String), prepack: expect.any(String), test: 'vitest run' });
    expect(existsSync(join(ROOT, 'package.json.prepack'))).toBe(false);
  });

  it('prints its version and its help with the exit codes', async () => {
    // Act
    const version = await fleetAudit(['--version']);
    const help = await fleetAudit(['--help']);

    // Assess
    expect(version).toEqual({ code: 0, out: '0.1.0\n', err: '' });
    expect(help.code).toBe(0);
    expect(help.out).toContain('Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input, 3 partial coverage');
  });

  it('runs check with the packaged rules, with no installed TypeScript loader', async () => {
    // Act
    const { code, out, err } = await fleetAudit(['check', '--version', 'v1.7.1-eksbuild.1', '--k8s', '1.21', '--format', 'json', '--fail-on', 'high']);

    // Assess
    expect(err).toBe('');
    expect(code).toBe(1);
    expect((JSON.parse(out) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId)).toEqual(['vpc-cni-below-v1.7.2', 'vpc-cni-below-v1.8.0']);
    const modules = await readdir(join(installed.prefix, 'lib', 'node_modules', 'eks-fleet-auditor', 'node_modules'));
    expect(modules).toContain('commander');
    expect(modules.filter((name) => ['tsx', 'esbuild', 'typescript', '@esbuild', '@middy', '@aws-lambda-powertools'].includes(name))).toEqual([]);
  });

  it('lists the packaged rules from the built code', async () => {
    // Act
    const { code, out } = await fleetAudit(['rules', 'list', '--format', 'json']);

    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(out) as { id: string; source: string }[]).map((r) => r.id)).toEqual(expect.arrayContaining(['vpc-cni-below-v1.8.0', 'vpc-cni-ipamd-reconcile-regression']));
  });

  it('scans the simulated organization, with progress and no AWS SDK Node version warning on stderr', async () => {
    // Act
    const { code, out, err } = await fleetAudit(['scan', '--endpoint', sim.endpoint, '--accounts', '333333333333', '--format', 'json'], {
      AWS_ACCESS_KEY_ID: SIM_MANAGEMENT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_MANAGEMENT_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(out) as { coverage: { accounts: { scanned: number } }; findings: { accountId: string }[] };
    expect(report.coverage.accounts.scanned).toBe(1);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(err).toMatch(/^scanning the organization…\nscanned 1\/1 selected account in \d+\.\d s: \d+ clusters, 0 errors\ncoverage: 1 of 9 accounts scanned, 8 excluded; .*\n$/);
  });

  it('renders the fleet page of a saved run with the report command: its script is packed, built', async () => {
    // Prepare
    const history = join(dir, 'history');
    await new LocalHistoryStore(history).save(aReport(), { notified: true });

    // Act
    const { code, out, err } = await fleetAudit(['report', '--history-dir', history]);

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(pageDataOf(out).run.runId).toBe(aReport().runId);
    expect(installed.files).not.toContain('dist/report/html/build.js');
  });
});
