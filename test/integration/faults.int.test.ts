/**
 * The audit handler against the simulator under faults, over two (or three) nights: the first
 * night is clean and fills Security Hub, teams then fix clusters, and the next night runs under
 * the fault. Each case checks that the run completes, every reachable cluster is audited, every
 * failure is in the report, and that Security Hub tells the truth: a finding whose scope failed
 * stays ACTIVE, a fixed cluster's finding in a completed scope is ARCHIVED, nothing is lost.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHandler } from '../../functions/audit.js';
import type { RunOutcome } from '../../lib/run.js';
import { loadOrgFile, type SimCluster, type SimOrg } from '../sim/schema.js';
import { startSimulator, type Simulator, type StoredFinding } from '../sim/server.js';
import { firingAlarms, runMetricAlarms } from '../support/alarms.js';
import { DEMO_BUCKET, lambdaContext, simulatorEnv, withEnv } from '../support/local-lambda.js';

const SCHEDULED = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
const DEMO = await loadOrgFile('events/demo-org.json');
const ALARMS = await runMetricAlarms();

/** Clusters with version findings the demo's teams can fix by upgrading vpc-cni. */
const PAYMENTS_APE1 = { accountId: '222222222222', region: 'ap-east-1', cluster: 'payments-prod-ape1' };
// Kubernetes 1.29, behind the newest build: its team can move it to the plan's target (checkout-legacy-use1, on 1.21, has none: EKS offers nothing for 1.21).
const CHECKOUT_PROD = { accountId: '333333333333', region: 'us-east-1', cluster: 'checkout-prod-use1' };
const CHECKOUT_LEGACY = { accountId: '333333333333', region: 'us-east-1', cluster: 'checkout-legacy-use1' };
const STAGING_BATCH = { accountId: '666666666666', region: 'us-east-1', cluster: 'payments-batch-staging-use1' };
const DEV_USE1 = { accountId: '777777777777', region: 'us-east-1', cluster: 'checkout-dev-use1' };
/** A healthy cluster a team breaks between two nights (vpc-cni down to v1.12.0): new findings, this one among them. */
const BROKEN = { accountId: '333333333333', region: 'eu-west-1', cluster: 'checkout-prod-euw1' };
const BROKEN_FINDING = `vpc-cni-ipamd-reconcile-regression/${BROKEN.accountId}/${BROKEN.region}/${BROKEN.cluster}`;

type Where = { accountId: string; region: string; cluster: string };

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ org: structuredClone(DEMO), port: 0 });
});
afterEach(async () => {
  await sim.stop();
});

/** The metrics the last night emitted (Powertools EMF), by name. */
let emitted = new Map<string, number>();

/** One nightly run of the real handler; `timeoutMs` is the Lambda's remaining time. */
async function night(env: Record<string, string> = {}, timeoutMs = 900_000): Promise<RunOutcome> {
  let outcome: RunOutcome | undefined;
  emitted = new Map();
  await withEnv(simulatorEnv(sim, env), () =>
    buildHandler({ onOutcome: (o) => (outcome = o), onMetric: (name, _, value) => emitted.set(name, value) })(SCHEDULED, lambdaContext(timeoutMs)),
  );
  if (!outcome) throw new Error('the handler returned without an outcome');
  return outcome;
}

/** The history bucket's keys and bodies, to tell what a night wrote. */
const historyObjects = () => new Map([...sim.objects(DEMO_BUCKET)].map(([key, o]) => [key, o.body.toString('utf8')]));

function clusterOf(org: SimOrg, where: Where): SimCluster {
  const cluster = org.accounts.find((a) => a.id === where.accountId)?.regions[where.region]?.clusters.find((c) => c.name === where.cluster);
  if (!cluster) throw new Error(`no cluster ${where.accountId}/${where.region}/${where.cluster} in the org`);
  return cluster;
}

/** Upgrades the cluster's vpc-cni to the target its findings name, as its team would; returns the findings that fix resolves. */
function fix(outcome: RunOutcome, where: Where): string[] {
  const findings = outcome.report.findings.filter((f) => f.accountId === where.accountId && f.region === where.region && f.clusterName === where.cluster);
  const target = findings.find((f) => f.targetVersion)?.targetVersion;
  const addon = clusterOf(sim.org, where).addons['vpc-cni'];
  if (!target || !addon) throw new Error(`${where.cluster} has no version finding to fix`);
  addon.addonVersion = target;
  return findings.filter((f) => f.targetVersion).map((f) => f.id);
}

/** Every finding Security Hub holds, by Id. */
function hub(): Map<string, StoredFinding> {
  const all = new Map<string, StoredFinding>();
  for (const account of sim.org.accounts) {
    for (const region of Object.keys(account.regions)) for (const f of sim.findings(account.id, region)) all.set(f.Id, f);
  }
  return all;
}

/** [Id, RecordState] of each finding, in Security Hub now or in a snapshot taken with hub(). */
const stateOf = (ids: readonly string[], held = hub()) => ids.map((id) => [id, held.get(id)?.['RecordState']]);
const scopeKey = (s: { accountId: string; region: string }) => `${s.accountId}/${s.region}`;
const audited = (outcome: RunOutcome) => outcome.report.clusters.map((c) => `${c.accountId}/${c.region}/${c.clusterName}`).sort();

/** The clusters of ACTIVE accounts the audit role can enter, in their enabled regions (all, or those listed). */
function reachable(org: SimOrg, regions?: string[]): string[] {
  return org.accounts
    .filter((a) => a.state === 'ACTIVE' && a.auditRole)
    .flatMap((a) =>
      Object.entries(a.regions)
        .filter(([region, r]) => r.enabled && (!regions || regions.includes(region)))
        .flatMap(([region, r]) => r.clusters.map((c) => `${a.id}/${region}/${c.name}`)),
    )
    .sort();
}

/**
 * Security Hub after a night tells the same story as the night's report: what is observed is
 * ACTIVE; what the report carries as not re-checked (or leaves alone) stays ACTIVE, as does what
 * left with an account Security Hub can no longer be reached in; anything else it held ACTIVE was
 * re-checked and is gone: ARCHIVED. `after`: Security Hub then (now by default); `stuck`: Ids
 * whose import the test made fail, which stay as they were.
 */
function expectHubTruthful(before: Map<string, StoredFinding>, outcome: RunOutcome, after = hub(), stuck: ReadonlySet<string> = new Set()): void {
  const observed = new Set(outcome.report.findings.map((f) => f.id));
  const unreachable = outcome.delta.departures.filter((d) => !d.archivable).flatMap((d) => d.findings.map((f) => f.id));
  const kept = new Set([...(outcome.report.carriedOver ?? []).map((f) => f.id), ...unreachable]);
  const expected = new Map<string, string>();
  const actual = new Map<string, unknown>();
  for (const [id, finding] of before) {
    if (finding['RecordState'] !== 'ACTIVE') continue;
    const state = stuck.has(id) || observed.has(id) || kept.has(id) ? 'ACTIVE' : 'ARCHIVED';
    expected.set(id, state);
    actual.set(id, after.get(id)?.['RecordState']);
  }
  for (const f of outcome.report.findings) {
    const account = sim.org.accounts.find((a) => a.id === f.accountId);
    if (!account?.securityHub || stuck.has(f.id) || expected.has(f.id)) continue;
    expected.set(f.id, 'ACTIVE');
    actual.set(f.id, after.get(f.id)?.['RecordState']);
  }
  expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
}

/** Not announced as RESOLVED: the cluster was not re-checked. */
function expectNotResolved(outcome: RunOutcome, ids: readonly string[]): void {
  expect(outcome.delta.resolved.map((f) => f.id).filter((id) => ids.includes(id))).toEqual([]);
}

describe('functions/audit.ts under faults', () => {
  it('absorbs 50% throttling of the EKS API: every reachable cluster audited, fixed findings archived', { timeout: 60_000 }, async () => {
    // Prepare: the SDK backs off from 1 s, doubling, for throttling: with every service at 50%
    // the slowest chain of retries alone takes ~45 s here, so only EKS, the scan's hot path, is throttled.
    const first = await night();
    const fixed = fix(first, CHECKOUT_PROD);
    const before = hub();
    // Any seed passes given time; this one's longest chain of throttled retries keeps the test near 10 s with the demo org.
    sim.setFaults({ throttleRate: 0.5, seed: 7, exempt: ['organizations', 'sts', 'account', 'sns', 's3', 'securityhub'] });

    // Act
    const outcome = await night({ AUDIT_MAX_ATTEMPTS: '20' });

    // Assess
    expect(audited(outcome)).toEqual(reachable(sim.org));
    expect(outcome.report.errors.map((e) => `${e.accountId}:${e.stage}`)).toEqual(['555555555555:assume-role']);
    expect(sim.calls().some((c) => c.service === 'eks' && c.status === 429)).toBe(true);
    expect(stateOf(fixed)).toEqual(fixed.map((id) => [id, 'ARCHIVED']));
    expectHubTruthful(before, outcome);
  });

  it('rides out a 5xx burst on ListClusters within the retries, and recovers the next night from one that outlasts them', { timeout: 30_000 }, async () => {
    // Prepare: 4 attempts per call; 333's burst is 3 answers long, 666's covers all 4
    const first = await night();
    const absorbed = fix(first, CHECKOUT_PROD);
    const outlasted = fix(first, STAGING_BATCH);
    const before = hub();
    sim.setFaults({
      rules: [
        { service: 'eks', operation: 'ListClusters', accountId: CHECKOUT_PROD.accountId, region: 'us-east-1', error: 'InternalFailure', times: 3 },
        { service: 'eks', operation: 'ListClusters', accountId: STAGING_BATCH.accountId, region: 'us-east-1', error: 'ServiceUnavailable', times: 4 },
      ],
    });

    // Act
    const second = await night({ AUDIT_MAX_ATTEMPTS: '4' });
    const between = hub();
    const third = await night({ AUDIT_MAX_ATTEMPTS: '4' });

    // Assess
    const staging = `${STAGING_BATCH.accountId}/us-east-1/`;
    expect(audited(second)).toEqual(reachable(sim.org).filter((c) => !c.startsWith(staging)));
    expect(second.report.errors.map((e) => `${e.accountId}/${e.region ?? '-'}:${e.stage}:${e.code}`)).toEqual([
      '555555555555/-:assume-role:AccessDenied',
      '666666666666/us-east-1:list-clusters:ServiceUnavailable',
    ]);
    expect(stateOf(absorbed, between)).toEqual(absorbed.map((id) => [id, 'ARCHIVED']));
    expect(stateOf(outlasted, between)).toEqual(outlasted.map((id) => [id, 'ACTIVE']));
    expectNotResolved(second, outlasted);
    expectHubTruthful(before, second, between);

    expect(audited(third)).toEqual(reachable(sim.org));
    expect(stateOf(outlasted)).toEqual(outlasted.map((id) => [id, 'ARCHIVED']));
    expect(third.delta.resolved.map((f) => f.id)).toEqual(expect.arrayContaining(outlasted));
    expectHubTruthful(between, third, hub());
  });

  it('never loses the night to a hung call: the deadline cuts it, and what was read is delivered', { timeout: 30_000 }, async () => {
    // Prepare: one EKS call hangs for 4 minutes; the Lambda has 13 s left, 3 s of them for delivery
    // (10 s to scan the rest: enough on a loaded machine)
    const first = await night();
    const fixed = fix(first, STAGING_BATCH);
    const hung = first.report.findings.filter((f) => f.clusterName === CHECKOUT_LEGACY.cluster).map((f) => f.id);
    const before = hub();
    const published = sim.records.sns.length;
    sim.setFaults({ rules: [{ service: 'eks', operation: 'DescribeAddon', cluster: CHECKOUT_LEGACY.cluster, latencyMs: 240_000 }] });

    // Act
    const outcome = await night({ DEADLINE_MARGIN_MS: '3000' }, 13_000);

    // Assess: delivered before the Lambda ended; the hung cluster not re-checked, never archived
    expect(sim.records.sns.length).toBe(published + 1);
    expect(outcome.delivery.history).toMatchObject({ location: expect.stringContaining(outcome.report.runId) });
    expect(outcome.report.errors).toContainEqual(expect.objectContaining({ cluster: CHECKOUT_LEGACY.cluster, code: 'DeadlineReached' }));
    expect(stateOf(hung)).toEqual(hung.map((id) => [id, 'ACTIVE']));
    expectNotResolved(outcome, hung);
    expect(stateOf(fixed)).toEqual(fixed.map((id) => [id, 'ARCHIVED']));
    expectHubTruthful(before, outcome);
  });

  it('does not lose an account to a throttled AssumeRole or ListRegions: retried past the SDK attempts while the scan may go on', { timeout: 30_000 }, async () => {
    // Prepare: one SDK attempt per call, so every throttled answer below would lose its account
    sim.setFaults({
      rules: [
        { service: 'sts', operation: 'AssumeRole', error: 'Throttling', status: 400, times: 2 },
        { service: 'account', operation: 'ListRegions', accountId: '222222222222', error: 'TooManyRequestsException', status: 429, times: 2 },
      ],
    });

    // Act
    const outcome = await night({ AUDIT_MAX_ATTEMPTS: '1' });

    // Assess
    expect(outcome.report.errors.map((e) => `${e.accountId}:${e.stage}:${e.code}`)).toEqual(['555555555555:assume-role:AccessDenied']);
    expect(audited(outcome)).toEqual(reachable(sim.org));
    const throttled = sim.calls().filter((c) => (c.operation === 'AssumeRole' || c.operation === 'ListRegions') && (c.status === 400 || c.status === 429));
    expect(throttled.reduce((n, c) => n + c.count, 0)).toBe(4);
  });

  it('records every account whose audit role is gone and leaves its findings open', { timeout: 30_000 }, async () => {
    // Prepare: two more accounts lose the role (555 never had it)
    const first = await night();
    const inDenied = fix(first, DEV_USE1);
    const elsewhere = fix(first, CHECKOUT_PROD);
    for (const account of sim.org.accounts) if (['777777777777', '888888888888'].includes(account.id)) account.auditRole = false;
    const before = hub();

    // Act
    const outcome = await night();

    // Assess
    expect(outcome.report.errors.map((e) => `${e.accountId}:${e.stage}:${e.code}`)).toEqual([
      '555555555555:assume-role:AccessDenied',
      '777777777777:assume-role:AccessDenied',
      '888888888888:assume-role:AccessDenied',
    ]);
    expect(outcome.report.coverage.accounts).toMatchObject({ failed: 3, notReached: 0 });
    expect(audited(outcome)).toEqual(reachable(sim.org));
    expect(stateOf(inDenied)).toEqual(inDenied.map((id) => [id, 'ACTIVE']));
    expect(stateOf(elsewhere)).toEqual(elsewhere.map((id) => [id, 'ARCHIVED']));
    expectNotResolved(outcome, inDenied);
    expectHubTruthful(before, outcome);
  });

  it('skips the configured regions an account has not enabled with a note; a region taken out of the audit leaves it, once, archived', { timeout: 30_000 }, async () => {
    // Prepare: eu-central-1 is in no account's map (enabled, empty); ap-east-1 is enabled in 222 only
    const first = await night();
    const optIn = fix(first, PAYMENTS_APE1);
    const regions = ['us-east-1', 'ap-east-1', 'eu-central-1'];
    const before = hub();

    // Act
    const outcome = await night({ AUDIT_REGIONS: regions.join(',') });

    // Assess
    expect(audited(outcome)).toEqual(reachable(sim.org, regions));
    expect(outcome.report.errors.map((e) => `${e.accountId}:${e.stage}`)).toEqual(['555555555555:assume-role']);
    const notEnabled = outcome.report.coverage.notes.filter((n) => n.kind === 'region-not-enabled');
    expect(notEnabled.map((n) => `${n.accountId}/${n.region}`).sort()).toEqual(
      ['111111111111', '333333333333', '444444444444', '666666666666', '777777777777', '888888888888'].map((id) => `${id}/ap-east-1`),
    );
    expect(stateOf(optIn)).toEqual(optIn.map((id) => [id, 'ARCHIVED']));
    // eu-west-1 is no longer audited: its findings are announced once with why, archived, and not carried.
    const left = first.report.findings.filter((f) => f.region === 'eu-west-1').map((f) => f.id);
    expect(left.length).toBeGreaterThan(0);
    expect(left.map((id) => outcome.delta.why[id])).toEqual(left.map(() => 'eu-west-1 is no longer among the audited regions'));
    expect(stateOf(left)).toEqual(left.map((id) => [id, 'ARCHIVED']));
    expect(outcome.report.carriedOver ?? []).toEqual([]);
    expect(outcome.report.coverage.notes.filter((n) => n.kind === 'left-scan').map((n) => `${n.accountId}/${n.region}`)).toEqual(
      [...new Set(first.report.findings.filter((f) => f.region === 'eu-west-1').map((f) => `${f.accountId}/eu-west-1`))].sort(),
    );
    expectHubTruthful(before, outcome);
  });

  it('records truncated and malformed answers of DescribeCluster, DescribeAddon and ListClusters where they happened, and archives nowhere else', { timeout: 30_000 }, async () => {
    // Prepare
    const first = await night();
    const truncated = fix(first, CHECKOUT_PROD);
    const malformed = fix(first, STAGING_BATCH);
    const untouched = fix(first, PAYMENTS_APE1);
    const before = hub();
    sim.setFaults({
      rules: [
        { service: 'eks', operation: 'DescribeCluster', cluster: CHECKOUT_PROD.cluster, truncate: true },
        { service: 'eks', operation: 'DescribeAddon', cluster: STAGING_BATCH.cluster, malformed: true },
        { service: 'eks', operation: 'ListClusters', accountId: DEV_USE1.accountId, region: 'eu-west-1', malformed: true },
      ],
    });

    // Act
    const outcome = await night({ AUDIT_MAX_ATTEMPTS: '3' });

    // Assess
    const lost = [`${CHECKOUT_PROD.accountId}/us-east-1/${CHECKOUT_PROD.cluster}`, `${STAGING_BATCH.accountId}/us-east-1/${STAGING_BATCH.cluster}`];
    expect(audited(outcome)).toEqual(reachable(sim.org).filter((c) => !lost.includes(c) && !c.startsWith(`${DEV_USE1.accountId}/eu-west-1/`)));
    expect(outcome.report.errors.map((e) => `${e.accountId}/${e.region ?? '-'}/${e.cluster ?? '-'}:${e.stage}`)).toEqual([
      `${CHECKOUT_PROD.accountId}/us-east-1/${CHECKOUT_PROD.cluster}:describe-cluster`,
      '555555555555/-/-:assume-role',
      `${STAGING_BATCH.accountId}/us-east-1/${STAGING_BATCH.cluster}:describe-addon`,
      `${DEV_USE1.accountId}/eu-west-1/-:list-clusters`,
    ]);
    expect(stateOf([...truncated, ...malformed])).toEqual([...truncated, ...malformed].map((id) => [id, 'ACTIVE']));
    expect(stateOf(untouched)).toEqual(untouched.map((id) => [id, 'ARCHIVED']));
    expectNotResolved(outcome, [...truncated, ...malformed]);
    expectHubTruthful(before, outcome);
  });

  /** A fixed cluster (its findings to archive) and a broken one (a new finding); Security Hub refuses one of each on every attempt. */
  async function refusingNight() {
    const first = await night();
    const [refusedArchive, ...archived] = fix(first, PAYMENTS_APE1);
    clusterOf(sim.org, BROKEN).addons['vpc-cni']!.addonVersion = 'v1.12.0-eksbuild.1';
    const refused = [refusedArchive!, BROKEN_FINDING];
    const before = hub();
    sim.setFaults({ rules: [{ service: 'securityhub', operation: 'BatchImportFindings', failFindingIds: refused, error: 'InternalException' }] });
    const second = await night();
    return { before, second, refused, archived };
  }

  it('keeps the findings Security Hub refused as they were, counts them, and delivers them the next night', { timeout: 30_000 }, async () => {
    // Prepare
    const { before, second, refused, archived } = await refusingNight();
    const between = hub();
    sim.setFaults({});

    // Act
    const third = await night();

    // Assess
    expect(audited(second)).toEqual(reachable(sim.org));
    expect(second.report.findings.map((f) => f.id)).toContain(BROKEN_FINDING);
    expect(second.delivery.securityHub).toMatchObject({ failed: 2 });
    expect(stateOf([...refused, ...archived], between)).toEqual([[refused[0], 'ACTIVE'], [BROKEN_FINDING, undefined], ...archived.map((id) => [id, 'ARCHIVED'])]);
    expectHubTruthful(before, second, between, new Set(refused));

    expect(third.delivery.securityHub).toMatchObject({ failed: 0 });
    expect(stateOf(refused)).toEqual([[refused[0], 'ARCHIVED'], [BROKEN_FINDING, 'ACTIVE']]);
    expectHubTruthful(between, third);
  });

  it('names each finding Security Hub refused in the report errors', { timeout: 30_000 }, async () => {
    // Act
    const { second, refused } = await refusingNight();

    // Assess
    const hubErrors = second.report.errors.filter((e) => e.stage === 'deliver-securityhub');
    expect(hubErrors.map((e) => `${e.accountId}/${e.region}`).sort()).toEqual([`${PAYMENTS_APE1.accountId}/${PAYMENTS_APE1.region}`, `${BROKEN.accountId}/${BROKEN.region}`]);
    for (const id of refused) expect(hubErrors.map((e) => e.message).join('\n')).toContain(id);
  });

  it('records a failed SNS publish, and the next night still announces the news counted from the last delivered night', { timeout: 30_000 }, async () => {
    // Prepare
    const first = await night();
    const resolved = fix(first, CHECKOUT_PROD);
    clusterOf(sim.org, BROKEN).addons['vpc-cni']!.addonVersion = 'v1.12.0-eksbuild.1';
    const before = hub();
    sim.setFaults({ rules: [{ service: 'sns', operation: 'Publish', error: 'InternalFailure' }] });

    // Act
    const second = await night({ AUDIT_MAX_ATTEMPTS: '3' });
    const between = hub();
    const published = sim.records.sns.length;
    sim.setFaults({});
    const third = await night();

    // Assess
    const snsErrors = second.report.errors.filter((e) => e.stage === 'deliver-sns');
    expect(snsErrors.map((e) => e.code)).toEqual(['NotifyError']);
    expect(snsErrors[0]?.message).toContain('InternalFailure');
    expect(second.delivery.notification).toMatchObject({ sent: false });
    expect(published).toBe(1);
    const added = second.delta.new.map((f) => f.id);
    expect(added).toContain(BROKEN_FINDING);
    expect(second.delta.new.every((f) => f.clusterName === BROKEN.cluster)).toBe(true);
    expect(stateOf(resolved, between)).toEqual(resolved.map((id) => [id, 'ARCHIVED']));
    expectHubTruthful(before, second, between);

    expect(third.delivery.notification).toMatchObject({ sent: true });
    expect(third.delta.new.map((f) => f.id)).toEqual(added);
    expect(third.delta.resolved.map((f) => f.id).sort()).toEqual([...resolved].sort());
    const announced = sim.records.sns.at(-1)!.messageAttributes;
    expect([announced['newFindings']?.StringValue, announced['resolvedFindings']?.StringValue]).toEqual([String(added.length), String(resolved.length)]);
  });

  it('ends the scan at the deadline: the calls in flight are cut, the accounts not started are not reached, and all their findings stay open', { timeout: 30_000 }, async () => {
    // Prepare: accounts one at a time; 333's clusters answer after 10 s; the Lambda has 66 s left
    // and a 60 s margin, so the deadline passes while 333 is scanned (6 s for the listing and the
    // accounts before it: enough on a loaded machine)
    const first = await night();
    const reached = fix(first, PAYMENTS_APE1);
    const notReached = fix(first, DEV_USE1);
    const before = hub();
    sim.setFaults({ rules: [{ service: 'eks', operation: 'ListClusters', accountId: CHECKOUT_PROD.accountId, latencyMs: 10_000 }] });

    // Act
    const outcome = await night({ AUDIT_CONCURRENCY: '1' }, 66_000);

    // Assess
    const late = ['444444444444', '555555555555', '666666666666', '777777777777', '888888888888'];
    const cut = CHECKOUT_LEGACY.accountId;
    expect(outcome.report.coverage.accounts).toMatchObject({ scanned: 3, failed: 0, notReached: late.length });
    expect(outcome.report.coverage.notes.filter((n) => n.kind === 'not-reached').map((n) => n.accountId)).toEqual(late);
    expect(audited(outcome)).toEqual(reachable(sim.org).filter((c) => ![...late, cut].some((id) => c.startsWith(id))));
    expect(new Set(outcome.report.errors.map((e) => `${e.accountId}:${e.stage}:${e.code}`))).toEqual(new Set([`${cut}:list-clusters:DeadlineReached`]));
    const inCut = first.report.findings.filter((f) => f.accountId === cut).map((f) => f.id);
    expect(stateOf(inCut)).toEqual(inCut.map((id) => [id, 'ACTIVE']));
    expectNotResolved(outcome, inCut);
    expect(stateOf(reached)).toEqual(reached.map((id) => [id, 'ARCHIVED']));
    expect(stateOf(notReached)).toEqual(notReached.map((id) => [id, 'ACTIVE']));
    expectNotResolved(outcome, notReached);
    expectHubTruthful(before, outcome);
  });

  it('alarms on a night that scanned no account, notifies it, and archives nothing', { timeout: 30_000 }, async () => {
    // Prepare: the auditor runs from a delegated administrator (the management account too goes
    // through its audit role) and the member roles' ExternalId was rotated without it
    const first = await night();
    for (const account of sim.org.accounts) account.externalId = 'rotated-2027-0001';
    const before = hub();
    const published = sim.records.sns.length;

    // Act
    const outcome = await night({ AUDIT_ASSUME_ROLE_IN_MANAGEMENT: 'true', AUDIT_EXTERNAL_ID: 'before-rotation-0001' });

    // Assess: nothing scanned, every account named with its error
    const selected = sim.org.accounts.filter((a) => a.state === 'ACTIVE').length;
    expect(outcome.report.coverage.accounts).toMatchObject({ scanned: 0, failed: selected, notReached: 0 });
    expect(new Set(outcome.report.errors.map((e) => `${e.stage}:${e.code}`))).toEqual(new Set(['assume-role:AccessDenied']));
    // What alarms
    expect(Object.fromEntries(['AccountsScanned', 'CoverageRatio', 'NotificationFailed', 'SecurityHubFailed', 'HistoryFailed'].map((m) => [m, emitted.get(m)]))).toEqual({
      AccountsScanned: 0,
      CoverageRatio: 0,
      NotificationFailed: 0,
      SecurityHubFailed: 0,
      HistoryFailed: 0,
    });
    expect(firingAlarms(ALARMS, emitted)).toEqual(['accounts-failed', 'coverage-low', 'zero-accounts-scanned']);
    // What is delivered: the notification, with the errors; the report, nothing resolved
    expect(outcome.delivery.failures).toEqual([]);
    expect(sim.records.sns).toHaveLength(published + 1);
    expect(outcome.delta.resolved).toEqual([]);
    expect(outcome.report.completedScopes).toEqual([]);
    expect(outcome.delivery.history).toMatchObject({ location: expect.stringContaining(outcome.report.runId) });
    // Nothing archived: every finding of the first night is still ACTIVE
    expect(stateOf(first.report.findings.map((f) => f.id))).toEqual(stateOf(first.report.findings.map((f) => f.id), before));
    expect([...hub().values()].filter((f) => f['RecordState'] === 'ARCHIVED')).toEqual([...before.values()].filter((f) => f['RecordState'] === 'ARCHIVED'));
  });

  it('alarms on each refused delivery when SNS, Security Hub and the history bucket all refuse, and changes nothing delivered before', { timeout: 30_000 }, async () => {
    // Prepare: a first night; then a cluster is fixed and another broken, so there is news to deliver
    const first = await night();
    const resolved = fix(first, CHECKOUT_PROD);
    clusterOf(sim.org, BROKEN).addons['vpc-cni']!.addonVersion = 'v1.12.0-eksbuild.1';
    const before = hub();
    const history = historyObjects();
    const published = sim.records.sns.length;
    sim.setFaults({
      rules: [
        { service: 'sns', operation: 'Publish', error: 'InternalFailure' },
        { service: 'securityhub', operation: 'BatchImportFindings', error: 'InternalException' },
        { service: 's3', operation: 'PutObject', error: 'InternalError' },
      ],
    });

    // Act
    const outcome = await night({ AUDIT_MAX_ATTEMPTS: '2' });

    // Assess: the scan itself was complete
    expect(audited(outcome)).toEqual(reachable(sim.org));
    expect(outcome.delta.new.map((f) => f.id)).toContain(BROKEN_FINDING);
    // What alarms: each delivery, named in the outcome and as a metric
    expect(outcome.delivery.failures).toEqual(['securityHub', 'notification', 'history']);
    expect(outcome.delivery.history).toBe('failed');
    expect([emitted.get('SecurityHubFailed'), emitted.get('NotificationFailed'), emitted.get('HistoryFailed')]).toEqual([1, 1, 1]);
    expect(firingAlarms(ALARMS, emitted)).toEqual(['accounts-failed', 'coverage-low', 'history-failed', 'lease-unavailable', 'notification-failed', 'securityhub-failed']);
    expect(new Set(outcome.report.errors.map((e) => e.stage))).toEqual(new Set(['lease', 'assume-role', 'deliver-securityhub', 'deliver-sns', 'deliver-history']));
    // What is delivered: nothing; Security Hub, the topic and the history are as the first night left them
    expect(sim.records.sns).toHaveLength(published);
    expect(hub()).toEqual(before);
    expect(stateOf(resolved)).toEqual(resolved.map((id) => [id, 'ACTIVE']));
    expect(historyObjects()).toEqual(history);
  });
});
