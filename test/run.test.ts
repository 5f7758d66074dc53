import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CollectPorts, EksReader, VpcCniAddon } from '../lib/collect/ports.js';
import { directoryHistoryBackend, LocalHistoryStore } from '../lib/deliver/history/local-store.js';
import { PointerHistoryStore } from '../lib/deliver/history/store.js';
import type { Notifier } from '../lib/deliver/notify/sns-notifier.js';
import type { FindingsSink, SecurityHubScope } from '../lib/deliver/securityhub/sink.js';
import type { Rule } from '../lib/evaluate/rule.js';
import { AccountListingError } from '../lib/collect/errors.js';
import { loadRules } from '../lib/rules/load.js';
import { archiveDepartedBeforeScan, mergeBatches, runAudit, startAudit, type AuditedBatch, type AuditPorts } from '../lib/run.js';
import type { StoredRunReport } from '../lib/deliver/history/delta.js';
import { aFinding, aReport } from './deliver/fixtures.js';
import type { Finding } from '../lib/types.js';

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules();
});

const ADDON = (version: string): VpcCniAddon => ({
  version,
  status: 'ACTIVE',
  healthIssues: [],
  configurationValues: null,
  serviceAccountRoleArn: 'arn:aws:iam::222222222222:role/cni',
  podIdentityAssociations: [],
});

/** One member account, one region, clusters with the given vpc-cni versions; a region can fail. */
function fakeCollect(clusters: Record<string, string>, options: { failListClusters?: boolean } = {}): CollectPorts {
  const reader: EksReader = {
    listClusters: async () => {
      if (options.failListClusters) throw Object.assign(new Error('boom'), { name: 'InternalFailure' });
      return Object.keys(clusters);
    },
    describeCluster: async (name) => ({ name, arn: `arn:aws:eks:us-east-1:222222222222:cluster/${name}`, kubernetesVersion: '1.29', status: 'ACTIVE', tags: {} }),
    describeVpcCni: async (name) => ADDON(clusters[name]!),
    listAwsNodePodIdentities: async () => [],
  };
  return {
    directory: {
      listAccounts: async () => [{ id: '222222222222', name: 'payments', state: 'ACTIVE' }],
      accountsInOu: async () => [],
      managementAccountId: async () => '111111111111',
    },
    credentials: { sessionFor: async (accountId) => ({ accountId, partition: 'aws', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) }) },
    regions: { enabledRegions: async () => ['us-east-1'] },
    eks: () => reader,
    catalog: { offeredVersions: async () => [] },
  };
}

const SCAN = { partition: 'aws', homeRegion: 'us-east-1', regions: ['us-east-1'], roleName: 'audit', sessionName: 's', concurrency: 2, perAccountConcurrency: 2 };

class RecordingSink implements FindingsSink {
  calls: { scope: SecurityHubScope; current: Finding[] }[] = [];
  async sync(scope: SecurityHubScope, current: Finding[]) {
    this.calls.push({ scope, current });
    return { imported: current.length, archived: 0, archivedFindings: [], kept: 0, otherRules: 0, failed: [], notes: [], errors: [] };
  }
}

describe('run', () => {
  it('a failed publish never swallows news: the next run still reports it as NEW', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'run-'));
    let attempts = 0;
    const sent: string[] = [];
    const notifier: Notifier = {
      publish: async (message) => {
        attempts += 1;
        if (attempts === 1) throw new Error('SNS is down');
        sent.push(message.subject);
        return { messageId: `m${attempts}` };
      },
    };
    const ports = (clusters: Record<string, string>): AuditPorts => ({
      collect: fakeCollect(clusters),
      rules,
      notifier,
      history: (onError) => new LocalHistoryStore(dir, { onError }),
    });
    const notify = { mode: 'on-change' as const, minSeverity: 'low' as const };

    // Act
    const first = await runAudit({ scan: SCAN, notify }, ports({ old: 'v1.7.1-eksbuild.1' }));
    const second = await runAudit({ scan: SCAN, notify }, ports({ old: 'v1.7.1-eksbuild.1' }));
    const third = await runAudit({ scan: SCAN, notify }, ports({ old: 'v1.7.1-eksbuild.1' }));

    // Assess
    expect(first.report.errors).toContainEqual(expect.objectContaining({ stage: 'deliver-sns', code: 'NotifyError' }));
    expect(second.delta.new.map((f) => f.ruleId).sort()).toEqual(['vpc-cni-below-v1.7.2', 'vpc-cni-below-v1.8.0']);
    expect(second.delivery.notification).toMatchObject({ sent: true });
    expect(third.delta.new).toEqual([]);
    expect(third.delivery.notification).toMatchObject({ sent: false });
    expect(sent).toHaveLength(1);
  });

  it('saves the report when its trend summary cannot be written, and names the failure in the run\'s errors', async () => {
    // Prepare: a history where summaries cannot be written
    const dir = await mkdtemp(join(tmpdir(), 'run-'));
    const backend = directoryHistoryBackend(dir);
    const refusing = { ...backend, write: (key: string, text: string | Uint8Array, condition?: { ifMatch?: string; ifNoneMatch?: boolean }) => (key.endsWith('.trend.json') ? Promise.reject(new Error('AccessDenied')) : backend.write(key, text, condition)) };
    const ports: AuditPorts = { collect: fakeCollect({ old: 'v1.7.1-eksbuild.1' }), rules, history: (onError) => new PointerHistoryStore(refusing, { onError }) };

    // Act
    const outcome = await runAudit({ scan: SCAN, notify: { mode: 'never', minSeverity: 'low' } }, ports);

    // Assess
    expect(outcome.delivery.history).toMatchObject({ location: expect.stringContaining(outcome.report.runId) });
    expect(outcome.report.errors).toContainEqual(expect.objectContaining({ stage: 'deliver-history', code: 'WriteFailed', message: expect.stringContaining('trend summary') }));
    expect((await new LocalHistoryStore(dir).latest(['errors']))?.errors).toContainEqual(expect.objectContaining({ code: 'WriteFailed' }));
  });

  it('still reads Security Hub where a finding of ours was imported after a night that could not read that region', async () => {
    // Prepare: a quiet first night (notified); a second imports a finding, its message fails (the
    // baseline stays the first night); a third cannot list the region's clusters
    const dir = await mkdtemp(join(tmpdir(), 'run-known-'));
    const sink = new RecordingSink();
    let snsDown = false;
    const notifier: Notifier = {
      publish: async () => {
        if (snsDown) throw new Error('SNS is down');
        return { messageId: 'm' };
      },
    };
    const ports = (collect: CollectPorts): AuditPorts => ({ collect, rules, notifier, findings: sink, history: (onError) => new LocalHistoryStore(dir, { onError }) });
    const notify = { mode: 'on-change' as const, minSeverity: 'low' as const };
    await runAudit({ scan: SCAN, notify }, ports(fakeCollect({})));
    snsDown = true;
    const imported = await runAudit({ scan: SCAN, notify }, ports(fakeCollect({ old: 'v1.7.1-eksbuild.1' })));
    snsDown = false;
    const unread = await runAudit({ scan: SCAN, notify }, ports(fakeCollect({ old: 'v1.7.1-eksbuild.1' }, { failListClusters: true })));
    sink.calls = [];

    // Act: the cluster is gone by the fourth night
    await runAudit({ scan: SCAN, notify }, ports(fakeCollect({})));

    // Assess: the fourth night reads the region, where Security Hub still holds the finding ACTIVE
    expect(imported.report.findings.length).toBeGreaterThan(0);
    expect(unread.report.securityHubPending).toContain('222222222222/us-east-1');
    expect(sink.calls.map((c) => `${c.scope.accountId}/${c.scope.region}`)).toEqual(['222222222222/us-east-1']);
  });

  it('imports suppressed findings nowhere, resolves only what was re-read, and syncs nothing where the scan failed', async () => {
    // Prepare
    const sink = new RecordingSink();
    const suppressions = [{ cluster: 'old', rule: 'vpc-cni-below-v1.8.0', reason: 'accepted', expires: '2099-01-01' }];

    // Act
    const ok = await runAudit({ scan: SCAN, notify: { mode: 'never', minSeverity: 'low' } }, { collect: fakeCollect({ old: 'v1.7.1' }), rules, findings: sink, suppressions });
    const failed = await runAudit(
      { scan: SCAN, notify: { mode: 'never', minSeverity: 'low' } },
      { collect: fakeCollect({ old: 'v1.7.1' }, { failListClusters: true }), rules, findings: sink },
    );

    // Assess
    expect(ok.report.suppressed.map((s) => s.finding.ruleId)).toEqual(['vpc-cni-below-v1.8.0']);
    expect(sink.calls[0]?.scope.fate({ ruleId: 'vpc-cni-below-v1.8.0', accountId: '222222222222', region: 'us-east-1', clusterName: 'old' })).toEqual({ kind: 'resolved', reason: 'fixed' });
    expect(sink.calls[0]?.scope.fate({ ruleId: 'team-rule', accountId: '222222222222', region: 'us-east-1', clusterName: 'old' })).toEqual({ kind: 'other-rule' });
    expect(sink.calls[0]?.current.map((f) => f.ruleId)).toEqual(['vpc-cni-below-v1.7.2']);
    expect(failed.report.errors).toContainEqual(expect.objectContaining({ stage: 'list-clusters', region: 'us-east-1' }));
    expect(sink.calls).toHaveLength(1); // nothing synced, so nothing archived, where the scan failed
  });

  it('delivers by its deadline when recording where it is about to import hangs: that scope waits for the next night', { timeout: 5_000 }, async () => {
    // Prepare: the history knows no finding of ours there, and the record of the intent never
    // completes (S3 timing out, retried); the run must deliver in 300 ms
    const sink = new RecordingSink();
    const intents = { record: () => new Promise<void>(() => undefined) };

    // Act
    const outcome = await runAudit(
      { scan: SCAN, notify: { mode: 'never', minSeverity: 'low' }, knownScopes: new Set<string>(), intents, deliverBy: Date.now() + 300 },
      { collect: fakeCollect({ old: 'v1.7.1' }), rules, findings: sink },
    );

    // Assess: nothing imported there, the scope pending, and the report says why
    expect(sink.calls).toEqual([]);
    expect(outcome.report.findings.length).toBeGreaterThan(0);
    expect(outcome.report.securityHubPending).toEqual(['222222222222/us-east-1']);
    expect(outcome.report.errors).toContainEqual(expect.objectContaining({ stage: 'deliver-securityhub', code: 'DeadlineReached' }));
  });

  it('delivers nothing when ListAccounts fails after the first page was scanned', async () => {
    // Prepare: page one's account is scanned and judged before page two fails
    const sink = new RecordingSink();
    const collect = fakeCollect({ old: 'v1.7.1' });
    let scanned!: () => void;
    const firstScanned = new Promise<void>((resolve) => (scanned = resolve));
    collect.directory.listAccounts = async (onPage) => {
      onPage?.([{ id: '222222222222', name: 'payments', state: 'ACTIVE' }]);
      await firstScanned;
      // Long enough for a sync started by the first account to reach the sink.
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new AccountListingError('Organizations ListAccounts failed: TooManyRequestsException');
    };

    // Act
    const run = runAudit({ scan: { ...SCAN, onProgress: () => scanned() }, notify: { mode: 'never', minSeverity: 'low' } }, { collect, rules, findings: sink });

    // Assess: a run that could not list the organization imports and archives nothing
    await expect(run).rejects.toBeInstanceOf(AccountListingError);
    expect(sink.calls).toEqual([]);
  });

  it('abandons a run whose history could not be read without an unhandled rejection', async () => {
    // Prepare: the last report's scopes are read as the scan starts, and that read fails
    const failing = new LocalHistoryStore(await mkdtemp(join(tmpdir(), 'run-abandon-')), { onError: () => undefined });
    failing.latest = () => Promise.reject(new Error('history unreachable'));
    const unheard: unknown[] = [];
    const onUnhandled = (reason: unknown) => unheard.push(reason);
    process.on('unhandledRejection', onUnhandled);

    // Act
    try {
      const audit = startAudit({ scan: SCAN, notify: { mode: 'never', minSeverity: 'low' } }, { collect: fakeCollect({ old: 'v1.7.1' }), rules, findings: new RecordingSink(), history: () => failing });
      await audit.abandon();
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    // Assess
    expect(unheard).toEqual([]);
  });

  it('keeps configuration values out of the stored cluster inventory', async () => {
    // Prepare
    const collect = fakeCollect({ a: 'v1.18.0' });
    const reader = collect.eks({ accountId: '222222222222', partition: 'aws', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) }, 'us-east-1');
    reader.describeVpcCni = async () => ({ ...ADDON('v1.18.0'), configurationValues: '{"env":{"SECRET":"hunter2"}}' });
    collect.eks = () => reader;

    // Act
    const { report } = await runAudit({ scan: SCAN, notify: { mode: 'never', minSeverity: 'low' } }, { collect, rules });

    // Assess
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });

  it('reports the suppressions that matched nothing, and keeps them in the saved report', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'run-unused-'));
    const suppressions = [
      { cluster: 'old', rule: 'vpc-cni-below-v1.8.0', reason: 'accepted', expires: '2099-01-01' },
      { cluster: 'decommissioned-*', reason: 'going away', expires: '2099-01-01' },
    ];
    const ports: AuditPorts = { collect: fakeCollect({ old: 'v1.7.1' }), rules, suppressions, history: (onError) => new LocalHistoryStore(dir, { onError }) };

    // Act
    const { report } = await runAudit({ scan: SCAN, notify: { mode: 'never', minSeverity: 'low' } }, ports);
    const saved = await new LocalHistoryStore(dir, { onError: () => undefined }).latest();

    // Assess
    const unused = [{ entry: 1, matchers: { cluster: 'decommissioned-*' }, reason: 'going away', expires: '2099-01-01' }];
    expect(report.unusedSuppressions).toEqual(unused);
    expect(saved?.unusedSuppressions).toEqual(unused);
  });

  it('counts a suppression unused in a distributed run only when no audited batch used it', () => {
    // Prepare: batch b used entry 0; the failed batch c says nothing
    const entry = (n: number) => ({ entry: n, matchers: { cluster: `c${n}` }, reason: 'r', expires: '2099-01-01' });
    const batch = (unusedSuppressions?: ReturnType<typeof entry>[]): AuditedBatch => ({
      scan: { accounts: [], clusters: [], errors: [], completedScopes: [], checks: { accounts: [], scopes: [] }, coverage: { accounts: { listed: 0, excluded: 0, scanned: 0, failed: 0, notReached: 0 }, regions: { scanned: 0, notEnabled: 0, failed: 0 }, clusters: { scanned: 0, failed: 0, managedAddon: 0, selfManaged: 0 }, notes: [] } },
      findings: [],
      suppressed: [],
      expired: [],
      errors: [],
      notes: [],
      recheck: { rules: [], regions: 'all', narrowed: false, accounts: [], scopes: [], skipped: [] },
      archived: [],
      securityHub: 'disabled',
      ...(unusedSuppressions ? { unusedSuppressions } : {}),
    });

    // Act
    const merged = mergeBatches([batch([entry(0), entry(1)]), batch([entry(1), entry(2)]), batch()]);

    // Assess
    expect(merged.unusedSuppressions).toEqual([entry(1)]);
    expect(mergeBatches([batch()]).unusedSuppressions).toBeUndefined();
  });

  it("archives before the scan what left the audit from the baseline's findings, carried findings and archivePending alike, and nothing that stayed; reads no report when no known scope left", async () => {
    // Prepare: accounts 333 and 444 excluded now; 222 still audited, eu-west-1 taken out of the regions
    const dir = await mkdtemp(join(tmpdir(), 'run-plan-'));
    const baseline: StoredRunReport = {
      ...aReport({
        runId: 'run-1',
        startedAt: '2026-01-01T02:00:00.000Z',
        findings: [aFinding({ id: 'stays', accountId: '222222222222', region: 'us-east-1' }), aFinding({ id: 'region-left', accountId: '222222222222', region: 'eu-west-1' })],
      }),
      carriedOver: [{ ...aFinding({ id: 'carried', accountId: '333333333333', region: 'us-east-1' }), carriedBecause: 'not re-checked' }],
      archivePending: [aFinding({ id: 'pending', accountId: '444444444444', region: 'ap-south-1' })],
    };
    await new LocalHistoryStore(dir).save(baseline, { notified: true });
    const sink = new RecordingSink();
    const selected = {
      managementId: '111111111111',
      selection: {
        listed: 3,
        selected: [{ id: '222222222222', name: 'payments', state: 'ACTIVE' }],
        excluded: 2,
        notSelected: [
          { accountId: '333333333333', status: 'excluded' as const, reason: 'in an excluded OU' },
          { accountId: '444444444444', status: 'excluded' as const, reason: 'in an excluded OU' },
        ],
      },
    };

    const reads: string[] = [];
    const backend = directoryHistoryBackend(dir);
    const history = () => new PointerHistoryStore({ ...backend, readBytes: (key) => (reads.push(key), backend.readBytes(key)) });
    const ports = { collect: fakeCollect({}), findings: sink, history };
    const knownScopes = await history().latestKnownScopes();

    // Act: as the plan does (with the known scopes), and with known scopes none of which left the audit
    const outcome = await archiveDepartedBeforeScan(selected, SCAN, ports, new Date(), knownScopes);
    const archivedThen = sink.calls.map((c) => `${c.scope.accountId}/${c.scope.region}`).sort();
    reads.length = 0;
    const nothingLeft = await archiveDepartedBeforeScan(selected, SCAN, ports, new Date(), new Set(['222222222222/us-east-1']));

    // Assess
    expect(knownScopes).toEqual(new Set(['222222222222/us-east-1', '222222222222/eu-west-1', '333333333333/us-east-1', '444444444444/ap-south-1']));
    expect(archivedThen).toEqual(['222222222222/eu-west-1', '333333333333/us-east-1', '444444444444/ap-south-1']);
    expect(sink.calls.every((c) => c.current.length === 0)).toBe(true);
    expect(outcome).toMatchObject({ errors: [], pending: [] });
    // Security Hub holds nothing of ours where anything left: the report is not read, nothing is archived
    expect(nothingLeft).toEqual({ archived: 0, errors: [], pending: [] });
    expect(reads).toEqual([]);
    expect(sink.calls).toHaveLength(3);
  });
});
