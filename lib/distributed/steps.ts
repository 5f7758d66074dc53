import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { scanSelection, type SelectedAccounts } from '../collect/scan.js';
import type { ScopeIntents } from '../deliver/history/intents.js';
import { intentLogOf } from '../deliver/history/store.js';
import { getS3Text, putS3Text } from '../deliver/s3-object.js';
import { AuditPipeline, concludeRun, departedKnownScopes, inventoryOf, mergeBatches, scopesOfDeparture, scopesOfFailedAccounts, type AuditedBatch, type AuditPorts, type PlanDepartures, type RunOptions, type RunOutcome } from '../run.js';
import type { Account, AccountCheck, ScanError } from '../types.js';
import { partKey, partsPrefix, type AggregateEvent, type DistributedPlan, type WorkerEvent } from './protocol.js';

export interface DistributedStorage {
  s3: S3Client;
  bucket: string;
  /** The history prefix (`fleet-audit/`): parts live under `<prefix>distributed/<runId>/`. */
  prefix: string;
}

/** Starts the state machine; the AWS adapter is Step Functions StartExecution. */
export interface ExecutionStarter {
  start(name: string, input: DistributedPlan): Promise<string>;
}

/**
 * Plan: select the accounts once and hand them to the Distributed Map through S3. Returns the
 * number selected and, when above the threshold, the started execution.
 */
export async function planDistributedRun(
  run: { runId: string; startedAt: Date },
  { selection, managementId }: SelectedAccounts,
  storage: DistributedStorage,
  starter: ExecutionStarter,
  knownScopes?: ReadonlySet<string>,
  departures: PlanDepartures = { errors: [], pending: [] },
  firstRun = false,
): Promise<{ plan: DistributedPlan; executionArn: string }> {
  const accountsKey = `${partsPrefix(storage.prefix, run.runId)}accounts.json`;
  const notSelectedKey = `${partsPrefix(storage.prefix, run.runId)}not-selected.json`;
  await putS3Text(storage.s3, { bucket: storage.bucket, key: accountsKey }, JSON.stringify(selection.selected));
  // What the aggregate needs to tell an account that left the organization from one left out.
  await putS3Text(storage.s3, { bucket: storage.bucket, key: notSelectedKey }, JSON.stringify(selection.notSelected));
  // Where Security Hub may hold findings of ours: the workers read no other scope there (null:
  // no history could tell, read every scope); and whether no run was saved yet (the workers then
  // record no intents: the next run reads everywhere anyway). Always written: a worker may not
  // list the bucket, so a missing key would answer 403, not 404.
  const history: PlanHistory = { scopes: knownScopes ? [...knownScopes] : null, firstRun };
  await putS3Text(storage.s3, { bucket: storage.bucket, key: knownScopesKey(storage.prefix, run.runId) }, JSON.stringify(history));
  // What the plan could not archive of what left the audit: the aggregate reports it and keeps it for the next night.
  await putS3Text(storage.s3, { bucket: storage.bucket, key: departuresKey(storage.prefix, run.runId) }, JSON.stringify(departures));
  const plan: DistributedPlan = {
    runId: run.runId,
    startedAt: run.startedAt.toISOString(),
    bucket: storage.bucket,
    accountsKey,
    notSelectedKey,
    managementId: managementId ?? null,
    listed: selection.listed,
    excluded: selection.excluded,
  };
  return { plan, executionArn: await starter.start(run.runId, plan) };
}

/** The scopes the plan found findings of ours in (absent: the workers read Security Hub everywhere). */
function knownScopesKey(historyPrefix: string, runId: string): string {
  return `${partsPrefix(historyPrefix, runId)}known-scopes.json`;
}

function departuresKey(historyPrefix: string, runId: string): string {
  return `${partsPrefix(historyPrefix, runId)}departures.json`;
}

/**
 * What the plan could not archive (PlanDepartures). When it cannot be read (`unread`), the error
 * says so and the aggregate keeps pending every known scope that left the audit (the next plan tries them again).
 */
async function departuresOfPlan(storage: DistributedStorage, runId: string): Promise<PlanDepartures & { unread?: true }> {
  const key = departuresKey(storage.prefix, runId);
  try {
    const text = await getS3Text(storage.s3, { bucket: storage.bucket, key });
    return text === undefined ? { errors: [], pending: [] } : (JSON.parse(text) as PlanDepartures);
  } catch (error) {
    const message = `the plan's record of findings it could not archive (s3://${storage.bucket}/${key}) could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return { errors: [{ accountId: '-', stage: 'deliver-history', code: 'ReadFailed', message }], pending: [], unread: true };
  }
}

/** What the plan tells the workers of the run history (see planDistributedRun). */
interface PlanHistory {
  scopes: string[] | null;
  firstRun: boolean;
}

/**
 * The plan's known scopes (undefined: read every scope) and whether the history had no run yet;
 * when it cannot be read: every scope, and not a first run (the intents are recorded).
 */
async function historyOfPlan(storage: DistributedStorage, runId: string): Promise<{ knownScopes?: Set<string>; firstRun: boolean }> {
  try {
    const text = await getS3Text(storage.s3, { bucket: storage.bucket, key: knownScopesKey(storage.prefix, runId) });
    const parsed = text === undefined ? null : (JSON.parse(text) as PlanHistory | string[] | null);
    // A plan of an earlier version wrote the scopes alone.
    const { scopes, firstRun } = parsed === null || Array.isArray(parsed) ? { scopes: parsed, firstRun: false } : parsed;
    return { ...(scopes ? { knownScopes: new Set(scopes) } : {}), firstRun: firstRun === true };
  } catch {
    return { firstRun: false };
  }
}

/** Scan worker: one batch of accounts scanned, judged and synced to Security Hub; the part goes to S3. */
export async function scanBatch(
  event: WorkerEvent,
  options: Pick<RunOptions, 'scan' | 'now' | 'deliverBy'>,
  ports: AuditPorts,
  storage: DistributedStorage,
): Promise<{ key: string; accounts: number }> {
  const clock = options.now ?? (() => new Date());
  const selection = { listed: event.Items.length, selected: event.Items, excluded: 0, notSelected: [] };
  const { knownScopes, firstRun } = await historyOfPlan(storage, event.BatchInput.runId);
  // Where this worker imports beyond the known scopes (all of them when none are known) is
  // recorded in the run history first: its part, or the aggregate, may be lost after the import
  // (intents.ts). Not on the history's first run: the next run would read everywhere anyway.
  const intents = firstRun ? undefined : batchIntents(storage, event);
  // Each account judged and synced as soon as it is scanned, as in one process.
  const pipeline = await AuditPipeline.start(ports, { ...options, ...(knownScopes ? { knownScopes } : {}), ...(intents ? { intents } : {}) });
  const scan = await scanSelection(selection, event.BatchInput.managementId ?? undefined, { ...options.scan, onAccountScanned: (part) => pipeline.account(part) }, ports.collect, () => clock().getTime());
  const batch = await pipeline.finish(scan);
  const key = partKey(storage.prefix, event.BatchInput.runId, event.Items);
  // The part outlives the run for days: raw configuration values (they may hold secrets) stay out, as in the report.
  const part: AuditedBatch = { ...batch, scan: { ...batch.scan, clusters: inventoryOf(batch.scan.clusters) } };
  await putS3Text(storage.s3, { bucket: storage.bucket, key }, JSON.stringify(part));
  return { key, accounts: event.Items.length };
}

/**
 * A scan worker's intents, named by its batch as its part is and by this attempt
 * (`batch-<first account>-<accounts>-<random>`): a retried worker must not write over the record
 * of an attempt that imported where the retry does not.
 */
function batchIntents(storage: DistributedStorage, event: WorkerEvent): ScopeIntents {
  // Only written: the worker's role may put these objects, and read or list nothing of the history.
  const backend = { write: (key: string, text: string) => putS3Text(storage.s3, { bucket: storage.bucket, key: `${storage.prefix}${key}` }, text) };
  const { runId, startedAt } = event.BatchInput;
  return intentLogOf(backend, { runId, startedAt }, `batch-${event.Items[0]?.id ?? 'none'}-${event.Items.length}-${randomUUID().slice(0, 8)}`);
}

/** A batch whose worker failed after its retries: its accounts are failed, nothing is archived for them. */
function failedBatch(items: { id: string; name: string; state: string }[], error: string | undefined): AuditedBatch {
  const errors: ScanError[] = items.map((a) => ({ accountId: a.id, stage: 'scan-batch', code: error ?? 'WorkerFailed', message: `the scan worker for this account's batch failed: ${error ?? 'unknown error'}` }));
  const accounts: AccountCheck[] = items.map((a) => ({ accountId: a.id, status: 'failed', reason: `the scan worker of its batch failed (${error ?? 'unknown error'})` }));
  return {
    recheck: { rules: [], regions: 'all', narrowed: false, accounts, scopes: [], skipped: [] },
    archived: [],
    scan: {
      accounts: items,
      clusters: [],
      errors,
      completedScopes: [],
      checks: { accounts, scopes: [] },
      coverage: {
        accounts: { listed: items.length, excluded: 0, scanned: 0, failed: items.length, notReached: 0 },
        regions: { scanned: 0, notEnabled: 0, failed: 0 },
        clusters: { scanned: 0, failed: 0, managedAddon: 0, selfManaged: 0 },
        notes: [],
      },
    },
    findings: [],
    suppressed: [],
    expired: [],
    errors,
    notes: [],
    securityHub: 'disabled',
  };
}

/**
 * Every account the plan listed, as the lifecycle needs them: the workers' accounts as they saw
 * them; a selected account no part speaks of (its part lost) as failed — never as gone from the
 * organization; the accounts the plan did not select, with why.
 */
async function rosterOf(event: AggregateEvent, storage: DistributedStorage, seen: readonly AccountCheck[]): Promise<AccountCheck[]> {
  const read = async <T>(key: string | undefined): Promise<T[]> => {
    const text = key === undefined ? undefined : await getS3Text(storage.s3, { bucket: event.bucket, key });
    return text === undefined ? [] : (JSON.parse(text) as T[]);
  };
  const [selected, notSelected] = await Promise.all([read<Account>(event.accountsKey), read<AccountCheck>(event.notSelectedKey)]);
  const known = new Set(seen.map((a) => a.accountId));
  const lost: AccountCheck[] = selected.filter((a) => !known.has(a.id)).map((a) => ({ accountId: a.id, status: 'failed', reason: 'the part of its scan batch could not be read' }));
  return [...seen, ...lost, ...notSelected];
}

/**
 * Parts read at once by the aggregate: well under its client's 64 sockets (lib/wiring/deliver.ts).
 * The SDK's connection timeout (5 s) counts from the request's creation, the wait for a free socket
 * included: ~400 reads started together at 10,000 accounts waited in the socket pool past it, and
 * the timeouts spent the retry quota at once (standard mode: 500, 10 a timeout) — the aggregate
 * failed, no report that night (measured, `npm run bench -- --distributed --accounts 10000 --regions 17`).
 */
export const PARTS_AT_ONCE = 16;

/**
 * Every part of the run, in the order of `event.parts`, read `atOnce` at a time: a failed batch
 * (the state machine's Catch) or a missing part becomes a failed batch. Throws what S3 throws otherwise.
 */
export async function readParts(event: Pick<AggregateEvent, 'bucket' | 'parts'>, storage: Pick<DistributedStorage, 's3'>, atOnce = PARTS_AT_ONCE): Promise<AuditedBatch[]> {
  const limit = pLimit(atOnce);
  return Promise.all(
    event.parts.map((part) =>
      limit(async (): Promise<AuditedBatch> => {
        if ('failed' in part) return failedBatch(part.Items, part.error);
        const text = await getS3Text(storage.s3, { bucket: event.bucket, key: part.key });
        if (text === undefined) return failedBatch([], `part ${part.key} is missing`);
        return JSON.parse(text) as AuditedBatch;
      }),
    ),
  );
}

/** Aggregate: every part merged into one report, then delta, notification and history as in one process. */
export async function aggregateRun(
  event: AggregateEvent,
  options: Pick<RunOptions, 'notify' | 'now'>,
  ports: Pick<AuditPorts, 'notifier' | 'history' | 'logger' | 'page'>,
  storage: DistributedStorage,
): Promise<RunOutcome> {
  const merged = mergeBatches(await readParts(event, storage));
  // The plan listed the organization; the workers only saw their batches.
  merged.scan.coverage.accounts.listed = event.listed;
  merged.scan.coverage.accounts.excluded = event.excluded;
  merged.recheck.accounts = await rosterOf(event, storage, merged.recheck.accounts);
  // No worker read Security Hub for a failed account (its batch failed, its part is lost, or its
  // worker could not reach it): where the plan knew findings of ours they stay known, or the next
  // night would not read there either (a worker keeps its own failed accounts' too: the same scopes).
  // Nor for an account a narrowed run was not asked for (the workers never saw it): as in one process, its scopes stay known.
  // When the plan could not say where findings are, every audited region of a failed account is.
  const unread = new Set(merged.recheck.accounts.filter((a) => a.status === 'failed' || a.status === 'outside-run').map((a) => a.accountId));
  // The plan's known scopes, read once and only when needed.
  let planHistory: ReturnType<typeof historyOfPlan> | undefined;
  const planKnownScopes = async () => (await (planHistory ??= historyOfPlan({ ...storage, bucket: event.bucket }, event.runId))).knownScopes;
  const known = unread.size ? await planKnownScopes() : undefined;
  const kept = known ? [...known].filter((scope) => unread.has(scope.slice(0, scope.indexOf('/')))) : scopesOfFailedAccounts(merged.scan.checks.scopes, merged.recheck);
  if (kept.length) merged.securityHubPending = [...new Set([...(merged.securityHubPending ?? []), ...kept])].sort();
  // The plan archived what left the audit where the audit role still works (the aggregate assumes no role).
  const { unread: departuresUnread, ...planDepartures } = await departuresOfPlan({ ...storage, bucket: event.bucket }, event.runId);
  if (departuresUnread) {
    // Not knowing what the plan could not archive, every known scope that left the audit where the
    // audit role works stays known: the next plan archives it (again), else it would never be.
    const planKnown = await planKnownScopes();
    const left = planKnown ? departedKnownScopes(planKnown, [], merged.recheck).flatMap(scopesOfDeparture) : [];
    if (left.length) planDepartures.pendingScopes = left;
  }
  return concludeRun(merged, { runId: event.runId, startedAt: new Date(event.startedAt) }, { ...options, planDepartures, planKnownScopes }, ports);
}
