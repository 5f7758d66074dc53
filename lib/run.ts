import pLimit from 'p-limit';
import { deadlineSignal, DeadlineReachedError, raceDeadline } from './collect/deadline.js';
import { listedAlready, listForScan, scanListing, type AccountListing, type AccountPart, type ScanOptions, type ScanResult, type SelectedAccounts } from './collect/scan.js';
import type { AccountSession, CollectPorts, RoleToAssume } from './collect/ports.js';
import { BASELINE_MEMBERS, carriedOf, computeDelta, departuresToRetry, knownFindings, resolvedOf, unsettledPending, type Baseline, type Delta, type Departure, type StoredRunReport } from './deliver/history/delta.js';
import type { ScopeIntents } from './deliver/history/intents.js';
import type { HistoryError, HistoryStore, SavedReport } from './deliver/history/store.js';
import { recheckOf, RecheckIndex, SECURITY_HUB_RETENTION_DAYS } from './deliver/lifecycle.js';
import { buildNotification } from './deliver/notify/message.js';
import { shouldNotify, type NotifyDecision, type NotifyPolicy } from './deliver/notify/policy.js';
import { deliveryFailures, type DeliveryKind } from './deliver/failures.js';
import { NotifyError } from './deliver/notify/errors.js';
import type { Notifier } from './deliver/notify/sns-notifier.js';
import type { ArchivedFinding, FindingsSink, SyncResult } from './deliver/securityhub/sink.js';
import type { ReportLink } from './deliver/notify/input.js';
import type { FleetPagePublisher } from './report/html/publish.js';
import { applySuppressions, type ExpiredSuppression, type Suppression, type SuppressionOutcome } from './deliver/suppressions.js';
import { evaluateFleet, planFleet } from './evaluate/evaluate.js';
import { isValid } from './evaluate/plan/shell.js';
import type { Rule } from './evaluate/rule.js';
import type { ClusterFacts, ClusterPlan, CoverageNote, Finding, Recheck, ScanError, ScopeCheck, SuppressedFinding, UnusedSuppression } from './types.js';

export const TOOL = { name: 'eks-fleet-auditor', version: '0.1.0' } as const;

/**
 * Security Hub account-regions synced at once. BatchImportFindings' quota is per account and
 * region, so scopes do not compete; the benchmark measured delivery at 16 taking 46% of a
 * 1,000-account run (13.7 s of calls ÷ 16 in flight).
 */
export const DELIVERY_CONCURRENCY = 64;

export interface RunLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Everything a run talks to, passed in: the Lambda, the CLI, the demo and tests each wire their own. */
export interface AuditPorts {
  collect: CollectPorts;
  rules: readonly Rule[];
  /** Security Hub; absent = findings are not imported. */
  findings?: FindingsSink;
  /** SNS; absent = no notification. */
  notifier?: Notifier;
  /**
   * Run history, built with the run's sink for unreadable reports (they are reported, and the run
   * goes on as if there were no history); absent = every finding is NEW and nothing is kept.
   */
  history?: (onError: (error: HistoryError) => void) => HistoryStore;
  suppressions?: readonly Suppression[];
  logger?: RunLogger;
  /** The fleet page of each run, beside its report in the run history; absent = none. */
  page?: FleetPagePublisher;
}

/** The run lease (lib/deliver/lease.ts), as the run sees it: lost = another run may be delivering. */
export interface LeaseGuard {
  readonly lost: boolean;
  readonly runId: string;
  /** Reads the lease again right before a delivery: still this run's? */
  confirm?(): Promise<boolean>;
}

export interface RunOptions {
  scan: ScanOptions;
  /**
   * When Security Hub delivery must stop (epoch ms), so the notification and the run history
   * still fit before the Lambda ends: scopes not synced by then are left for the next night.
   */
  deliverBy?: number;
  /** Held for this run; when lost, nothing more is delivered (another run may be delivering). */
  lease?: LeaseGuard;
  /** Accounts already selected (the caller listed them to choose how to run); else listed here. */
  selected?: SelectedAccounts;
  notify: NotifyPolicy;
  /** Evaluate and report; deliver nothing (no Security Hub, no SNS, no history). */
  dryRun?: boolean;
  /**
   * How this run treats a shared run history: `read` compares with it and writes nothing (a CLI
   * run that delivers nothing must not move the nightly run's pointers); `publish-only` saves the
   * report but counts the news as told only if a message went out (a CLI run that imports into
   * Security Hub without a topic). Default: the Lambda's, where the report itself is the delivery.
   */
  historyMode?: 'read' | 'publish-only';
  /** Failures before the scan that the report must carry (the run lease could not be taken). */
  runErrors?: ScanError[];
  /**
   * The account × regions where the last readable report had a finding of ours (observed,
   * carried or suppressed): elsewhere, with nothing to import either, Security Hub has nothing of
   * ours to archive and is not read. Undefined (no history read): every scanned scope is read.
   */
  knownScopes?: ReadonlySet<string>;
  /**
   * Where the run records a scope outside `knownScopes` (any scope, when they are undefined) before
   * importing findings there (the run history's intents): a run that dies before saving its report
   * must not leave findings in Security Hub that the next run never reads. Absent: nothing recorded.
   */
  intents?: ScopeIntents;
  runId?: string;
  now?: () => Date;
  /** Security Hub scopes synced at once. */
  deliveryConcurrency?: number;
  /** Told when the run moves past the scan (a progress display; the Lambda logs instead). */
  onPhase?: (phase: RunPhase) => void;
}

/** The parts of a run after the scan: Security Hub, then notification and history. */
export type RunPhase = { phase: 'security-hub' } | { phase: 'deliver' };

export interface SecurityHubSummary {
  scopes: number;
  imported: number;
  archived: number;
  failed: number;
  /** Not observed, left ACTIVE: not re-checked, or outside a narrowed run. */
  kept: number;
  /** Of rules this run did not evaluate, left as they were. */
  otherRules: number;
}

export interface DeliverySummary {
  securityHub: SecurityHubSummary | 'disabled' | 'dry-run';
  notification: { sent: boolean; reason: string; messageId?: string } | 'disabled' | 'dry-run';
  history: SavedReport | 'disabled' | 'dry-run' | 'failed';
  /** The fleet page written beside the report (absent: no page is published). Its link is never here: the summary is logged. */
  page?: { location: string } | 'failed';
  /** The deliveries that failed (lib/deliver/failures.ts); empty when everything due was delivered. */
  failures: DeliveryKind[];
}

export interface RunOutcome {
  report: StoredRunReport;
  delta: Delta;
  delivery: DeliverySummary;
}

export function runIdOf(start: Date): string {
  return `${start.toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
}

function errorOf(stage: ScanError['stage'], error: unknown, where: Partial<ScanError> = {}): ScanError {
  const e = error as Error & { code?: string };
  return { accountId: where.accountId ?? '-', ...where, stage, code: e.code ?? e.name ?? 'Error', message: e.message ?? String(error) };
}

/**
 * The inventory kept in the report (and in a distributed run's parts): configuration values may
 * hold secrets, so they stay out; a role annotation that is not an IAM role ARN (anyone with
 * cluster admin writes it) is not copied.
 */
export function inventoryOf(clusters: readonly ClusterFacts[]): ClusterFacts[] {
  return clusters.map((c) => {
    const role = c.cni.serviceAccountRoleArn;
    const serviceAccountRoleArn = role === null || isValid('IAM role ARN', role) ? role : '(not an IAM role ARN)';
    return { ...c, cni: { ...c.cni, configurationValues: null, serviceAccountRoleArn } };
  });
}

const scopeKey = (s: { accountId: string; region: string }) => `${s.accountId}/${s.region}`;
/** The account and region of a scope key (`account/region`). */
function scopeOfKey(key: string): { accountId: string; region: string } {
  const [accountId = '', region = ''] = key.split('/');
  return { accountId, region };
}

/** One sync; refused findings are not only counted: the result names each, in its account and region. */
async function syncScope(
  sink: FindingsSink,
  where: { accountId: string; region: string; session: AccountSession; fate: Parameters<FindingsSink['sync']>[0]['fate'] },
  findings: Finding[],
  ctx: Parameters<FindingsSink['sync']>[2],
): Promise<SyncResult> {
  const { accountId, region, session } = where;
  const result = await sink.sync({ accountId, region, partition: session.partition, credentials: session.credentials, fate: where.fate }, findings, ctx);
  // A request refused as a whole (403) is already one error: its findings are not counted again.
  const refused = result.failed.filter((f) => !f.inFailedRequest && !result.errors.some((e) => e.message.includes(f.id)));
  if (refused.length > 0) {
    result.errors.push({
      accountId,
      region,
      stage: 'deliver-securityhub',
      code: 'FailedFindings',
      message: `Security Hub refused ${refused.length} finding(s): ${refused.map((f) => `${f.id} (${f.code}: ${f.message})`).join('; ')}`,
    });
  }
  return result;
}

function summarize(results: readonly SyncResult[], scopes: number): SecurityHubSummary {
  return {
    scopes,
    imported: sum(results, (r) => r.imported),
    archived: sum(results, (r) => r.archived),
    failed: sum(results, (r) => r.failed.length),
    kept: sum(results, (r) => r.kept),
    otherRules: sum(results, (r) => r.otherRules),
  };
}

/**
 * What a set of accounts yields once scanned, judged and synced to Security Hub: a whole run's, or
 * one batch's in a distributed run (batches merge with mergeBatches).
 */
export interface AuditedBatch {
  scan: Omit<ScanResult, 'sessions'>;
  /** Active findings: not suppressed (expired suppressions included). */
  findings: Finding[];
  /** One plan per cluster with active findings (absent in parts written before plans existed). */
  plans?: ClusterPlan[];
  suppressed: SuppressedFinding[];
  expired: ExpiredSuppression[];
  /** The suppressions this batch's findings never matched; absent when the batch was not audited. */
  unusedSuppressions?: UnusedSuppression[];
  errors: ScanError[];
  notes: CoverageNote[];
  /** What this scan re-read: which earlier findings it may resolve. */
  recheck: Recheck;
  /** What Security Hub archived (RESOLVED is told from it when no run history can be read). */
  archived: ArchivedFinding[];
  /**
   * Account × regions Security Hub could not be brought up to date in (a sync failed or did not
   * run, or kept a finding ACTIVE it could not re-check): the next run reads them again.
   */
  securityHubPending?: string[];
  /**
   * The run could not tell where Security Hub may hold findings of ours (no known scopes) and did
   * not read everywhere (narrowed, or importing nothing): its securityHubPending cannot name what it
   * did not read, so the next run reads everywhere.
   */
  knownScopesUntold?: true;
  securityHub: DeliverySummary['securityHub'];
}

type PipelineOptions = Pick<RunOptions, 'scan' | 'dryRun' | 'now' | 'deliveryConcurrency' | 'lease' | 'deliverBy' | 'runErrors' | 'knownScopes' | 'intents' | 'onPhase'>;

/** One account judged: what evaluate and the suppressions made of its clusters. */
interface Judged {
  accountId: string;
  findings: Finding[];
  plans: ClusterPlan[];
  suppressed: SuppressedFinding[];
  expired: ExpiredSuppression[];
  unused: UnusedSuppression[];
  errors: ScanError[];
  skipped: Recheck['skipped'];
}

/** Evaluate → suppress → plan, for the clusters of one account (pure, but for the clock's `now`). */
function judge(ports: Pick<AuditPorts, 'rules' | 'suppressions'>, accountId: string, clusters: readonly ClusterFacts[], now: string): Judged {
  const evaluated = evaluateFleet(ports.rules, clusters);
  const outcome: SuppressionOutcome = applySuppressions(evaluated.findings, [...(ports.suppressions ?? [])], now);
  // A suppressed finding's fix leaves its cluster's plan; with nothing suppressed, the findings
  // stay as the suppressions left them (an expired one is marked).
  const planned = outcome.suppressed.length > 0 ? planFleet(ports.rules, clusters, outcome.active) : evaluated;
  return {
    accountId,
    findings: outcome.suppressed.length > 0 ? planned.findings : outcome.active,
    plans: planned.plans,
    suppressed: outcome.suppressed,
    expired: outcome.expired,
    unused: outcome.unused,
    errors: [...evaluated.errors, ...planned.errors.filter((e) => !evaluated.errors.includes(e))],
    skipped: evaluated.skipped,
  };
}

/**
 * The run as a pipeline: each account is judged as soon as its scan ends, and its Security Hub
 * scopes are brought up to date while the other accounts are still scanned (the quota is per
 * account and region, so they do not compete). Each finding of ours not observed is archived only
 * when the run re-read its facts with its rule (RecheckIndex of that account).
 */
export class AuditPipeline {
  private readonly judged: Judged[] = [];
  private readonly syncs: Promise<void>[] = [];
  private readonly results: SyncResult[] = [];
  private readonly errors: ScanError[] = [];
  private readonly pending: string[] = [];
  private readonly late: string[] = [];
  /** The scopes queued for a sync (read in Security Hub, or left pending when the sync could not finish). */
  private readonly queued = new Set<string>();
  private readonly limit;
  private readonly now: string;
  private readonly signal: AbortSignal | undefined;
  private scopes = 0;

  private constructor(
    private readonly ports: AuditPorts,
    private readonly options: PipelineOptions,
    /** Opens once the run may deliver: whether it syncs Security Hub, and where it may hold findings of ours. */
    private readonly gate: Promise<DeliveryGate>,
  ) {
    this.limit = pLimit(options.deliveryConcurrency ?? DELIVERY_CONCURRENCY);
    this.now = (options.now ?? (() => new Date()))().toISOString();
    this.signal = deadlineSignal(options.deliverBy);
  }

  /** Security Hub is synced only by a delivering run that holds its lease (checked once here). */
  static async start(ports: AuditPorts, options: PipelineOptions): Promise<AuditPipeline> {
    const pipeline = AuditPipeline.gated(ports, options, Promise.resolve(true), Promise.resolve(options.knownScopes));
    await pipeline.gate;
    return pipeline;
  }

  /**
   * A pipeline that judges each account at once but syncs nothing until `opened` resolves true
   * (false: the run is dropped, nothing is delivered); `knownScopes` may still be read meanwhile.
   */
  static gated(ports: AuditPorts, options: PipelineOptions, opened: Promise<boolean>, knownScopes: Promise<ReadonlySet<string> | undefined>): AuditPipeline {
    const errors: ScanError[] = [];
    const gate = opened.then(async (open): Promise<DeliveryGate> => {
      let syncing = false;
      try {
        syncing = open && !options.dryRun && ports.findings !== undefined && (await leaseHeld(options.lease, errors));
      } catch (error) {
        // The lease could not be confirmed: delivering anyway could race another run.
        errors.push(errorOf('lease', error));
      }
      // Where findings of ours may be: unknown (read everywhere) when the history could not say.
      // A run with no Security Hub to sync reads them too: its report keeps them (it reads none).
      const reads = syncing || (open && !options.dryRun && ports.findings === undefined);
      return { syncing, knownScopes: reads ? await knownScopes.catch(() => undefined) : undefined, errors };
    });
    return new AuditPipeline(ports, options, gate);
  }

  /** As an account's scan ends: judge it, and queue the sync of its scopes (it starts once the gate opens). */
  account(part: AccountPart): void {
    const judged = judge(this.ports, part.accountId, part.clusters, this.now);
    this.judged.push(judged);
    if (this.options.dryRun || !this.ports.findings || !part.session) return;
    const sink = this.ports.findings;
    const session = part.session;
    const syncs = this.gate.then(async (gate) => {
      if (!gate.syncing) return [];
      const index = new RecheckIndex(recheckOf(part.checks, { rules: this.ports.rules, skipped: judged.skipped }, this.options.scan));
      const known = gate.knownScopes;
      const byScope = new Map<string, Finding[]>();
      for (const scope of part.checks.scopes) {
        const key = scopeKey(scope);
        if (scope.failed === undefined && (known === undefined || known.has(key))) byScope.set(key, []);
      }
      for (const finding of judged.findings) {
        const key = scopeKey(finding);
        const list = byScope.get(key);
        if (list) list.push(finding);
        else byScope.set(key, [finding]);
      }
      // Where the history knew no finding of ours, or could not tell (a run that reads everywhere
      // and dies before saving its report must send the next one there too): recorded before
      // anything is imported there.
      const unrecorded = await this.recordIntents(part.accountId, [...byScope].filter(([key, findings]) => findings.length > 0 && !known?.has(key)).map(([key]) => key));
      for (const key of unrecorded) {
        byScope.delete(key);
        this.queued.add(key);
        (this.signal?.aborted ? this.late : this.pending).push(key);
      }
      const details = new Map(part.clusters.map((c) => [c.clusterArn, { clusterStatus: c.clusterStatus, clusterTags: c.tags }]));
      return [...byScope].map(([key, findings]) => {
        this.scopes += 1;
        this.queued.add(key);
        return this.limit(async () => {
          const [accountId, region] = key.split('/') as [string, string];
          if (this.signal?.aborted) {
            this.late.push(key);
            return;
          }
          if (this.options.lease?.lost) {
            this.pending.push(key);
            await leaseHeld(this.options.lease, this.errors);
            return;
          }
          const result = await syncScope(sink, { accountId, region, session, fate: (f) => index.fateOf(f) }, findings, {
            now: this.now,
            productVersion: TOOL.version,
            clusterDetails: (arn) => details.get(arn),
            ...(this.signal ? { signal: this.signal } : {}),
          }).catch((error: unknown) => {
            this.errors.push(errorOf('deliver-securityhub', error, { accountId, region }));
            return undefined;
          });
          if (result) this.results.push(result);
          // A finding kept ACTIVE (not re-checked) is not brought up to date either: the next run
          // must read it again though no report may name it (the baseline unreadable, or older).
          // Nor is one of a rule this run did not evaluate (a team's --rules run imported it): the
          // run that has its rule must read it again though this run's report names none there.
          if (!result || result.errors.length > 0 || result.failed.length > 0 || result.kept > 0 || result.otherRules > 0) this.pending.push(key);
        });
      });
    });
    this.syncs.push(syncs.then((started) => Promise.all(started)).then(() => undefined));
  }

  /**
   * Records `scopes` as about to be imported into (options.intents); returns those it could not
   * record (none when there are none or nowhere to record), or not before the delivery deadline:
   * their import waits for the next run, which reads them as pending.
   */
  private async recordIntents(accountId: string, scopes: readonly string[]): Promise<readonly string[]> {
    if (scopes.length === 0 || !this.options.intents) return [];
    try {
      // A history timing out (each queued record tries its write again) must not hold the run past its deadline.
      await raceDeadline(this.options.intents.record(scopes), this.signal);
      return [];
    } catch (error) {
      // Counted with the scopes the deadline left unsynced (DeadlineReached).
      if (error instanceof DeadlineReachedError) return scopes;
      const message = `${scopes.join(', ')} could not be recorded in the run history before importing findings there (${error instanceof Error ? error.message : String(error)}): nothing is imported there tonight, the next run does it`;
      this.errors.push({ accountId, stage: 'deliver-securityhub', code: 'IntentNotRecorded', message });
      return scopes;
    }
  }

  /** Once the scan is over: the syncs still going are awaited, and the accounts put together. */
  async finish(scan: ScanResult): Promise<AuditedBatch> {
    const { syncing, knownScopes, errors: leaseErrors } = await this.gate;
    if (syncing) this.options.onPhase?.({ phase: 'security-hub' });
    await Promise.all(this.syncs);
    // Accounts end in any order: the report lists them in the scan's (account id) order.
    const judged = [...this.judged].sort((a, b) => a.accountId.localeCompare(b.accountId));
    const errors: ScanError[] = [...(this.options.runErrors ?? []), ...scan.errors, ...judged.flatMap((j) => j.errors)];
    const notes: CoverageNote[] = [...scan.coverage.notes];
    const archived: ArchivedFinding[] = [];
    let securityHub: DeliverySummary['securityHub'] = this.options.dryRun ? 'dry-run' : 'disabled';
    errors.push(...leaseErrors, ...this.errors.filter((e) => e.stage === 'lease'));
    if (syncing) {
      for (const r of this.results) {
        notes.push(...r.notes);
        errors.push(...r.errors);
        archived.push(...r.archivedFindings);
      }
      errors.push(...this.errors.filter((e) => e.stage !== 'lease'));
      if (this.late.length > 0) {
        errors.push({
          accountId: '-',
          stage: 'deliver-securityhub',
          code: 'DeadlineReached',
          message: `${this.late.length} account-region(s) not synced before the Lambda had to deliver the rest (${this.late.slice(0, 10).join(', ')}${this.late.length > 10 ? ', …' : ''}): their findings stay as they were until the next night`,
        });
      }
      securityHub = summarize(this.results, this.scopes);
      this.ports.logger?.info('security hub synced', { ...securityHub });
    }
    const recheck = recheckOf(scan.checks, { rules: this.ports.rules, skipped: judged.flatMap((j) => j.skipped) }, this.options.scan);
    // A run that imports nothing (a CLI run with a topic and no --security-hub) reads no scope:
    // every known one stays known, or a finding it tells RESOLVED would never be archived.
    const unread = syncing ? unreadScopes(knownScopes, this.queued, scan.checks.scopes, recheck) : this.ports.findings === undefined ? [...(knownScopes ?? [])] : [];
    const pending = [...new Set([...this.pending, ...this.late, ...unread])].sort();
    // With no known scopes, a run that reads only part of the organization cannot keep the rest known.
    const untold = knownScopes === undefined && !this.options.dryRun && (syncing ? recheck.narrowed : this.ports.findings === undefined);
    const { sessions: _sessions, ...plain } = scan;
    return {
      scan: plain,
      findings: judged.flatMap((j) => j.findings),
      plans: judged.flatMap((j) => j.plans),
      suppressed: judged.flatMap((j) => j.suppressed),
      expired: judged.flatMap((j) => j.expired),
      // With no account judged, every suppression went unused.
      unusedSuppressions: judged.length ? unusedByAll(judged.map((j) => j.unused)) : applySuppressions([], [...(this.ports.suppressions ?? [])], this.now).unused,
      errors,
      notes,
      recheck,
      archived,
      ...(pending.length ? { securityHubPending: pending } : {}),
      ...(untold ? { knownScopesUntold: true as const } : {}),
      securityHub,
    };
  }
}

/**
 * The scopes where Security Hub may hold findings of ours that this run did not read there, and
 * that did not leave the audit: a region or account it could not scan, one a narrowed run was not
 * asked for. They stay known (securityHubPending), or the next run would not read them either; the
 * last report's findings there are carried only when that report is also the baseline. With no
 * known scopes (Security Hub read everywhere), the scopes whose clusters could not be listed and
 * those of the accounts that could not be scanned.
 */
function unreadScopes(known: ReadonlySet<string> | undefined, queued: ReadonlySet<string>, scopes: readonly ScopeCheck[], recheck: Recheck): string[] {
  if (known === undefined) return [...scopes.filter((s) => s.failed !== undefined).map(scopeKey), ...scopesOfFailedAccounts(scopes, recheck)];
  const index = new RecheckIndex(recheck);
  return [...known].filter((key) => {
    if (queued.has(key)) return false;
    const { kind } = index.fateOfScope(scopeOfKey(key));
    return kind !== 'departed' && kind !== 'resolved';
  });
}

/**
 * The scopes of the accounts that could not be scanned at all (AssumeRole refused, no region
 * listed): each audited region — the configured ones, else every region scanned in another
 * account. A scope named here that the account does not have is let go by the next run (its
 * region is not enabled there).
 */
export function scopesOfFailedAccounts(scopes: readonly ScopeCheck[], recheck: Recheck): string[] {
  const failed = recheck.accounts.filter((a) => a.status === 'failed');
  if (failed.length === 0) return [];
  const regions = recheck.regions === 'all' ? [...new Set(scopes.map((s) => s.region))].sort() : recheck.regions;
  return failed.flatMap((a) => regions.map((region) => scopeKey({ accountId: a.accountId, region })));
}

/** What the pipeline learns when the run may deliver (see AuditPipeline.gated). */
interface DeliveryGate {
  syncing: boolean;
  knownScopes: ReadonlySet<string> | undefined;
  /** The lease found lost when the gate opened. */
  errors: ScanError[];
}

/** Suppressions unused by every account judged. */
function unusedByAll(lists: readonly UnusedSuppression[][]): UnusedSuppression[] {
  const key = (u: UnusedSuppression) => JSON.stringify(u);
  return lists.slice(1).reduce((kept, list) => {
    const keys = new Set(list.map(key));
    return kept.filter((u) => keys.has(key(u)));
  }, lists[0] ?? []);
}

/** Whether the run may still deliver; a lost lease is recorded once as the run's error. */
async function leaseHeld(lease: LeaseGuard | undefined, errors: ScanError[]): Promise<boolean> {
  if (lease && !lease.lost) await lease.confirm?.();
  if (!lease?.lost) return true;
  if (!errors.some((e) => e.stage === 'lease')) {
    errors.push({ accountId: '-', stage: 'lease', code: 'LeaseLost', message: `run ${lease.runId} lost its lease: another run may be delivering, so this one delivers nothing more` });
  }
  return false;
}

/** One report's worth of batches: counts added, lists joined in a stable order. */
export function mergeBatches(batches: readonly AuditedBatch[]): AuditedBatch {
  const addCounts = <T extends Record<string, number>>(pick: (b: AuditedBatch) => T): T => {
    const total = {} as Record<string, number>;
    for (const b of batches) for (const [k, v] of Object.entries(pick(b))) total[k] = (total[k] ?? 0) + v;
    return total as T;
  };
  const hubs = batches.map((b) => b.securityHub).filter((h) => typeof h !== 'string');
  const byAccount = (a: { accountId: string }, b: { accountId: string }) => a.accountId.localeCompare(b.accountId);
  return {
    scan: {
      accounts: batches.flatMap((b) => b.scan.accounts).sort((a, b) => a.id.localeCompare(b.id)),
      clusters: batches.flatMap((b) => b.scan.clusters),
      errors: batches.flatMap((b) => b.scan.errors),
      completedScopes: batches.flatMap((b) => b.scan.completedScopes),
      checks: { accounts: batches.flatMap((b) => b.scan.checks.accounts), scopes: batches.flatMap((b) => b.scan.checks.scopes) },
      coverage: {
        accounts: addCounts((b) => b.scan.coverage.accounts),
        regions: addCounts((b) => b.scan.coverage.regions),
        clusters: addCounts((b) => b.scan.coverage.clusters),
        notes: batches.flatMap((b) => b.scan.coverage.notes),
      },
    },
    findings: batches.flatMap((b) => b.findings),
    plans: batches.flatMap((b) => b.plans ?? []),
    suppressed: batches.flatMap((b) => b.suppressed),
    expired: batches.flatMap((b) => b.expired),
    ...unusedInEvery(batches),
    errors: batches.flatMap((b) => b.errors).sort(byAccount),
    notes: batches.flatMap((b) => b.notes).sort(byAccount),
    recheck: mergeRechecks(batches.map((b) => b.recheck)),
    ...(batches.some((b) => b.securityHubPending?.length) ? { securityHubPending: batches.flatMap((b) => b.securityHubPending ?? []).sort() } : {}),
    ...(batches.some((b) => b.knownScopesUntold) ? { knownScopesUntold: true as const } : {}),
    archived: batches.flatMap((b) => b.archived),
    securityHub: hubs.length
      ? {
          scopes: sum(hubs, (h) => h.scopes),
          imported: sum(hubs, (h) => h.imported),
          archived: sum(hubs, (h) => h.archived),
          failed: sum(hubs, (h) => h.failed),
          kept: sum(hubs, (h) => h.kept),
          otherRules: sum(hubs, (h) => h.otherRules),
        }
      : (batches[0]?.securityHub ?? 'disabled'),
  };
}

function mergeRechecks(rechecks: readonly Recheck[]): Recheck {
  const first = rechecks[0];
  return {
    // A failed batch evaluated nothing: the rules are those of the batches that ran.
    rules: [...new Set(rechecks.flatMap((r) => r.rules))],
    regions: first?.regions ?? 'all',
    narrowed: first?.narrowed ?? false,
    accounts: rechecks.flatMap((r) => r.accounts),
    scopes: rechecks.flatMap((r) => r.scopes),
    skipped: rechecks.flatMap((r) => r.skipped),
  };
}

/** Where findings that left the audit may still be archived: a session in their account. */
export type DepartedSession = (accountId: string) => Promise<AccountSession>;

/**
 * Archives, where the audit role still works, the findings of accounts and regions that left the
 * audit this run (excluded by configuration, a region no longer audited). Elsewhere (left the
 * organization, suspended, region disabled) they expire in Security Hub on their own.
 */
async function archiveDepartures(
  departures: readonly Departure[],
  sink: FindingsSink,
  sessionOf: DepartedSession,
  now: string,
): Promise<{ errors: ScanError[]; archived: number; archivedFindings: ArchivedFinding[]; failed: Set<Departure> }> {
  const errors: ScanError[] = [];
  const failed = new Set<Departure>();
  const archivedFindings: ArchivedFinding[] = [];
  let archived = 0;
  for (const departure of departures.filter((d) => d.archivable)) {
    let session: AccountSession;
    try {
      session = await sessionOf(departure.accountId);
    } catch (error) {
      errors.push(errorOf('deliver-securityhub', error, { accountId: departure.accountId }));
      failed.add(departure);
      continue;
    }
    const regions = departure.region ? [departure.region] : [...new Set(departure.findings.map((f) => f.region))];
    for (const region of regions) {
      try {
        const fate = () => ({ kind: 'departed' as const, reason: departure.reason, archivable: true });
        const result = await syncScope(sink, { accountId: departure.accountId, region, session, fate }, [], { now, productVersion: TOOL.version });
        errors.push(...result.errors);
        archived += result.archived;
        archivedFindings.push(...result.archivedFindings);
        if (result.errors.length > 0 || result.failed.length > 0) failed.add(departure);
      } catch (error) {
        errors.push(errorOf('deliver-securityhub', error, { accountId: departure.accountId, region }));
        failed.add(departure);
      }
    }
  }
  return { errors, archived, archivedFindings, failed };
}

/**
 * The scopes where Security Hub may hold findings of ours (`known`, latestKnownScopes) that left the
 * audit where the audit role works and that no departure of the baseline's findings (`covered`)
 * names: with the baseline unreadable, or older than the latest run, those findings are known only
 * by their scope. Each is archived scope-wide like any departure; its `findings` are empty.
 */
export function scopeDepartures(
  known: Iterable<string> | undefined,
  covered: readonly Departure[],
  departed: (scope: { accountId: string; region: string }) => { reason: string; archivable: boolean } | undefined,
): Departure[] {
  if (known === undefined) return [];
  const named = new Set(covered.flatMap(scopesOfDeparture));
  const departures: Departure[] = [];
  for (const key of [...known].sort()) {
    if (named.has(key)) continue;
    const scope = scopeOfKey(key);
    const left = departed(scope);
    if (left?.archivable) departures.push({ ...scope, reason: left.reason, archivable: true, findings: [] });
  }
  return departures;
}

/** scopeDepartures told by this run's Recheck (RecheckIndex.fateOfScope). */
export function departedKnownScopes(known: ReadonlySet<string>, named: readonly Departure[], recheck: Recheck): Departure[] {
  const index = new RecheckIndex(recheck);
  return scopeDepartures(known, named, (scope) => {
    const fate = index.fateOfScope(scope);
    return fate.kind === 'departed' ? fate : undefined;
  });
}

/** The account-regions a departure archives in: its region, else those of its findings. */
export function scopesOfDeparture(departure: Departure): string[] {
  const { accountId, region } = departure;
  return region ? [scopeKey({ accountId, region })] : departure.findings.map(scopeKey);
}

/** The scopes of departures known only by their scope (scopeDepartures) among `departures`. */
function scopesOnly(departures: Iterable<Departure>): string[] {
  return [...departures].filter((d) => d.findings.length === 0).flatMap(scopesOfDeparture);
}

/** A coverage note per earlier departure archived again: done, or to be tried once more. */
function retryNotes(retried: readonly Departure[], unarchived: ReadonlySet<Departure>): CoverageNote[] {
  return retried.map((d) => ({
    accountId: d.accountId,
    ...(d.region ? { region: d.region } : {}),
    kind: 'left-scan' as const,
    message: unarchived.has(d)
      ? `${d.findings.length} finding(s) that left the audit earlier (${d.reason}) still could not be archived in Security Hub (see the errors): the next run tries again`
      : `${d.findings.length} finding(s) that left the audit earlier (${d.reason}) are now archived in Security Hub`,
  }));
}

/** One coverage note per account (or region) whose findings left the audit this run; `unarchived`: archiving failed there. */
function departureNotes(departures: readonly Departure[], securityHub: boolean, unarchived: ReadonlySet<Departure> = new Set()): CoverageNote[] {
  const expire = `they expire ${SECURITY_HUB_RETENTION_DAYS} days after their last update`;
  return departures.map((d) => ({
    accountId: d.accountId,
    ...(d.region ? { region: d.region } : {}),
    kind: 'left-scan' as const,
    message:
      (d.findings.length ? `${d.findings.length} finding(s) leave the audit: ${d.reason}` : `the findings of earlier runs here leave the audit: ${d.reason}`) +
      (!securityHub
        ? ''
        : !d.archivable
          ? `; in Security Hub ${expire}`
          : unarchived.has(d)
            ? `; they could not be archived in Security Hub (see the errors): ${expire}`
            : '; archived in Security Hub'),
  }));
}

/**
 * The findings of the baseline that left the audit where the audit role still works, told from
 * the selection alone (before any scan): accounts excluded by configuration, regions taken out of
 * an explicit AUDIT_REGIONS. What the distributed run's plan archives, since its aggregate step
 * assumes no role.
 */
export function archivableBeforeScan(baseline: readonly Finding[], selected: SelectedAccounts, scan: Pick<ScanOptions, 'regions' | 'narrowed'>): Departure[] {
  const departure = departedBeforeScan(selected, scan);
  const departures = new Map<string, Departure>();
  for (const finding of baseline) {
    const left = departure(finding);
    if (!left) continue;
    const key = `${finding.accountId}/${left.region ?? ''}`;
    const entry = departures.get(key) ?? { ...left, archivable: true, findings: [] };
    entry.findings.push(finding);
    departures.set(key, entry);
  }
  return [...departures.values()];
}

/**
 * Why a finding left the audit, told from the selection alone (see archivableBeforeScan):
 * undefined when its account and region are still audited (or left in a way only the scan tells).
 */
function departedBeforeScan(
  selected: SelectedAccounts,
  scan: Pick<ScanOptions, 'regions' | 'narrowed'>,
): (finding: Pick<Finding, 'accountId' | 'region'>) => Pick<Departure, 'accountId' | 'region' | 'reason'> | undefined {
  const excluded = new Map(selected.selection.notSelected.filter((a) => a.status === 'excluded').map((a) => [a.accountId, a]));
  const scanned = new Set(selected.selection.selected.map((a) => a.id));
  return ({ accountId, region }) => {
    const account = excluded.get(accountId);
    if (account) return { accountId, reason: `the account is ${account.reason ?? 'excluded by the account filters'}` };
    const regionLeft = scanned.has(accountId) && scan.regions !== 'all' && !scan.narrowed && !scan.regions.includes(region);
    return regionLeft ? { accountId, region, reason: `${region} is no longer among the audited regions` } : undefined;
  };
}

/** What the plan reads of the baseline: the findings it may have to archive. */
const DEPARTURE_MEMBERS = ['findings', 'carriedOver', 'archivePending'] as const satisfies readonly (keyof StoredRunReport)[];

/**
 * The plan's part of archiving what left the audit (see archivableBeforeScan). `knownScopes`: where
 * Security Hub may hold findings of ours (latestKnownScopes); when none of them left the audit,
 * there is nothing to archive and the baseline report (hundreds of MB at 10,000 accounts) is not read.
 */
export async function archiveDepartedBeforeScan(
  selected: SelectedAccounts,
  scan: ScanOptions,
  ports: Pick<AuditPorts, 'history' | 'findings' | 'collect'>,
  now: Date = new Date(),
  knownScopes?: ReadonlySet<string>,
): Promise<PlanDepartures & { archived: number }> {
  if (!ports.history || !ports.findings) return { archived: 0, errors: [], pending: [] };
  const departed = departedBeforeScan(selected, scan);
  if (knownScopes && ![...knownScopes].some((key) => departed(scopeOfKey(key)) !== undefined)) return { archived: 0, errors: [], pending: [] };
  const errors: ScanError[] = [];
  // Of the baseline only the findings that left are kept as it is read: at 10,000 accounts it holds
  // ~40,000, and the plan runs in the audit function's memory.
  const { report } = await ports
    .history((error) => errors.push(errorOf('deliver-history', error)))
    .baseline(DEPARTURE_MEMBERS, { where: (finding) => departed(finding) !== undefined });
  // What an earlier run could not archive when it left is tried again here too.
  const named = archivableBeforeScan([...(knownFindings(report) ?? []), ...(report?.archivePending ?? [])], selected, scan);
  // Known scopes the report does not name (it could not be read, or is older than the latest run) are archived whole.
  const departures = [...named, ...scopeDepartures(knownScopes, named, (scope) => {
    const left = departed(scope);
    return left && { reason: left.reason, archivable: true };
  })];
  if (departures.length === 0) return { archived: 0, errors, pending: [] };
  const archived = await archiveDepartures(departures, ports.findings, departedSessions(ports.collect, scan, selected.managementId), now.toISOString());
  const pendingScopes = scopesOnly(archived.failed);
  return {
    archived: archived.archived,
    errors: [...errors, ...archived.errors],
    pending: [...archived.failed].flatMap((d) => d.findings),
    ...(pendingScopes.length ? { pendingScopes } : {}),
  };
}

/**
 * What the distributed run's plan could not archive of what left the audit: the aggregate (which
 * assumes no role) reports the errors and keeps the findings in archivePending for the next night.
 */
export interface PlanDepartures {
  errors: ScanError[];
  pending: Finding[];
  /** Scopes that left the audit, known only by their scope (scopeDepartures), not archived: kept in securityHubPending so the next run tries again. */
  pendingScopes?: string[];
}

/** Unused in the whole run: unused in every batch that was audited. */
function unusedInEvery(batches: readonly AuditedBatch[]): Pick<AuditedBatch, 'unusedSuppressions'> {
  const audited = batches.flatMap((b) => (b.unusedSuppressions ? [b.unusedSuppressions] : []));
  if (audited.length === 0) return {};
  const key = (u: UnusedSuppression) => JSON.stringify(u);
  const everywhere = audited.slice(1).reduce((kept, list) => {
    const keys = new Set(list.map(key));
    return kept.filter((u) => keys.has(key(u)));
  }, audited[0]!);
  return { unusedSuppressions: everywhere };
}

/** Delta → notification → history: the part of a run that needs the whole organization at once. */
export async function concludeRun(
  batch: AuditedBatch,
  run: { runId: string; startedAt: Date },
  options: Pick<RunOptions, 'notify' | 'dryRun' | 'now' | 'lease' | 'onPhase' | 'historyMode'> & {
    departedSession?: DepartedSession;
    planDepartures?: PlanDepartures;
    /** Where Security Hub may hold findings of ours (latestKnownScopes): those that left the audit are archived even when the baseline does not name their findings. */
    knownScopes?: ReadonlySet<string>;
    /**
     * A distributed run's aggregate (which archives nothing): the scopes its plan knew (undefined:
     * none, the plan read the baseline). The plan archived only there, unless it read the baseline
     * (some known scope left), so what left the audit elsewhere is kept for the next plan.
     */
    planKnownScopes?: () => Promise<ReadonlySet<string> | undefined>;
  },
  ports: Pick<AuditPorts, 'notifier' | 'history' | 'logger' | 'findings' | 'page'>,
): Promise<RunOutcome> {
  const clock = options.now ?? (() => new Date());
  if (!options.dryRun && (ports.notifier || ports.history)) options.onPhase?.({ phase: 'deliver' });
  // The history's reports come in while the run delivers too (a trend summary not written as the report is saved).
  const errors: ScanError[] = [...batch.errors];
  const history = ports.history?.((error) => errors.push(errorOf('deliver-history', error)));
  const { delta, previousErrors, retry, unsettled } = await deltaOf(batch, history);
  const { baseline } = delta;
  const delivery: DeliverySummary = {
    securityHub: batch.securityHub,
    notification: options.dryRun ? 'dry-run' : 'disabled',
    history: options.dryRun ? 'dry-run' : 'disabled',
    failures: [],
  };
  const now = clock().toISOString();
  let unarchived = new Set<Departure>();
  // What left the audit tonight, what an earlier run could not archive when it left, and the
  // known scopes that left though the baseline names no finding there (it could not be read).
  const named = [...delta.departures, ...retry];
  const byScope = options.departedSession && options.knownScopes ? departedKnownScopes(options.knownScopes, named, batch.recheck) : [];
  const toArchive = [...named, ...byScope];
  let attempted = false;
  if (!options.dryRun && ports.findings && options.departedSession && toArchive.some((d) => d.archivable) && (await leaseHeld(options.lease, errors))) {
    attempted = true;
    const departed = await archiveDepartures(toArchive, ports.findings, options.departedSession, now);
    errors.push(...departed.errors);
    unarchived = departed.failed;
    if (typeof delivery.securityHub !== 'string') delivery.securityHub = { ...delivery.securityHub, archived: delivery.securityHub.archived + departed.archived };
    // With no baseline, RESOLVED is what Security Hub archived: what left the audit included.
    if (baseline.kind === 'unavailable') resolveArchived(delta, departed.archivedFindings, batch);
  }
  // A distributed run's plan tried (archiveDepartedBeforeScan): what it could not archive waits for the next night too.
  const planPending = options.planDepartures?.pending ?? [];
  errors.push(...(options.planDepartures?.errors ?? []));
  const archivePending = [...(attempted ? toArchive.filter((d) => unarchived.has(d)).flatMap((d) => d.findings) : planPending), ...unsettled];
  // A scope known only as a scope stays known until it is archived: the next run tries again.
  const pendingScopes = attempted ? scopesOnly(unarchived) : [...(options.planDepartures?.pendingScopes ?? []), ...(await untriedByPlan(delta.departures, options.planKnownScopes))];
  const securityHubPending = [...new Set([...(batch.securityHubPending ?? []), ...pendingScopes])].sort();
  const carried = carriedOf(delta);
  const resolved = resolvedOf(delta);
  const report: StoredRunReport = {
    schemaVersion: 1,
    runId: run.runId,
    startedAt: run.startedAt.toISOString(),
    finishedAt: now,
    tool: { ...TOOL },
    findings: batch.findings,
    suppressed: batch.suppressed,
    coverage: {
      ...batch.scan.coverage,
      notes: [...batch.notes, ...departureNotes([...delta.departures, ...(attempted ? byScope : [])], ports.findings !== undefined, unarchived), ...(attempted ? retryNotes(retry, unarchived) : [])],
    },
    errors,
    completedScopes: batch.scan.completedScopes,
    accounts: batch.scan.accounts,
    clusters: inventoryOf(batch.scan.clusters),
    plans: batch.plans ?? [],
    baseline,
    newIds: delta.new.map((f) => f.id),
    ...(resolved.length ? { resolved } : {}),
    ...(carried.length ? { carriedOver: carried } : {}),
    ...(batch.unusedSuppressions?.length ? { unusedSuppressions: batch.unusedSuppressions } : {}),
    ...(securityHubPending.length ? { securityHubPending } : {}),
    ...(archivePending.length ? { archivePending } : {}),
    // Said only where it matters, in a report the history keeps (not in a CLI scan's output).
    ...(batch.knownScopesUntold && history && !options.dryRun && options.historyMode !== 'read' ? { knownScopesUntold: true as const } : {}),
  };

  // The news counts as delivered unless a publish was due and failed: with no topic, or nothing to
  // say, the report itself is the delivery; after a failed publish, the next run recounts from
  // the last delivered one.
  let notified = options.historyMode !== 'publish-only';
  if (!options.dryRun && ports.notifier && (await leaseHeld(options.lease, errors))) {
    const decision: NotifyDecision = shouldNotify(options.notify, delta, errors, previousErrors);
    delivery.notification = { sent: false, reason: decision.reason };
    if (decision.notify) {
      const reportLink = ports.page && history ? await pageLink(ports.page, report, errors) : undefined;
      const message = buildNotification({
        runId: run.runId,
        startedAt: report.startedAt,
        now,
        delta,
        suppressed: batch.suppressed,
        expired: batch.expired,
        ...(report.unusedSuppressions ? { unusedSuppressions: report.unusedSuppressions } : {}),
        coverage: report.coverage,
        errors,
        minSeverity: options.notify.minSeverity,
        plans: report.plans ?? [],
        reportLocation: history?.locate(report) ?? '(no run history configured)',
        ...(reportLink ? { reportLink } : {}),
      });
      try {
        const { messageId } = await ports.notifier.publish(message);
        delivery.notification = { sent: true, reason: decision.reason, messageId };
        notified = true;
      } catch (error) {
        notified = false;
        errors.push(errorOf('deliver-sns', error instanceof NotifyError ? error : new NotifyError(String(error), { cause: error })));
      }
    }
  }

  if (!options.dryRun && history && options.historyMode !== 'read' && (await leaseHeld(options.lease, errors))) {
    try {
      report.finishedAt = clock().toISOString();
      // Without a baseline the news was not counted against anything: the next run counts again
      // from the last notified report (or the newest readable one).
      delivery.history = await history.save(report, { notified: notified && baseline.kind !== 'unavailable' });
    } catch (error) {
      delivery.history = 'failed';
      errors.push(errorOf('deliver-history', error));
    }
    // The page reads the history it was just saved to for its trend; it is written even when the
    // report could not be saved (it is drawn from the report in hand), so the link sent works.
    if (ports.page && (await leaseHeld(options.lease, errors))) {
      try {
        delivery.page = await ports.page.publish(report);
      } catch (error) {
        delivery.page = 'failed';
        errors.push(pageError('the fleet page was not written', error));
      }
    }
  }
  delivery.failures = deliveryFailures(delivery, errors);
  return { report, delta, delivery };
}

/**
 * The delta against the history's baseline. Of the baseline report only what the delta reads is
 * read, and only its errors outlive this call: the findings seen again tonight are let go.
 */
async function deltaOf(batch: AuditedBatch, history: HistoryStore | undefined): Promise<{ delta: Delta; previousErrors: ScanError[] | undefined; retry: Departure[]; unsettled: Finding[] }> {
  const { report: previous, baseline }: { report: Pick<StoredRunReport, (typeof BASELINE_MEMBERS)[number]> | undefined; baseline: Baseline } = history
    ? await history.baseline(BASELINE_MEMBERS)
    : { report: undefined, baseline: { kind: 'first-run' } };
  const index = new RecheckIndex(batch.recheck);
  const delta = computeDelta(batch.findings, knownFindings(previous), index, baseline, {
    suppressedIds: batch.suppressed.map((s) => s.finding.id),
    archivedBySecurityHub: batch.archived,
  });
  return { delta, previousErrors: previous?.errors, retry: departuresToRetry(previous?.archivePending, index), unsettled: unsettledPending(previous?.archivePending, index) };
}

/**
 * The scopes of departures (told by the baseline) that the plan did not read the baseline for: with
 * no known scope of its own left, it archived nothing; they stay known and the next plan archives them.
 */
async function untriedByPlan(departures: readonly Departure[], planKnownScopes: (() => Promise<ReadonlySet<string> | undefined>) | undefined): Promise<string[]> {
  const archivable = departures.filter((d) => d.archivable);
  if (!planKnownScopes || archivable.length === 0) return [];
  const known = await planKnownScopes();
  if (known === undefined) return [];
  const scopes = archivable.flatMap(scopesOfDeparture);
  return [...new Set(scopes)].filter((scope) => !known.has(scope));
}

/** With the baseline unavailable: what archiving the departures took from Security Hub is told RESOLVED too (as computeDelta does for the syncs). */
function resolveArchived(delta: Delta, archived: readonly ArchivedFinding[], batch: Pick<AuditedBatch, 'findings' | 'suppressed'>): void {
  const told = new Set([...delta.resolved, ...batch.findings, ...batch.suppressed.map((s) => s.finding)].map((f) => f.id));
  for (const { finding, reason } of archived) {
    if (told.has(finding.id)) continue;
    told.add(finding.id);
    delta.resolved.push(finding);
    delta.why[finding.id] = reason;
  }
}

function pageError(what: string, error: unknown): ScanError {
  const e = errorOf('deliver-history', error);
  return { ...e, message: `${what}: ${e.message}` };
}

/** The link the notification gives to the run's page; a link that cannot be made is an error of the run, not a failed notification. */
async function pageLink(page: FleetPagePublisher, report: StoredRunReport, errors: ScanError[]): Promise<ReportLink | undefined> {
  try {
    return await page.link(report);
  } catch (error) {
    errors.push(pageError('the fleet page could not be linked', error));
    return undefined;
  }
}

/** The session to archive in an account that left the scan: the run's audit role (or the caller's own, in the management account). */
export function departedSessions(collect: CollectPorts, scan: ScanOptions, managementId: string | undefined): DepartedSession {
  const role: RoleToAssume = {
    roleName: scan.roleName,
    sessionName: scan.sessionName,
    ...(scan.externalId === undefined ? {} : { externalId: scan.externalId }),
  };
  return (accountId) => collect.credentials.sessionFor(accountId, accountId === managementId ? 'caller' : role);
}

/** The scopes worth reading in Security Hub, from the latest run of a history (undefined: read all). */
export async function knownScopesIn(history: AuditPorts['history']): Promise<Set<string> | undefined> {
  return history?.(() => undefined).latestKnownScopes();
}

/**
 * An audit under way in one process: accounts are scanned and judged as their ListAccounts pages
 * arrive, and nothing is delivered until the caller decides. `proceed` delivers (Security Hub once the
 * listing has ended, while the scan goes on, then notification and history; nothing when the listing
 * fails); `abandon` stops starting accounts and delivers nothing (the scheduled run hands a large
 * organization to the state machine this way).
 */
export interface StartedAudit {
  listing: AccountListing;
  /**
   * Where the last report says Security Hub may hold findings of ours (undefined: read every scope),
   * read once as the scan starts: a run handed to the state machine passes it on instead of reading
   * the report again (tens of MB at thousands of accounts).
   */
  knownScopes: Promise<ReadonlySet<string> | undefined>;
  proceed(): Promise<RunOutcome>;
  abandon(): Promise<void>;
}

/** Starts an audit (see StartedAudit): the scan begins with the first page of the listing. */
export function startAudit(options: RunOptions, ports: AuditPorts): StartedAudit {
  const clock = options.now ?? (() => new Date());
  const startedAt = clock();
  const runId = options.runId ?? runIdOf(startedAt);
  const listing = options.selected ? listedAlready(options.selected) : listForScan(options.scan, ports.collect);
  const stop = new AbortController();
  let decide!: (deliver: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (decide = resolve));
  // A run that cannot list the whole organization delivers nothing (it throws): Security Hub waits for the listing too.
  const opened = decided.then((deliver) => deliver && listing.selected.then(() => true, () => false));
  // What Security Hub may hold of ours comes from the last run Security Hub saw (the latest report), read while the scan starts.
  // A run that imports nothing but saves its report reads them too: its report must keep them.
  const saves = ports.history !== undefined && options.historyMode !== 'read';
  const knownScopes = options.knownScopes !== undefined || !(ports.findings || saves) || options.dryRun ? Promise.resolve(options.knownScopes) : knownScopesIn(ports.history);
  // Awaited only by a run that syncs; a run dropped or denied delivery never reads it.
  knownScopes.catch(() => undefined);
  // A run that saves its report records where it imports beyond the known scopes (a run that only reads the history imports nothing).
  const intents = options.intents ?? (ports.history && ports.findings && !options.dryRun && options.historyMode !== 'read' ? ports.history(() => undefined).intents({ runId, startedAt: startedAt.toISOString() }, 'audit') : undefined);
  const pipeline = AuditPipeline.gated(ports, { ...options, ...(intents ? { intents } : {}) }, opened, knownScopes);
  const signal = options.scan.signal ? AbortSignal.any([options.scan.signal, stop.signal]) : stop.signal;
  const scanning = scanListing(listing, { ...options.scan, signal, onAccountScanned: (part) => pipeline.account(part) }, ports.collect, () => clock().getTime());
  // Settled by proceed or abandon; until then a listing failure must not go unhandled.
  scanning.catch(() => undefined);
  return {
    listing,
    knownScopes: knownScopes.catch(() => undefined),
    async proceed() {
      decide(true);
      const scan = await scanning;
      ports.logger?.info('scan finished', { coverage: { ...scan.coverage, notes: scan.coverage.notes.length }, errors: scan.errors.length });
      const batch = await pipeline.finish(scan);
      const { managementId } = await listing.selected;
      const known = await knownScopes.catch(() => undefined);
      return concludeRun(batch, { runId, startedAt }, { ...options, departedSession: departedSessions(ports.collect, options.scan, managementId), ...(known ? { knownScopes: known } : {}) }, ports);
    },
    async abandon() {
      decide(false);
      stop.abort();
      await scanning.catch(() => undefined);
    },
  };
}

/** One audit in one process: scan → evaluate → suppress → Security Hub → notify → history. */
export async function runAudit(options: RunOptions, ports: AuditPorts): Promise<RunOutcome> {
  return startAudit(options, ports).proceed();
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
