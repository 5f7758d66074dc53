import { readFile } from 'node:fs/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildHandler } from '../../functions/audit.js';
import { withPowertools } from '../../functions/powertools.js';
import type { DistributedPlan } from '../../lib/distributed/protocol.js';
import { createAggregateHandler } from '../../lib/lambda/aggregate.js';
import { createScanWorkerHandler } from '../../lib/lambda/scan-worker.js';
import type { RunOutcome } from '../../lib/run.js';
import { roleActions, UNAUTHORIZED_CALLS, type FunctionName } from '../deploy/permissions.js';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator } from '../sim/server.js';
import type { CallCount } from '../sim/state.js';
import { DEMO_BUCKET, lambdaContext, simulatorEnv, withEnv } from '../support/local-lambda.js';
import { definitionFromServerlessYml, LocalStateMachine } from '../support/state-machine.js';

const SCHEDULED = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:eks-fleet-auditor-dev-distributed';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ org: 'events/demo-org.json', port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

/** The management account's AWS calls (the functions' own roles) as IAM actions, `service:Operation`. */
function ownCalls(calls: CallCount[]): string[] {
  return [...new Set(calls.filter((c) => c.accountId === sim.org.managementAccountId && c.service !== 'kubernetes').map((c) => `${c.service}:${c.operation}`))].sort();
}

/** Calls counted since `before` (a calls() snapshot). */
function since(before: CallCount[]): CallCount[] {
  const key = (c: CallCount) => `${c.service}|${c.operation}|${c.accountId}|${c.region}|${c.status}`;
  const earlier = new Map(before.map((c) => [key(c), c.count]));
  return sim.calls().filter((c) => c.count > (earlier.get(key(c)) ?? 0));
}

/** The scheduled Lambda plans; the state machine from serverless.yml runs the workers and the aggregate, locally. */
async function distributedRun(
  options: { batchSize: number; failBatchWith?: string; loseBatchWith?: string; env?: Record<string, string>; event?: unknown },
): Promise<{ outcome: RunOutcome; plan: DistributedPlan; delegated: unknown; calls: Record<FunctionName, string[]> }> {
  const env = simulatorEnv(sim, { STATE_MACHINE_ARN, DISTRIBUTED_THRESHOLD: '0', ...options.env });
  return withEnv(env, async () => {
    let plan: DistributedPlan | undefined;
    const starter = { start: async (_: string, input: DistributedPlan) => ((plan = input), `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:run`) };
    sim.resetCalls();
    const delegated = await buildHandler({ wiring: { starter } })(options.event ?? SCHEDULED, lambdaContext());
    const calls = { audit: ownCalls(sim.calls()), scanWorker: [] as string[], aggregate: [] as string[] };
    let workersFrom: CallCount[] | undefined;

    let outcome: RunOutcome | undefined;
    const worker = withPowertools((tools) => createScanWorkerHandler(tools));
    const aggregate = withPowertools((tools) => createAggregateHandler({ ...tools, onOutcome: (o) => (outcome = o) }));
    const invoke = async (name: string, payload: unknown) => {
      const items = (payload as { Items?: { id: string }[] }).Items ?? [];
      if (options.failBatchWith && items.some((a) => a.id === options.failBatchWith)) throw Object.assign(new Error('Task timed out after 900.00 seconds'), { name: 'Sandbox.Timedout' });
      if (name === 'worker') {
        workersFrom ??= sim.calls();
        const part = await worker(payload, lambdaContext() as Context);
        // The worker did its work, Security Hub included, and its invocation still failed (it timed out as it returned).
        if (options.loseBatchWith && items.some((a) => a.id === options.loseBatchWith)) throw Object.assign(new Error('Task timed out after 900.00 seconds'), { name: 'Sandbox.Timedout' });
        return part;
      }
      // The workers are done when the aggregate starts; the state machine's own ItemReader read came before them.
      calls.scanWorker = ownCalls(since(workersFrom ?? sim.calls()));
      const aggregateFrom = sim.calls();
      try {
        return await aggregate(payload, lambdaContext() as Context);
      } finally {
        calls.aggregate = ownCalls(since(aggregateFrom));
      }
    };
    const definition = await definitionFromServerlessYml({ ScanWorkerArn: 'worker', AggregateArn: 'aggregate', BatchSize: String(options.batchSize), MaxConcurrency: '4' });
    const s3 = new S3Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials: SIM_MANAGEMENT_CREDENTIALS, forcePathStyle: true });
    await new LocalStateMachine(invoke, s3).run(definition, plan);
    return { outcome: outcome!, plan: plan!, delegated, calls };
  });
}

async function singleRun(): Promise<RunOutcome> {
  let outcome: RunOutcome | undefined;
  await withEnv(simulatorEnv(sim), () => buildHandler({ onOutcome: (o) => (outcome = o) })(SCHEDULED, lambdaContext()));
  return outcome!;
}

/**
 * The demo organization with (or, once gone, without) a copy of 333's legacy cluster in
 * ap-east-1, put over HTTP as a scenario script would. ap-east-1 is opt-in: it stays enabled
 * (with no cluster) once the cluster is gone.
 */
async function putLegacyInApEast1(withCluster: boolean): Promise<void> {
  const org = JSON.parse(await readFile('events/demo-org.json', 'utf8')) as { accounts: { id: string; regions: Record<string, { clusters?: { name: string }[] }> }[] };
  const account = org.accounts.find((a) => a.id === '333333333333')!;
  const legacy = account.regions['us-east-1']!.clusters!.find((c) => c.name === 'checkout-legacy-use1')!;
  account.regions['ap-east-1'] = { clusters: withCluster ? [{ ...legacy, name: 'checkout-legacy-ape1' }] : [] };
  expect((await fetch(`${sim.endpoint}/__sim/org`, { method: 'PUT', body: JSON.stringify(org) })).status).toBe(200);
}

describe('distributed run (Step Functions) against the simulator', () => {
  it('gives the same report, delivery and coverage as the single-Lambda run', async () => {
    // Act
    const distributed = await distributedRun({ batchSize: 3 });
    const findingsOf = (o: RunOutcome) => o.report.findings.map((f) => f.id).sort();
    const distributedFindings = findingsOf(distributed.outcome);
    const distributedCoverage = distributed.outcome.report.coverage;
    const distributedErrors = distributed.outcome.report.errors;
    await sim.stop();
    sim = await startSimulator({ org: 'events/demo-org.json', port: 0 });
    const single = await singleRun();

    // Assess
    expect(distributed.delegated).toMatchObject({ delegated: { accounts: 8 } });
    expect(distributedFindings).toEqual(findingsOf(single));
    expect({ ...distributedCoverage, notes: distributedCoverage.notes.length }).toEqual({ ...single.report.coverage, notes: single.report.coverage.notes.length });
    expect(distributedErrors.map((e) => `${e.accountId} ${e.stage} ${e.code}`)).toEqual(single.report.errors.map((e) => `${e.accountId} ${e.stage} ${e.code}`));
    expect(distributed.outcome.delivery.notification).toMatchObject({ sent: true });
    expect(distributed.outcome.delivery.securityHub).toMatchObject({ imported: (single.delivery.securityHub as { imported: number }).imported });
  });

  it('hands an organization over the threshold to the state machine before delivering anything, the scan having started on the first page', async () => {
    // Prepare: pages of 2 accounts, so the threshold (5) is passed on the third page of five
    sim.org = { ...sim.org, pageSize: { ...sim.org.pageSize, ListAccounts: 2 } };
    let plan: DistributedPlan | undefined;
    const starter = { start: async (_: string, input: DistributedPlan) => ((plan = input), `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:run`) };
    sim.resetCalls();

    // Act
    const delegated = await withEnv(simulatorEnv(sim, { STATE_MACHINE_ARN, DISTRIBUTED_THRESHOLD: '5' }), () => buildHandler({ wiring: { starter } })(SCHEDULED, lambdaContext()));

    // Assess: the whole organization is planned, and nothing of the abandoned scan reached Security Hub, SNS or the history
    expect(delegated).toMatchObject({ delegated: { accounts: 8 } });
    expect(plan).toMatchObject({ listed: 9 });
    const calls = sim.calls();
    expect(calls.filter((c) => c.operation === 'ListAccounts').reduce((n, c) => n + c.count, 0)).toBe(5);
    expect(calls.filter((c) => c.service === 'securityhub' || c.service === 'sns')).toEqual([]);
    const written = [...sim.objects(DEMO_BUCKET).keys()].filter((key) => !key.startsWith('fleet-audit/distributed/') && !key.endsWith('lease.json'));
    expect(written).toEqual([]);
  });

  it('hands nothing over and archives nothing when the run lease was taken while the organization was listed', async () => {
    // Prepare: pages of 2 accounts, each slow, so another run takes the lease during the listing
    sim.org = { ...sim.org, pageSize: { ...sim.org.pageSize, ListAccounts: 2 } };
    sim.setFaults({ rules: [{ service: 'organizations', operation: 'ListAccounts', latencyMs: 300 }] });
    let started = false;
    const starter = { start: async () => ((started = true), `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:run`) };
    const s3 = new S3Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials: SIM_MANAGEMENT_CREDENTIALS, forcePathStyle: true });
    const other = { runId: 'other-run', holder: 'cli:bob@laptop', acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 300_000).toISOString() };
    sim.resetCalls();

    // Act
    const run = withEnv(simulatorEnv(sim, { STATE_MACHINE_ARN, DISTRIBUTED_THRESHOLD: '5' }), async () => {
      const handled = buildHandler({ wiring: { starter } })(SCHEDULED, lambdaContext());
      handled.catch(() => undefined);
      await vi.waitFor(() => expect(sim.objects(DEMO_BUCKET).has('fleet-audit/lease.json')).toBe(true), { timeout: 10_000, interval: 10 });
      await s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: 'fleet-audit/lease.json', Body: JSON.stringify(other) }));
      return handled;
    });

    // Assess
    await expect(run).rejects.toThrow(/lost the run lease/);
    expect(started).toBe(false);
    expect(sim.calls().filter((c) => c.service === 'securityhub' || c.service === 'sns')).toEqual([]);
    expect(JSON.parse(sim.objects(DEMO_BUCKET).get('fleet-audit/lease.json')!.body.toString('utf8'))).toMatchObject({ runId: 'other-run' });
    s3.destroy();
  });

  it('keeps what the plan could not archive of an excluded account pending, reports why, and archives it the next night', async () => {
    // Prepare: a first night; then the account is excluded while its audit role is gone
    await distributedRun({ batchSize: 3 });
    const account = sim.org.accounts.find((a) => a.id === '888888888888')!;
    account.auditRole = false;
    const env = { AUDIT_EXCLUDE_ACCOUNTS: '888888888888' };

    // Act
    const second = await distributedRun({ batchSize: 3, env });
    account.auditRole = true;
    const third = await distributedRun({ batchSize: 3, env });

    // Assess
    const left = second.outcome.delta.resolved.filter((f) => f.accountId === '888888888888');
    expect(left.length).toBeGreaterThan(0);
    expect(second.outcome.report.archivePending?.map((f) => f.id).sort()).toEqual(left.map((f) => f.id).sort());
    expect(second.outcome.report.errors).toContainEqual(expect.objectContaining({ accountId: '888888888888', stage: 'deliver-securityhub' }));
    expect(left.map((f) => sim.findings('888888888888', f.region).find((h) => h.Id === f.id)?.RecordState)).toEqual(left.map(() => 'ARCHIVED'));
    expect(third.outcome.report.archivePending).toBeUndefined();
    expect(third.outcome.delta.resolved.filter((f) => f.accountId === '888888888888')).toEqual([]);
    // The plan passed on the scopes its own scan read from the last report (workers read Security Hub only there)
    const { scopes } = JSON.parse(sim.objects(DEMO_BUCKET).get(`fleet-audit/distributed/${third.plan.runId}/known-scopes.json`)!.body.toString('utf8')) as { scopes: string[] | null };
    expect(scopes).toEqual(expect.arrayContaining(second.outcome.report.findings.map((f) => `${f.accountId}/${f.region}`)));
  });

  it('archives an excluded account\'s findings from the known scopes when no report can be read, keeping its scopes pending until it can', async () => {
    // Prepare: a first night; then no run report can be read, and the account is excluded while its audit role is gone
    const first = await distributedRun({ batchSize: 3 });
    const scopes = [...new Set(first.outcome.report.findings.filter((f) => f.accountId === '888888888888').map((f) => `${f.accountId}/${f.region}`))].sort();
    sim.setFaults({ rules: [{ service: 's3', operation: 'GetObject', key: 'runs/[^.]*\\.json$', error: 'ServiceUnavailable', status: 503 }] });
    const account = sim.org.accounts.find((a) => a.id === '888888888888')!;
    account.auditRole = false;
    const env = { AUDIT_EXCLUDE_ACCOUNTS: '888888888888', AUDIT_MAX_ATTEMPTS: '2' };

    // Act
    const second = await distributedRun({ batchSize: 3, env });
    account.auditRole = true;
    const third = await distributedRun({ batchSize: 3, env });

    // Assess
    expect(scopes.length).toBeGreaterThan(0);
    expect(second.outcome.delta.baseline.kind).toBe('unavailable');
    expect(second.outcome.report.securityHubPending).toEqual(expect.arrayContaining(scopes));
    expect(third.outcome.delta.baseline.kind).toBe('unavailable');
    const held = first.outcome.report.findings.filter((f) => f.accountId === '888888888888');
    expect(held.map((f) => sim.findings('888888888888', f.region).find((h) => h.Id === f.id)?.RecordState)).toEqual(held.map(() => 'ARCHIVED'));
    expect(third.outcome.report.securityHubPending ?? []).not.toEqual(expect.arrayContaining(scopes));
  });

  it('keeps trying, on later nights, to archive an excluded account known only by its scopes when the aggregate cannot read what the plan could not archive', async () => {
    // Prepare: a first night; then no run report can be read, the account is excluded while its
    // audit role is gone (the plan cannot archive), and the aggregate cannot read the plan's departures.json
    const first = await distributedRun({ batchSize: 3 });
    const held = first.outcome.report.findings.filter((f) => f.accountId === '888888888888');
    const reports = { service: 's3', operation: 'GetObject', key: 'runs/[^.]*\\.json$', error: 'ServiceUnavailable', status: 503 } as const;
    sim.setFaults({ rules: [reports, { service: 's3', operation: 'GetObject', key: 'departures\\.json$', error: 'ServiceUnavailable', status: 503 }] });
    const account = sim.org.accounts.find((a) => a.id === '888888888888')!;
    account.auditRole = false;
    const env = { AUDIT_EXCLUDE_ACCOUNTS: '888888888888', AUDIT_MAX_ATTEMPTS: '2' };

    // Act: the second night cannot archive; on the third the role is back and everything reads
    const second = await distributedRun({ batchSize: 3, env });
    account.auditRole = true;
    sim.setFaults({ rules: [reports] });
    const third = await distributedRun({ batchSize: 3, env });

    // Assess: nothing is lost — the findings are archived once the role works again
    expect(held.length).toBeGreaterThan(0);
    expect(second.outcome.delta.baseline.kind).toBe('unavailable');
    expect(third.outcome.delta.baseline.kind).toBe('unavailable');
    expect(held.map((f) => sim.findings('888888888888', f.region).find((h) => h.Id === f.id)?.RecordState)).toEqual(held.map(() => 'ARCHIVED'));
  });

  it('archives an excluded account\'s findings on the first night the history reads again, after a night that could read neither a report nor the scopes they list', async () => {
    // Prepare: a first night; then a night when nothing under runs/ can be read while the account is excluded
    const first = await distributedRun({ batchSize: 3 });
    const held = first.outcome.report.findings.filter((f) => f.accountId === '888888888888');
    const env = { AUDIT_EXCLUDE_ACCOUNTS: '888888888888', AUDIT_MAX_ATTEMPTS: '2' };
    sim.setFaults({ rules: [{ service: 's3', operation: 'GetObject', key: 'runs/', error: 'ServiceUnavailable', status: 503 }] });
    const second = await distributedRun({ batchSize: 3, env });
    sim.setFaults({});

    // Act: the history reads again, the account still excluded (the third night's plan, knowing no scope of it, reads no baseline)
    const third = await distributedRun({ batchSize: 3, env });
    const fourth = await distributedRun({ batchSize: 3, env });

    // Assess: what the message told RESOLVED is archived in Security Hub the next night, and not told again
    expect(held.length).toBeGreaterThan(0);
    expect(second.outcome.delta.baseline.kind).toBe('unavailable');
    expect(third.outcome.delta.baseline.kind).not.toBe('unavailable');
    expect(third.outcome.delta.resolved.map((f) => f.id)).toEqual(expect.arrayContaining(held.map((f) => f.id)));
    expect(held.map((f) => sim.findings('888888888888', f.region).find((h) => h.Id === f.id)?.RecordState)).toEqual(held.map(() => 'ARCHIVED'));
    expect(fourth.outcome.delta.resolved.filter((f) => f.accountId === '888888888888')).toEqual([]);
    expect((fourth.outcome.report.securityHubPending ?? []).filter((s) => s.startsWith('888888888888/'))).toEqual([]);
  });

  it('keeps an excluded account\'s pending scopes through a narrowed manual run when no report can be read, and archives them the next scheduled night', async () => {
    // Prepare
    const first = await distributedRun({ batchSize: 3 });
    const held = first.outcome.report.findings.filter((f) => f.accountId === '888888888888');
    const scopes = [...new Set(held.map((f) => `${f.accountId}/${f.region}`))].sort();
    const reports = { service: 's3', operation: 'GetObject', key: 'runs/[^.]*\\.json$', error: 'ServiceUnavailable', status: 503 } as const;
    sim.setFaults({ rules: [reports] });
    const account = sim.org.accounts.find((a) => a.id === '888888888888')!;
    account.auditRole = false;
    const env = { AUDIT_EXCLUDE_ACCOUNTS: '888888888888', AUDIT_MAX_ATTEMPTS: '2' };
    const second = await distributedRun({ batchSize: 3, env });
    account.auditRole = true;

    // Act
    const narrowed = await distributedRun({ batchSize: 3, env, event: { accounts: ['222222222222', '333333333333'] } });
    const fourth = await distributedRun({ batchSize: 3, env });

    // Assess
    expect(second.outcome.report.securityHubPending).toEqual(expect.arrayContaining(scopes));
    expect(narrowed.outcome.report.securityHubPending).toEqual(expect.arrayContaining(scopes));
    expect(held.map((f) => sim.findings('888888888888', f.region).find((h) => h.Id === f.id)?.RecordState)).toEqual(held.map(() => 'ARCHIVED'));
    expect(fourth.outcome.report.securityHubPending ?? []).not.toEqual(expect.arrayContaining(scopes));
  });

  it('makes, in each function, only calls its own role grants (the worker never reads the organization)', async () => {
    // Act
    const { calls } = await distributedRun({ batchSize: 3 });

    // Assess: HeadObject is what GetObject's permission covers, ListObjectsV2 what ListBucket's
    // does (the fleet page's trend lists the runs); GetCallerIdentity needs none
    for (const name of ['audit', 'scanWorker', 'aggregate'] as const) {
      const granted = [...roleActions(name), ...UNAUTHORIZED_CALLS].map((a) => a.replace('s3:GetObject', 's3:GetObject|s3:HeadObject').replace('s3:ListBucket', 's3:ListBucket|s3:ListObjectsV2'));
      expect(calls[name].length, name).toBeGreaterThan(0);
      expect(calls[name].filter((action) => !granted.some((g) => g.split('|').includes(action))), name).toEqual([]);
    }
    expect(calls.scanWorker.filter((a) => a.startsWith('organizations:'))).toEqual([]);
    expect(calls.scanWorker).toEqual(expect.arrayContaining(['eks:ListClusters', 's3:PutObject']));
    expect(calls.aggregate).toEqual(expect.arrayContaining(['sns:Publish', 's3:GetObject', 's3:PutObject']));
  });

  it('keeps no raw configuration values in the parts it leaves in S3', async () => {
    // Act
    await distributedRun({ batchSize: 3 });

    // Assess: the demo's clusters with configuration values (WARM_IP_TARGET, MINIMUM_IP_TARGET...) are in some part
    const parts = [...sim.objects(DEMO_BUCKET)].filter(([key]) => /^fleet-audit\/distributed\/.+\/parts\//.test(key)).map(([, o]) => o.body.toString('utf8'));
    const clusters = parts.flatMap((p) => (JSON.parse(p) as { scan: { clusters: { clusterName: string; cni: { configurationValues: unknown } }[] } }).scan.clusters);
    expect(parts.length).toBeGreaterThan(1);
    expect(clusters.map((c) => c.clusterName)).toContain('identity-auth-use1');
    expect(clusters.filter((c) => c.cni.configurationValues !== null)).toEqual([]);
  });

  it('turns a batch whose worker failed into failed accounts, and archives nothing of theirs', async () => {
    // Prepare: a first, complete night
    await distributedRun({ batchSize: 3 });
    const before = sim.findings('333333333333', 'us-east-1').filter((f) => f.RecordState === 'ACTIVE').map((f) => f.Id);
    sim.org.accounts.find((a) => a.id === '333333333333')!.regions['us-east-1']!.clusters!.find((c) => c.name === 'checkout-legacy-use1')!.addons!['vpc-cni']!.addonVersion = 'v1.18.6-eksbuild.1';

    // Act: the batch with that account fails
    const { outcome } = await distributedRun({ batchSize: 3, failBatchWith: '333333333333' });

    // Assess
    expect(outcome.report.errors).toContainEqual(expect.objectContaining({ accountId: '333333333333', stage: 'scan-batch', code: 'Sandbox.Timedout' }));
    expect(outcome.report.coverage.accounts.failed).toBeGreaterThanOrEqual(2);
    const after = sim.findings('333333333333', 'us-east-1').filter((f) => f.RecordState === 'ACTIVE').map((f) => f.Id);
    expect(after).toEqual(before);
    expect(outcome.delta.resolved.filter((f) => f.accountId === '333333333333')).toEqual([]);
  });

  it('keeps reading Security Hub where a failed batch could not, on a night the history could not say where findings are: those fixed are archived, not only told RESOLVED', { timeout: 120_000 }, async () => {
    // Prepare: a first night; the next night no run record can be read (the workers read Security
    // Hub everywhere) and 333's batch fails; then its legacy cluster is upgraded
    const first = await distributedRun({ batchSize: 3 });
    sim.setFaults({ rules: [{ service: 's3', operation: 'GetObject', key: '^fleet-audit/runs/', error: 'ServiceUnavailable', status: 503 }] });
    const failed = await distributedRun({ batchSize: 3, failBatchWith: '333333333333', env: { AUDIT_MAX_ATTEMPTS: '2' } });
    sim.setFaults({});
    sim.org.accounts.find((a) => a.id === '333333333333')!.regions['us-east-1']!.clusters!.find((c) => c.name === 'checkout-legacy-use1')!.addons!['vpc-cni']!.addonVersion = 'v1.18.6-eksbuild.1';

    // Act
    const third = await distributedRun({ batchSize: 3 });

    // Assess
    const scopes = [...new Set(first.outcome.report.findings.filter((f) => f.accountId === '333333333333').map((f) => `${f.accountId}/${f.region}`))];
    expect(failed.outcome.delta.baseline.kind).toBe('unavailable');
    expect(failed.outcome.report.securityHubPending).toEqual(expect.arrayContaining(scopes));
    const resolved = third.outcome.delta.resolved.filter((f) => f.accountId === '333333333333');
    expect(resolved.length).toBeGreaterThan(0);
    expect(resolved.map((f) => sim.findings(f.accountId, f.region).find((h) => h.Id === f.id)?.RecordState)).toEqual(resolved.map(() => 'ARCHIVED'));
  });

  it('keeps reading Security Hub where a failed batch could not, after a night whose message failed: the findings there are archived once fixed', { timeout: 120_000 }, async () => {
    // Prepare: a legacy cluster in 333/ap-east-1 is imported on a night whose SNS Publish fails (the
    // baseline stays the night before); the next night 333's batch fails; then the cluster is gone
    await distributedRun({ batchSize: 3 });
    await putLegacyInApEast1(true);
    sim.setFaults({ rules: [{ service: 'sns', operation: 'Publish', error: 'InternalFailure' }] });
    const imported = await distributedRun({ batchSize: 3, env: { AUDIT_MAX_ATTEMPTS: '1' } });
    sim.setFaults({});
    const failed = await distributedRun({ batchSize: 3, failBatchWith: '333333333333' });
    await putLegacyInApEast1(false);

    // Act
    await distributedRun({ batchSize: 3 });

    // Assess
    expect(imported.outcome.report.findings.some((f) => f.accountId === '333333333333' && f.region === 'ap-east-1')).toBe(true);
    expect(failed.outcome.report.securityHubPending).toContain('333333333333/ap-east-1');
    expect(sim.findings('333333333333', 'ap-east-1').filter((f) => f.RecordState === 'ACTIVE').map((f) => f.Id)).toEqual([]);
  });

  it.each([
    ['', []],
    [', though the workers could not read the plan\'s known scopes (Security Hub read everywhere)', [{ service: 's3', operation: 'GetObject', key: '/known-scopes\\.json$', error: 'InternalError' }]],
  ] as const)('archives, once fixed, a finding imported where the history knew none by a worker whose part was then lost%s', { timeout: 120_000 }, async (_, rules) => {
    // Prepare: a legacy cluster appears in 333/ap-east-1; the night's worker for 333 imports its
    // finding, then its invocation fails: its part (and so the report) never tells of that scope
    await distributedRun({ batchSize: 3 });
    await putLegacyInApEast1(true);
    sim.setFaults({ rules: [...rules] });
    const lost = await distributedRun({ batchSize: 3, loseBatchWith: '333333333333' });
    sim.setFaults({});
    const importedThen = sim.findings('333333333333', 'ap-east-1').filter((f) => f.RecordState === 'ACTIVE').length;
    await putLegacyInApEast1(false);

    // Act
    await distributedRun({ batchSize: 3 });

    // Assess
    expect(lost.outcome.report.errors).toContainEqual(expect.objectContaining({ accountId: '333333333333', stage: 'scan-batch' }));
    expect(importedThen).toBeGreaterThan(0);
    expect(sim.findings('333333333333', 'ap-east-1').filter((f) => f.RecordState === 'ACTIVE').map((f) => f.Id)).toEqual([]);
  });

  it('records no intents on the history\'s first night, and where the workers import beyond the known scopes on later nights', { timeout: 120_000 }, async () => {
    // Prepare
    const intentKeys = () => [...sim.objects(DEMO_BUCKET).keys()].filter((key) => key.includes('.intents/'));

    // Act: a first night; a second night with a new cluster in 333/ap-east-1
    await distributedRun({ batchSize: 3 });
    const afterFirst = intentKeys();
    await putLegacyInApEast1(true);
    await distributedRun({ batchSize: 3 });

    // Assess: one record, by the worker of 333's batch, naming that scope only
    expect(afterFirst).toEqual([]);
    const records = intentKeys().map((key) => JSON.parse(sim.objects(DEMO_BUCKET).get(key)!.body.toString('utf8')) as { scopes: string[] });
    expect(intentKeys()).toEqual([expect.stringMatching(/^fleet-audit\/runs\/\d{4}\/\d{2}\/\d{2}\/[^/]+\.intents\/batch-\d{12}-3-[0-9a-f]{8}\.json$/)]);
    expect(records.map((r) => r.scopes)).toEqual([['333333333333/ap-east-1']]);
  });
});
