#!/usr/bin/env node
// Stands in for `aws` and `npm` while test/deploy/readme-deploy.test.ts walks the README's Deploy
// section in bash: records each call's argv (as bash expanded it) as one JSON line in
// $WALK_LOG, leaves the package step's zips (empty: the test packages for real with the deploy's
// arguments), and answers what a later command reads — an account id, a stack output, the
// ExternalId stored in Parameter Store — the way the AWS CLI prints it with --output text.
// Plain JavaScript: it starts once per command, without a TypeScript loader.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const [tool, ...args] = process.argv.slice(2);
const env = process.env;
appendFileSync(env.WALK_LOG, `${JSON.stringify([tool, ...args])}\n`);
if (tool === 'npm' && args[0] === 'run' && args[1] === 'package') {
  // What the package step leaves for the next command to list; the test packages for real.
  mkdirSync('.serverless', { recursive: true });
  for (const fn of ['audit', 'scanWorker', 'aggregate']) writeFileSync(`.serverless/${fn}.zip`, '');
}
if (tool !== 'aws') process.exit(0);

const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const state = existsSync(env.WALK_STATE) ? JSON.parse(readFileSync(env.WALK_STATE, 'utf8')) : {};
const save = () => writeFileSync(env.WALK_STATE, JSON.stringify(state));
const query = option('--query') ?? '';
const say = (text) => process.stdout.write(`${text}\n`);
/** As the AWS CLI fails: the message on standard error, exit 1. */
const fail = (message) => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

const MANAGEMENT = '111111111111';
const AUDITOR = '222222222222';
const account = option('--profile') === env.MANAGEMENT_PROFILE ? MANAGEMENT : AUDITOR;
const stack = `arn:aws:cloudformation:us-east-1:${AUDITOR}`;
const OUTPUTS = {
  // The audit function's role and the scan worker's, as the stack's output lists them.
  AuditorRoleArn: `arn:aws:iam::${AUDITOR}:role/eks-fleet-auditor-prod-audit,arn:aws:iam::${AUDITOR}:role/eks-fleet-auditor-prod-scan-worker`,
  FindingsTopicArn: `arn:aws:sns:us-east-1:${AUDITOR}:eks-fleet-auditor-prod-findings`,
  HistoryBucketName: 'eks-fleet-auditor-prod-historybucket-1a2b3c4d5e6f',
};
const REPORT_KEY = 'fleet-audit/runs/2026/11/30/2026-11-30T02-00-00-000Z-abc123.json';

switch (`${args[0]} ${args[1]}`) {
  case 'sts get-caller-identity':
    say(account);
    break;
  case 'organizations list-roots':
    say('r-ab12');
    break;
  case 'organizations describe-organization':
    say('o-a1b2c3d4e5');
    break;
  case 'organizations list-accounts':
    say(MANAGEMENT);
    break;
  case 'organizations list-delegated-administrators':
    say(AUDITOR);
    break;
  case 'ssm put-parameter':
    state[option('--name')] = option('--value');
    save();
    say(JSON.stringify({ Version: 1, Tier: 'Standard' }));
    break;
  case 'ssm get-parameter':
    say(state[option('--name')] ?? '');
    break;
  case 'cloudformation describe-stacks': {
    const output = Object.keys(OUTPUTS).find((key) => query.includes(`'${key}'`));
    say(output ? OUTPUTS[output] : 'CREATE_COMPLETE');
    break;
  }
  case 'cloudformation describe-organizations-access':
    say('ENABLED');
    break;
  case 'cloudformation create-stack-set':
    say(JSON.stringify({ StackSetId: `eks-fleet-audit-role:${stack}` }));
    break;
  case 'cloudformation create-stack-instances':
  case 'cloudformation delete-stack-instances':
    say('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    break;
  case 'cloudformation describe-stack-set-operation':
    say('SUCCEEDED');
    break;
  case 'securityhub describe-organization-configuration':
    say('ENABLED');
    break;
  case 'securityhub create-configuration-policy':
    say('a1b2c3d4-5678-90ab-cdef-EXAMPLE11111');
    break;
  case 'securityhub list-finding-aggregators':
    say(`arn:aws:securityhub:us-east-1:${AUDITOR}:finding-aggregator/123e4567-e89b-12d3-a456-426652340000`);
    break;
  case 'securityhub list-configuration-policy-associations':
    say('SUCCESS');
    break;
  case 'chatbot describe-slack-workspaces':
    say('T0123456789');
    break;
  case 'iam get-role':
    say(`arn:aws:iam::${AUDITOR}:role/${option('--role-name')}`);
    break;
  case 'chatbot create-slack-channel-configuration':
    say(`arn:aws:chatbot::${AUDITOR}:chat-configuration/slack-channel/eks-fleet-audit`);
    break;
  case 'chatbot describe-slack-channel-configurations':
    say(`ENABLED\t${OUTPUTS.FindingsTopicArn}`);
    break;
  case 'lambda invoke': {
    // The summary the audit function returns (lib/lambda/audit.ts AuditSummary), into the outfile.
    const payload = option('--payload');
    const dryRun = (payload.startsWith('file://') ? readFileSync(payload.slice('file://'.length), 'utf8') : payload).includes('"dryRun": true');
    const summary = {
      runId: '2026-11-30T02-00-00-000Z-abc123',
      dryRun,
      findings: { critical: 0, high: 3, medium: 2, low: 5, informational: 0 },
      newFindings: 10,
      resolvedFindings: 0,
      suppressed: 0,
      coverage: { listed: 9, excluded: 1, scanned: 7, failed: 1, notReached: 0, clusters: 22, regions: 15 },
      errors: 1,
      delivery: dryRun ? { securityHub: 'dry-run', notification: 'dry-run', history: 'dry-run' } : { securityHub: { scopes: 15, imported: 10, archived: 0, failed: 0 }, notification: { sent: true, reason: 'first run' }, history: { location: `s3://${OUTPUTS.HistoryBucketName}/${REPORT_KEY}` } },
    };
    writeFileSync(args.at(-1), JSON.stringify(summary));
    say(JSON.stringify({ StatusCode: 200, ExecutedVersion: '$LATEST' }));
    break;
  }
  case 's3 cp': {
    // The history bucket is $WALK_BUCKET on disk, written by the real history store: the pointer
    // and the report are the shapes the audit writes, at the keys it writes them.
    const [source, destination] = [args[2], args[3]];
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(source) ?? [];
    if (bucket !== OUTPUTS.HistoryBucketName) fail(`fatal error: An error occurred (NoSuchBucket) when calling the HeadObject operation: The specified bucket does not exist`);
    const path = `${env.WALK_BUCKET}/${key}`;
    if (!existsSync(path)) fail(`fatal error: An error occurred (404) when calling the HeadObject operation: Key "${key}" does not exist`);
    if (destination === '-') process.stdout.write(readFileSync(path));
    else writeFileSync(destination, readFileSync(path));
    break;
  }
  default:
    break;
}
