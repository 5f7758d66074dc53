/**
 * `npm run package` (osls + serverless-esbuild), run once, offline and without AWS credentials;
 * then the CloudFormation template it wrote and the zip it built, which must run on its own.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, deadlineOf, readConfig } from '../../lib/config.js';
import { startSimulator } from '../sim/server.js';
import { DEMO_BUCKET, simulatorEnv } from '../support/local-lambda.js';
import { actionsOf, allowedActions, cfnLint, resourcesOfType, roleStatements, statementsOf, type Resource, type Statement, type Template } from './cloudformation.js';
import { packageService } from './packaging.js';
import { FUNCTIONS, roleActions, type FunctionName } from './permissions.js';
import { readZip, type ZipEntry } from './zip.js';

const run = promisify(execFile);
/** The parameters a deploy gives (the optional ones too, so their statements are in the template). */
const PARAMS = { organizationId: 'o-a1b2c3d4e5', externalIdParameter: '/eks-fleet-auditor/external-id', suppressionsUri: 's3://audit-config/suppressions.yaml' };
const SCHEDULED = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
const PACKAGE_TIMEOUT_MS = 180_000;

let out: string;
let template: Template;
/** Each function's zip, by its key in serverless.yml, and the handler bundle in it. */
const BUNDLES = { audit: 'functions/audit.mjs', scanWorker: 'functions/scan-worker.mjs', aggregate: 'functions/aggregate.mjs' } as const;
const zips: Record<string, ZipEntry[]> = {};

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'fleet-audit-package-'));
  const params = Object.entries(PARAMS).map(([name, value]) => `--param=${name}=${value}`);
  await packageService(out, params, PACKAGE_TIMEOUT_MS);
  template = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  for (const fn of Object.keys(BUNDLES)) zips[fn] = readZip(await readFile(join(out, `${fn}.zip`)));
}, PACKAGE_TIMEOUT_MS);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

function resource(logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no ${logicalId}`);
  return found;
}

const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;

describe('package (serverless.yml)', () => {
  it('schedules the audit every night at 02:00 UTC', () => {
    // Act
    const rules = resourcesOfType(template, 'AWS::Events::Rule');

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties).toMatchObject({
      ScheduleExpression: 'cron(0 2 * * ? *)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': ['AuditLambdaFunction', 'Arn'] } }],
    });
  });

  it('runs the audit one at a time on nodejs22.x arm64, with the default limits and tracing', () => {
    // Act
    const audit = props('AuditLambdaFunction');

    // Assess
    expect(audit).toMatchObject({
      Handler: 'functions/audit.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 1024,
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it("gives the aggregate the memory a large organization's report needs, a scan worker the memory of its batch, the audit the default", () => {
    // Act
    const sizes = ['AuditLambdaFunction', 'ScanWorkerLambdaFunction', 'AggregateLambdaFunction'].map((id) => props(id).MemorySize as number);

    // Assess: 2,751 MB measured at 10,000 accounts × 17 regions for the aggregate, the workers under 256 MB (README, Benchmark)
    expect(sizes).toEqual([1024, 512, 4096]);
  });

  it('sends a failed scheduled run to an encrypted dead-letter queue, without a blind retry', () => {
    // Act
    const invokeConfig = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');

    // Assess
    expect(invokeConfig).toHaveLength(1);
    expect(invokeConfig[0]![1].Properties).toMatchObject({
      FunctionName: { Ref: 'AuditLambdaFunction' },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['AuditDeadLetterQueue', 'Arn'] } } },
    });
    expect(props('AuditDeadLetterQueue').SqsManagedSseEnabled).toBe(true);
  });

  it('sets only variables lib/config.ts knows, and the defaults pass its validation with time to scan', () => {
    // Prepare: what CloudFormation would put in place of the references
    const deployed: Record<string, string> = {
      FindingsTopic: 'arn:aws:sns:us-east-1:111111111111:eks-fleet-auditor-dev-findings',
      HistoryBucket: 'eks-fleet-auditor-dev-historybucket-1a2b3c4d5e6f',
    };
    const resolve = (value: unknown): string => {
      if (typeof value === 'string') return value;
      const intrinsic = value as { Ref?: string; 'Fn::Sub'?: string };
      if (intrinsic.Ref) return deployed[intrinsic.Ref] ?? '';
      return (intrinsic['Fn::Sub'] ?? '').replace('${AWS::Partition}', 'aws').replace('${AWS::Region}', 'us-east-1').replace('${AWS::AccountId}', '111111111111');
    };

    for (const [logicalId] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      // Act
      const variables = props(logicalId).Environment.Variables as Record<string, unknown>;
      const env = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(value)]));

      // Assess
      const unknown = Object.keys(env).filter((name) => !(name in CONFIG_VARIABLES) && !/^POWERTOOLS_/.test(name) && name !== 'NODE_OPTIONS');
      expect(unknown, logicalId).toEqual([]);
      expect(readConfig({ ...env, AWS_REGION: 'us-east-1' })).toMatchObject({
        roleName: 'EksFleetAuditRole',
        regions: 'all',
        assumeRoleInManagementAccount: false,
        securityHub: true,
        readDaemonSet: 'self-managed',
        topicArn: deployed.FindingsTopic,
        historyBucket: deployed.HistoryBucket,
        historyPrefix: 'fleet-audit/',
        notifyMode: 'on-change',
        minSeverity: 'low',
        suppressionsUri: PARAMS.suppressionsUri,
        stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:eks-fleet-auditor-dev-distributed',
      });
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('EksFleetAuditor');
      // The margin leaves the function time to scan, against its own timeout
      expect(() => deadlineOf(readConfig({ ...env, AWS_REGION: 'us-east-1' }), 0, Number(props(logicalId).Timeout) * 1000)).not.toThrow();
      // The ExternalId is never in the environment: only the name of its parameter, for the two functions that assume roles
      expect(env.AUDIT_EXTERNAL_ID, logicalId).toBeUndefined();
      expect(env.AUDIT_EXTERNAL_ID_PARAMETER, logicalId).toBe(logicalId === 'AggregateLambdaFunction' ? undefined : PARAMS.externalIdParameter);
    }
  });

  it('encrypts the topic with a rotated customer managed key that CloudWatch alarms may use', () => {
    // Act
    const topic = props('FindingsTopic');
    const key = props('FindingsTopicKey');
    const statements = key.KeyPolicy.Statement as Statement[];

    // Assess
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['FindingsTopicKey', 'Arn'] });
    expect(key.EnableKeyRotation).toBe(true);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
  });

  it('keeps the run history private, encrypted with the stack\'s key, versioned, TLS-only, and expires run reports', () => {
    // Act
    const bucket = props('HistoryBucket');
    const policy = props('HistoryBucketPolicy').PolicyDocument.Statement as Statement[];

    // Assess
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['FindingsTopicKey', 'Arn'] } }, BucketKeyEnabled: true },
    ]);
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // An overwritten report keeps its earlier version as long as reports are kept
    expect(bucket.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', Prefix: 'fleet-audit/runs/', ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 400 } }),
    );
    expect(policy).toContainEqual(expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(resource('HistoryBucket')).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('alarms to the topic on a failed run, failed accounts, low coverage, zero accounts, each failed delivery, a failed distributed run', () => {
    // Act
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Record<string, any>);

    // Assess
    expect(alarms.every((a) => JSON.stringify(a.AlarmActions) === JSON.stringify([{ Ref: 'FindingsTopic' }]))).toBe(true);
    expect(alarms).toContainEqual(
      expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'AuditLambdaFunction' } }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }),
    );
    expect(alarms).toContainEqual(
      expect.objectContaining({ Namespace: 'EksFleetAuditor', MetricName: 'AccountsFailed', Dimensions: [{ Name: 'service', Value: 'eks-fleet-auditor' }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }),
    );
    expect(JSON.stringify(alarms)).toContain('"MetricName":"ExecutionsFailed"');
    const emf = (MetricName: string, Statistic: string, ComparisonOperator: string, Threshold: number) =>
      expect.objectContaining({ Namespace: 'EksFleetAuditor', MetricName, Dimensions: [{ Name: 'service', Value: 'eks-fleet-auditor' }], Statistic, ComparisonOperator, Threshold, TreatMissingData: 'notBreaching' });
    expect(alarms).toContainEqual(emf('CoverageRatio', 'Minimum', 'LessThanThreshold', 90));
    expect(alarms).toContainEqual(emf('AccountsScanned', 'Minimum', 'LessThanOrEqualToThreshold', 0));
    for (const metric of ['NotificationFailed', 'SecurityHubFailed', 'HistoryFailed']) expect(alarms).toContainEqual(emf(metric, 'Maximum', 'GreaterThanThreshold', 0));
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])('gives %s a role of its own with exactly the calls of its code, none with a wildcard', (name) => {
    // Prepare: the actions with no resource-level permissions
    const onAnyResource = ['eks:DescribeAddonVersions', 'eks:ListClusters', 'organizations:DescribeOrganization', 'organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren', 'organizations:ListParents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    const { role } = FUNCTIONS[name];

    // Act
    const statements = roleStatements(template, role);
    const functionId = `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;

    // Assess
    expect(props(functionId).Role).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual(roleActions(name));
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
    const unscoped = statements.filter((s) => JSON.stringify(s.Resource) === '"*"' || JSON.stringify(s.Resource) === '["*"]');
    expect([...new Set(unscoped.flatMap(actionsOf))].filter((a) => !onAnyResource.includes(a))).toEqual([]);
    expect(resource(role).Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
    });
  });

  it('assumes the audit role only in accounts of the organization, lists only the prefix, reads the ExternalId parameter only', () => {
    // Act
    const audit = roleStatements(template, 'AuditRole');
    const worker = roleStatements(template, 'ScanWorkerRole');
    const with_ = (statements: Statement[], action: string) => statements.filter((s) => actionsOf(s).includes(action));
    const parameterArn = { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${PARAMS.externalIdParameter}` };

    // Assess
    for (const statements of [audit, worker]) {
      expect(with_(statements, 'sts:AssumeRole')).toEqual([
        { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/EksFleetAuditRole' }, Condition: { StringEquals: { 'aws:ResourceOrgID': PARAMS.organizationId } } },
      ]);
      expect(with_(statements, 'ssm:GetParameter')).toEqual([{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArn }]);
      expect(with_(statements, 'kms:Decrypt')).toContainEqual(
        expect.objectContaining({ Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' }, 'kms:EncryptionContext:PARAMETER_ARN': parameterArn } } }),
      );
    }
    for (const statements of [audit, roleStatements(template, 'AggregateRole')]) {
      expect(with_(statements, 's3:ListBucket')).toEqual([
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': ['HistoryBucket', 'Arn'] }, Condition: { StringLike: { 's3:prefix': 'fleet-audit/*' } } },
      ]);
    }
    // Its part of the run, and the run history's record of where it imports (intents) — nothing else of the history.
    expect(with_(worker, 's3:PutObject').map((s) => s.Resource)).toEqual([
      { 'Fn::Sub': '${HistoryBucket.Arn}/fleet-audit/distributed/*' },
      { 'Fn::Sub': '${HistoryBucket.Arn}/fleet-audit/runs/*.intents/*' },
    ]);
    expect(with_(roleStatements(template, 'AggregateRole'), 'kms:Decrypt').map((s) => s.Condition)).not.toContainEqual(expect.objectContaining({ StringEquals: expect.objectContaining({ 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } }) }));
    expect(template.Outputs?.AuditorRoleArn?.Value).toEqual({ 'Fn::Join': [',', [{ 'Fn::GetAtt': ['AuditRole', 'Arn'] }, { 'Fn::GetAtt': ['ScanWorkerRole', 'Arn'] }]] });
  });

  it('lets each function use the stack key only through SNS for the topic, or S3 for this bucket', () => {
    for (const { role } of Object.values(FUNCTIONS)) {
      // Act
      const kms = roleStatements(template, role).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')) && JSON.stringify(s.Resource).includes('FindingsTopicKey'));

      // Assess
      expect(kms.length, role).toBeGreaterThan(0);
      for (const statement of kms) {
        const conditions = (statement.Condition as { StringEquals: Record<string, unknown> }).StringEquals;
        expect(['sns', 's3'].map((service) => JSON.stringify(conditions['kms:ViaService']).includes(`"${service}.`)), role).toContain(true);
        if (JSON.stringify(conditions['kms:ViaService']).includes('"s3.')) expect(conditions['kms:EncryptionContext:aws:s3:arn']).toEqual({ 'Fn::GetAtt': ['HistoryBucket', 'Arn'] });
      }
    }
  });

  it('lets the state machine invoke only its two functions and read only the plan', () => {
    // Act
    const role = resource('DistributedStateMachineRole');
    const invoke = statementsOf(role).find((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    const machine = props('DistributedStateMachine');
    const [text, variables] = machine.DefinitionString['Fn::Sub'] as [string, Record<string, unknown>];
    const definition = JSON.parse(text.replace(/\$\{(BatchSize|MaxConcurrency)\}/g, (_, name: string) => String(variables[name]))) as { States: Record<string, unknown> };

    // Assess
    expect(allowedActions(role)).toEqual(['kms:Decrypt', 'lambda:InvokeFunction', 's3:GetObject', 'states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(invoke?.Resource).toEqual([{ 'Fn::GetAtt': ['ScanWorkerLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['AggregateLambdaFunction', 'Arn'] }]);
    expect(machine.StateMachineName).toBe('eks-fleet-auditor-dev-distributed');
    expect(variables).toMatchObject({ ScanWorkerArn: { 'Fn::GetAtt': ['ScanWorkerLambdaFunction', 'Arn'] }, AggregateArn: { 'Fn::GetAtt': ['AggregateLambdaFunction', 'Arn'] } });
    expect(definition.States.ScanBatches).toMatchObject({ Type: 'Map', ItemBatcher: { MaxItemsPerBatch: 25 }, MaxConcurrency: 40, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
  });

  it('passes cfn-lint (IAM action names, properties, the state machine), where the machine has it', async (context) => {
    // Act: W8003 is the static conditions osls leaves once its parameters are resolved; W3005 the
    // DependsOn osls adds on a function's own role, which its Role attribute already implies
    const lint = await cfnLint(join(out, 'cloudformation-template-update-stack.json'), ['W8003', 'W3005']);
    if (!lint.available) context.skip('cfn-lint is not installed');

    // Assess
    expect(lint.output).toBe('');
    expect(lint.exitCode).toBe(0);
  }, 120_000); // cfn-lint loads every resource spec: tens of seconds on a busy machine

  it('packages each function alone: its own bundle, a source map without sources, every rule document, no node_modules', async () => {
    // Prepare
    const rules = (await readdir('rules')).filter((f) => f.endsWith('.md')).map((f) => `rules/${f}`);

    for (const [fn, bundle] of Object.entries(BUNDLES)) {
      // Act
      const names = zips[fn]!.map((e) => e.name);
      const map = JSON.parse(zips[fn]!.find((e) => e.name === `${bundle}.map`)!.read().toString()) as { sources: string[]; sourcesContent?: unknown };

      // Assess
      expect(names.filter((n) => n.startsWith('functions/')).sort(), fn).toEqual([bundle, `${bundle}.map`]);
      expect(names, fn).toEqual(expect.arrayContaining(rules));
      expect(names.filter((n) => n.includes('node_modules/')), fn).toEqual([]);
      expect(map.sources, fn).toContainEqual(expect.stringMatching(/lib\/run\.ts$/));
      expect(map.sourcesContent, fn).toBeUndefined();
    }
    expect(rules.length).toBeGreaterThan(0);
    expect(resourcesOfType(template, 'AWS::Lambda::Function').map(([id, f]) => [id, (f.Properties as any).Code.S3Key.split('/').at(-1)])).toEqual([
      ['AuditLambdaFunction', 'audit.zip'],
      ['ScanWorkerLambdaFunction', 'scanWorker.zip'],
      ['AggregateLambdaFunction', 'aggregate.zip'],
    ]);
  });

  it('runs each function from its zip alone against the simulator: the audit, then a worker batch and the aggregate', async () => {
    // Prepare: each zip's contents in a directory of its own, outside the repository (no node_modules to fall back on)
    const sim = await startSimulator({ org: 'events/demo-org.json', port: 0 });
    const invoke = async (fn: keyof typeof BUNDLES, event: unknown) => {
      const root = join(out, `task-root-${fn}`);
      for (const entry of zips[fn]!.filter((e) => !e.name.endsWith('/'))) {
        await mkdir(join(root, dirname(entry.name)), { recursive: true });
        await writeFile(join(root, entry.name), entry.read());
      }
      const script = [
        `const { handler } = await import('./${BUNDLES[fn]}');`,
        "const context = { functionName: 'fn', awsRequestId: 'packaged', invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:fn', memoryLimitInMB: '1024', getRemainingTimeInMillis: () => 600000 };",
        // A refused event first: its stack trace must point into our TypeScript through the source map.
        "const stack = await handler({ refused: true }, context).then(() => '', (error) => String(error.stack));",
        `const result = await handler(${JSON.stringify(event)}, context);`,
        "process.stdout.write('RESULT ' + JSON.stringify({ stack, result }) + '\\n');",
      ].join('\n');
      // As Lambda runs them: NODE_OPTIONS=--enable-source-maps (serverless.yml).
      const env = { PATH: process.env.PATH ?? '', LAMBDA_TASK_ROOT: root, ...simulatorEnv(sim) };
      const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: root, env, timeout: 60_000 });
      return JSON.parse(/^RESULT (.*)$/m.exec(stdout)?.[1] ?? 'null') as { stack: string; result: any };
    };
    const plan = { runId: 'packaged-run', startedAt: new Date().toISOString(), bucket: DEMO_BUCKET, accountsKey: 'fleet-audit/distributed/packaged-run/accounts.json', managementId: '111111111111', listed: 9, excluded: 0 };
    const batch = [{ id: '333333333333', name: 'checkout-prod', state: 'ACTIVE' }, { id: '444444444444', name: 'checkout-staging', state: 'ACTIVE' }];

    try {
      // Act
      const audit = await invoke('audit', SCHEDULED);
      const worker = await invoke('scanWorker', { Items: batch, BatchInput: { runId: plan.runId, startedAt: plan.startedAt, bucket: plan.bucket, managementId: plan.managementId } });
      const aggregate = await invoke('aggregate', { ...plan, parts: [worker.result] });

      // Assess
      expect(audit.result.coverage.scanned).toBeGreaterThan(0);
      expect(Object.values(audit.result.findings as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(audit.result.delivery.notification.sent).toBe(true);
      expect(worker.result).toMatchObject({ key: expect.stringContaining('fleet-audit/distributed/packaged-run/'), accounts: 2 });
      expect(aggregate.result).toMatchObject({ runId: 'packaged-run', coverage: { scanned: 2 }, delivery: { notification: { sent: true } } });
      expect(sim.records.sns).toHaveLength(2);
      expect([...sim.objects(DEMO_BUCKET).keys()]).toContainEqual(expect.stringMatching(/^fleet-audit\/runs\/\d{4}\/\d{2}\/\d{2}\/.+\.json$/));
      for (const { stack } of [audit, worker, aggregate]) expect(stack).toMatch(/lib\/[\w/-]+\.ts:\d+:\d+/);
    } finally {
      await sim.stop();
    }
  });
});
