/**
 * The README's Deploy section, walked command by command as an operator would: every ```sh block
 * in order, in bash with `set -u` (a variable used before it is set stops the walk), `aws` and
 * `npm` standing in (test/deploy/cli-stub.mjs records each call and answers what later commands
 * read), the rest real (openssl, jq, ls). Then what can be checked offline: `npm run deploy`'s
 * own arguments through `npm run package` for real (the zips, the template's parameters), those
 * parameters against serverless.yml and the functions' configuration,
 * the StackSet's parameters against member-role.yml's own rules, every `aws` command and option
 * against the AWS CLI's service models (where botocore is installed), the uninstall.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../lib/config.js';
import { parseAuditEvent } from '../../lib/lambda/event.js';
import { botocoreData, cliOperation, CUSTOM_COMMANDS, queriedMembers } from './aws-cli-models.js';
import { parameterProblems, parseCloudFormationYaml, type Template } from './cloudformation.js';
import { packageService } from './packaging.js';
import { MANAGEMENT_ACCOUNT_ACTIONS } from './permissions.js';
import { LocalHistoryStore } from '../../lib/deliver/history/local-store.js';
import { aCoverage, aReport } from '../deliver/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STUB = fileURLToPath(new URL('./cli-stub.mjs', import.meta.url));
const TIMEOUT_MS = 240_000;

let dir: string;
let blocks: string[];
let walk: { code: number; stdout: string; stderr: string };
let calls: string[][];

const FIRST_NIGHT = aReport({
  runId: '2026-11-30T02-00-00-000Z-abc123',
  startedAt: '2026-11-30T02:00:00.000Z',
  finishedAt: '2026-11-30T02:04:00.000Z',
  errors: [{ accountId: '555555555555', stage: 'assume-role', code: 'AccessDenied', message: 'cannot assume arn:aws:iam::555555555555:role/EksFleetAuditRole' }],
  coverage: aCoverage({ notes: [{ accountId: '444444444444', region: 'eu-west-1', kind: 'securityhub-not-enabled', message: 'Security Hub is not enabled' }] }),
});

/** The ```sh blocks of the README's Deploy section, in order. */
function deployBlocks(readme: string): string[] {
  const section = readme.slice(readme.indexOf('\n## Deploy\n'), readme.indexOf('\n## Configure\n'));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

beforeAll(async () => {
  blocks = deployBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
  dir = await mkdtemp(join(tmpdir(), 'readme-deploy-'));
  await cp(join(ROOT, 'member-role.yml'), join(dir, 'member-role.yml'));
  await cp(join(ROOT, 'events'), join(dir, 'events'), { recursive: true });
  // The history bucket of the first night, as the audit leaves it under its prefix (fleet-audit/).
  await new LocalHistoryStore(join(dir, 'bucket', 'fleet-audit')).save(FIRST_NIGHT, { notified: true });
  const script = [
    'set -euo pipefail',
    `aws() { node ${JSON.stringify(STUB)} aws "$@"; }`,
    `npm() { node ${JSON.stringify(STUB)} npm "$@"; }`,
    ...blocks,
  ].join('\n');
  await writeFile(join(dir, 'walk.sh'), script);
  const env = { PATH: process.env.PATH ?? '', HOME: dir, WALK_LOG: join(dir, 'calls.jsonl'), WALK_STATE: join(dir, 'state.json'), WALK_BUCKET: join(dir, 'bucket') };
  walk = await new Promise((resolve) =>
    execFile('bash', ['walk.sh'], { cwd: dir, env, timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr })),
  );
  calls = (await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
}, TIMEOUT_MS);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const awsCalls = (service: string, command: string) => calls.filter((c) => c[0] === 'aws' && c[1] === service && c[2] === command);
const option = (call: string[], name: string) => call[call.indexOf(name) + 1];
/** `--parameters '[{"ParameterKey":"A","ParameterValue":"B"}]'` (create-stack-set) or `A=B ...` (deploy --parameter-overrides), to a map. */
function parametersOf(call: string[], flag: string): Record<string, string> {
  const values = call.slice(call.indexOf(flag) + 1);
  const given = values.slice(0, values.findIndex((v) => v.startsWith('--')) >>> 0);
  if (given[0]?.startsWith('[')) return Object.fromEntries((JSON.parse(given[0]) as { ParameterKey: string; ParameterValue: string }[]).map((p) => [p.ParameterKey, p.ParameterValue]));
  return Object.fromEntries(given.map((v) => v.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

describe('README Deploy section', () => {
  it('runs command by command to the end, every variable set before it is used', () => {
    // Assess
    expect(walk.stderr).toBe('');
    expect(walk.code).toBe(0);
    expect(walk.stdout).toContain('organization o-a1b2c3d4e5, auditor 222222222222, management 111111111111, root r-ab12, call StackSets as DELEGATED_ADMIN');
    expect(calls.map((c) => c.slice(0, 3).join(' '))).toEqual(
      expect.arrayContaining(['npm run package', 'npm run deploy', 'aws cloudformation create-stack-set', 'aws securityhub create-finding-aggregator', 'aws chatbot create-slack-channel-configuration', 'aws lambda invoke', 'npm run remove']),
    );
  });

  it('sets every variable before it is used and reuses it: nothing exported is left unused', () => {
    // Prepare: the AWS CLI reads these itself
    const readByTools = new Set(['AWS_PROFILE', 'AWS_REGION']);
    const text = blocks.join('\n');

    // Act
    const exported = [...text.matchAll(/\bexport ((?:[A-Z_]+=\S*\s*)+)/g)].flatMap((m) => [...m[1]!.matchAll(/([A-Z_]+)=/g)].map((v) => v[1]!));
    const unused = [...new Set(exported)].filter((name) => !readByTools.has(name) && !new RegExp(`\\$\\{?${name}\\b`).test(text));

    // Assess
    expect(exported).toEqual(expect.arrayContaining(['EXTERNAL_ID', 'AUDITOR_ROLE_ARN', 'TOPIC_ARN', 'HISTORY_BUCKET', 'ROOT_ID', 'CALL_AS']));
    expect(unused).toEqual([]);
  });

  it('packages with `npm run package` and the organization id of step 0, then lists the zips', () => {
    // Act
    const listed = walk.stdout.split('\n').filter((l) => l.includes('.serverless/'));

    // Assess
    expect(calls).toContainEqual(['npm', 'run', 'package', '--', '--param=organizationId=o-a1b2c3d4e5']);
    expect(listed.map((l) => l.split(/\s+/).at(-1))).toEqual(['.serverless/aggregate.zip', '.serverless/audit.zip', '.serverless/scanWorker.zip']);
  });

  it('deploys with parameters osls accepts: the same command, `package` for `deploy`, gives one zip per function and the parameters in the template', async () => {
    // Prepare
    const deploy = calls.find((c) => c[0] === 'npm' && c[2] === 'deploy')!;
    const out = join(dir, 'deploy-package');

    // Act
    await packageService(out, deploy.slice(4), TIMEOUT_MS);
    const template = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
    const env = (template.Resources.AuditLambdaFunction!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;

    // Assess
    expect((await readdir(out)).filter((f) => f.endsWith('.zip')).sort()).toEqual(['aggregate.zip', 'audit.zip', 'scanWorker.zip']);
    expect(env).toMatchObject({ AUDIT_EXTERNAL_ID_PARAMETER: option(awsCalls('ssm', 'put-parameter')[0]!, '--name'), AUDIT_ASSUME_ROLE_IN_MANAGEMENT: 'true', AUDIT_OUS: '' });
    expect(env).not.toHaveProperty('AUDIT_EXTERNAL_ID');
    expect(template.Resources.AlarmEmailSubscription?.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'cloud-platform@example.com' });
  }, TIMEOUT_MS);

  it('deploys with parameters serverless.yml declares and the functions accept, the ExternalId the one kept in Parameter Store', async () => {
    // Prepare
    const deploy = calls.find((c) => c[0] === 'npm' && c[2] === 'deploy')!;
    const text = await readFile(join(ROOT, 'serverless.yml'), 'utf8');
    const serverless = parseCloudFormationYaml(text) as { params: { default: Record<string, unknown> }; provider: { environment: Record<string, unknown> }; functions: { audit: { environment?: Record<string, unknown> } } };
    const declared = new Set([...Object.keys(serverless.params.default), ...[...text.matchAll(/\$\{param:(\w+)\}/g)].map((m) => m[1]!)]);

    // Act
    const params = Object.fromEntries(deploy.filter((a) => a.startsWith('--param=')).map((a) => a.slice('--param='.length).split(/=(.*)/s).slice(0, 2) as [string, string]));
    const values: Record<string, string> = { ...Object.fromEntries(Object.entries(serverless.params.default).map(([k, v]) => [k, String(v)])), ...params };
    const env = Object.fromEntries(
      Object.entries({ ...serverless.provider.environment, ...serverless.functions.audit.environment }).flatMap(([name, value]) => {
        const param = typeof value === 'string' ? /^\$\{param:(\w+)\}$/.exec(value)?.[1] : undefined;
        return param === undefined || values[param] === undefined ? [] : [[name, values[param]!]];
      }),
    );

    // Assess
    expect(deploy.slice(0, 4)).toEqual(['npm', 'run', 'deploy', '--']);
    expect(option(deploy, '--stage')).toBe('prod');
    expect(Object.keys(params).filter((k) => !declared.has(k))).toEqual([]);
    expect(params).toMatchObject({ organizationId: 'o-a1b2c3d4e5', externalIdParameter: option(awsCalls('ssm', 'put-parameter')[0]!, '--name'), assumeRoleInManagement: 'true' });
    expect(readConfig({ ...env, AWS_REGION: 'us-east-1' })).toMatchObject({ externalIdParameter: '/eks-fleet-auditor/prod/external-id', assumeRoleInManagementAccount: true });
  });

  it('creates the member role with parameters member-role.yml accepts, and the same command with an empty ExternalId is refused', async () => {
    // Prepare
    const template = parseCloudFormationYaml(await readFile(join(ROOT, 'member-role.yml'), 'utf8')) as Template;
    const stackSet = parametersOf(awsCalls('cloudformation', 'create-stack-set')[0]!, '--parameters');
    const managementStack = parametersOf(awsCalls('cloudformation', 'deploy')[0]!, '--parameter-overrides');
    const stored = option(awsCalls('ssm', 'put-parameter')[0]!, '--value');

    // Act
    const accepted = [parameterProblems(template, stackSet), parameterProblems(template, managementStack)];
    const withoutExternalId = parameterProblems(template, { ...stackSet, ExternalId: '' });

    // Assess
    expect(stackSet).toEqual({ AuditorRoleArn: 'arn:aws:iam::222222222222:role/eks-fleet-auditor-prod-audit,arn:aws:iam::222222222222:role/eks-fleet-auditor-prod-scan-worker', ExternalId: stored });
    expect(managementStack).toEqual(stackSet);
    expect(accepted).toEqual([[], []]);
    expect(withoutExternalId).toEqual([expect.stringMatching(/^ExternalId is empty/)]);
    expect(option(awsCalls('cloudformation', 'create-stack-set')[0]!, '--template-body')).toBe('file://member-role.yml');
  });

  it('lists every parameter serverless.yml declares in the table of step 4', async () => {
    // Prepare
    const serverless = parseCloudFormationYaml(await readFile(join(ROOT, 'serverless.yml'), 'utf8')) as { params: { default: Record<string, unknown> } };
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const step4 = readme.slice(readme.indexOf('\n### 4. Deploy the stack'), readme.indexOf('\n### 5. '));

    // Act
    const listed = new Set([...step4.matchAll(/^\| ((?:`\w+`(?: \/ )?)+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(\w+)`/g)].map((n) => n[1]!)));

    // Assess
    expect(Object.keys(serverless.params.default).filter((name) => !listed.has(name))).toEqual([]);
  });

  it('delegates to the auditor\'s account exactly the Organizations calls the code makes, plus ListRoots for step 0', () => {
    // Prepare
    const policy = JSON.parse(option(awsCalls('organizations', 'put-resource-policy')[0]!, '--content')!) as { Statement: { Action: string[]; Principal: { AWS: string } }[] };
    const made = MANAGEMENT_ACCOUNT_ACTIONS.filter((a) => a.startsWith('organizations:'));

    // Act
    const delegated = policy.Statement.flatMap((s) => s.Action);

    // Assess
    expect([...delegated].sort()).toEqual([...made, 'organizations:ListRoots'].sort());
    expect(policy.Statement[0]!.Principal.AWS).toBe('arn:aws:iam::222222222222:root');
  });

  it('invokes the first night with payloads the audit function accepts: a dry run, then a full run', async () => {
    // Act
    const payloads = awsCalls('lambda', 'invoke').map((c) => option(c, '--payload')!);
    const events = await Promise.all(payloads.map(async (p) => JSON.parse(p.startsWith('file://') ? await readFile(join(ROOT, p.slice('file://'.length)), 'utf8') : p) as unknown));

    // Assess
    expect(events.map((e) => parseAuditEvent(e).dryRun)).toEqual([true, false]);
    expect(awsCalls('lambda', 'invoke').map((c) => option(c, '--function-name'))).toEqual(['eks-fleet-auditor-prod-audit', 'eks-fleet-auditor-prod-audit']);
  });

  it('reads the first night\'s full report through the latest.json pointer, whose key is relative to the history prefix', async () => {
    // Act
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { runId: string };

    // Assess
    expect(report.runId).toBe(FIRST_NIGHT.runId);
    expect(walk.stdout).toContain('555555555555 - [assume-role] AccessDenied: cannot assume arn:aws:iam::555555555555:role/EksFleetAuditRole');
    expect(walk.stdout).toContain('444444444444 eu-west-1 securityhub-not-enabled: Security Hub is not enabled');
  });

  it('uninstalls what it installed: the stack instances, the StackSet, the Slack channel, the stack, the ExternalId, the bucket', () => {
    // Act
    const order = calls.map((c) => c.slice(0, 3).join(' '));
    const at = (command: string) => order.lastIndexOf(command);

    // Assess
    expect(at('aws cloudformation delete-stack-instances')).toBeGreaterThan(at('aws cloudformation create-stack-instances'));
    expect(at('aws cloudformation delete-stack-set')).toBeGreaterThan(at('aws cloudformation delete-stack-instances'));
    expect(at('aws chatbot delete-slack-channel-configuration')).toBeGreaterThan(at('aws chatbot create-slack-channel-configuration'));
    expect(at('npm run remove')).toBeGreaterThan(at('npm run deploy'));
    expect(at('aws ssm delete-parameter')).toBeGreaterThan(at('aws ssm put-parameter'));
    expect(at('aws s3 rb')).toBeGreaterThan(at('aws s3api put-bucket-lifecycle-configuration'));
  });

  it('calls only AWS CLI commands and options that exist, and queries only fields their answers have', async (context) => {
    // Prepare
    const data = await botocoreData();
    if (!data) context.skip('botocore (the AWS CLI) is not installed');
    const problems: string[] = [];

    for (const call of calls.filter((c) => c[0] === 'aws')) {
      // Act
      const [, service, command, ...rest] = call as [string, string, string, ...string[]];
      const options = rest.filter((a) => a.startsWith('--'));
      const custom = CUSTOM_COMMANDS[`${service} ${command}`];
      if (custom) {
        problems.push(...options.filter((o) => !custom.includes(o) && !['--profile', '--region'].includes(o)).map((o) => `aws ${service} ${command}: no option ${o}`));
        continue;
      }
      const operation = await cliOperation(data!, service, command);
      if (!operation) {
        problems.push(`aws ${service} ${command}: no such command`);
        continue;
      }
      problems.push(...options.filter((o) => !operation.options.has(o)).map((o) => `aws ${service} ${command}: no option ${o}`));
      const query = rest.includes('--query') ? option(call, '--query')! : '';
      problems.push(...queriedMembers(query).filter((m) => !operation.outputMembers.has(m)).map((m) => `aws ${service} ${command} --query: the answer has no ${m}`));
    }

    // Assess
    expect(problems).toEqual([]);
  });
});
