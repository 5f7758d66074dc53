import { BatchImportFindingsCommand, paginateGetFindings } from '@aws-sdk/client-securityhub';
import type { AwsSecurityFinding, GetFindingsCommandInput, SecurityHubClient, SecurityHubClientConfig } from '@aws-sdk/client-securityhub';
import type { CoverageNote, Finding, ScanError } from '../../types.js';
import type { Fate, FindingKey } from '../lifecycle.js';
import { archived, ASFF_LIMITS, cutIdentifier, defaultProductArn, findingFromAsff, GENERATOR_PREFIX, keyOfAsff, toAsff } from './asff.js';
import type { AsffContext } from './asff.js';
import { toBatches } from './batches.js';
import { BATCH_IMPORT_RATE, realClock, TokenBucket } from './pacing.js';
import type { Clock, Rate } from './pacing.js';

/** One account×Region to bring up to date, reached with that account's assumed credentials. */
export interface SecurityHubScope {
  accountId: string;
  region: string;
  partition: string;
  credentials: SecurityHubClientConfig['credentials'];
  /**
   * The fate of each finding of ours ACTIVE there that this run did not observe (lib/deliver/
   * lifecycle.ts): only `resolved` and archivable `departed` ones are archived.
   */
  fate: (finding: FindingKey) => Fate;
}

/** A finding this sync archived, rebuilt from Security Hub, with why. */
export interface ArchivedFinding {
  finding: Finding;
  reason: string;
}

export interface SyncContext {
  now: string;
  productVersion: string;
  /** Extra cluster facts for ASFF Resources (status, tags), by cluster ARN, when the caller has them. */
  clusterDetails?: (clusterArn: string) => Pick<AsffContext, 'clusterStatus' | 'clusterTags'> | undefined;
  /** Aborts every call of the sync (the run must deliver the rest before the Lambda ends). */
  signal?: AbortSignal;
}

export interface FailedImport {
  id: string;
  code: string;
  message: string;
  /** The whole request failed (403, 400): one error in `SyncResult.errors` already reports it. */
  inFailedRequest?: boolean;
}

export interface SyncResult {
  /** Current findings created or updated (ACTIVE). */
  imported: number;
  /** Findings no longer observed, re-imported as ARCHIVED. */
  archived: number;
  /** Those archived findings, as Security Hub held them (what RESOLVED is told from when no run history can be read). */
  archivedFindings: ArchivedFinding[];
  /** Findings not observed but left ACTIVE: not re-checked, outside a narrowed run. */
  kept: number;
  /** Findings of rules this run did not evaluate, left as they were. */
  otherRules: number;
  /** Every finding not imported: still refused after the retries, or in a request that failed. */
  failed: FailedImport[];
  notes: CoverageNote[];
  errors: ScanError[];
}

/** Where findings go: one call per account×Region. */
export interface FindingsSink {
  sync(scope: SecurityHubScope, current: Finding[], ctx: SyncContext): Promise<SyncResult>;
}

/** Builds a Security Hub client in the finding's Region with the member account's credentials. */
export type SecurityHubClientFactory = (region: string, credentials: SecurityHubClientConfig['credentials']) => SecurityHubClient;

export interface SecurityHubSinkOptions {
  clientFactory: SecurityHubClientFactory;
  /** How many more times a finding listed in FailedFindings is sent (default 2). */
  retries?: number;
  rate?: Rate;
  clock?: Clock;
}

/** Security Hub answers this when the account has not enabled it in the Region: a coverage gap, not a failure. */
const NOT_SUBSCRIBED = 'InvalidAccessException';
const STAGE = 'deliver-securityhub';

class NotSubscribed extends Error {
  override name = 'NotSubscribed';
}

/**
 * Keeps an account×Region's findings in Security Hub equal to what the run observed there.
 *
 * BatchImportFindings only accepts findings of the calling account, hence one client per member
 * account and Region, built with the credentials assumed in that account.
 */
export class SecurityHubSink implements FindingsSink {
  private readonly retries: number;
  private readonly rate: Rate;
  private readonly clock: Clock;

  constructor(private readonly options: SecurityHubSinkOptions) {
    this.retries = options.retries ?? 2;
    this.rate = options.rate ?? BATCH_IMPORT_RATE;
    this.clock = options.clock ?? realClock;
  }

  async sync(scope: SecurityHubScope, current: Finding[], ctx: SyncContext): Promise<SyncResult> {
    const result: SyncResult = { imported: 0, archived: 0, archivedFindings: [], kept: 0, otherRules: 0, failed: [], notes: [], errors: [] };
    const client = this.options.clientFactory(scope.region, scope.credentials);
    const inScope = this.keepInScope(scope, current, result);

    let existing: Map<string, AwsSecurityFinding>;
    let returning: Map<string, AwsSecurityFinding>;
    try {
      ({ active: existing, archived: returning } = await readOurs(client, scope, ctx.signal));
    } catch (error) {
      // Without the existing findings an import would reset their FirstObservedAt and CreatedAt,
      // and nothing could be archived: this scope waits for the next run.
      this.recordFailure(scope, error, 'GetFindings', result);
      return result;
    }

    const active = inScope.map((finding) => {
      const id = cutIdentifier(finding.id, ASFF_LIMITS.id);
      // A finding that comes back after it was archived keeps when it was first observed.
      const seen = existing.get(id) ?? returning.get(id);
      return toAsff(finding, {
        now: ctx.now,
        firstObservedAt: seen?.FirstObservedAt ?? ctx.now,
        createdAt: seen?.CreatedAt ?? ctx.now,
        productVersion: ctx.productVersion,
        ...ctx.clusterDetails?.(finding.clusterArn),
      });
    });
    const currentIds = new Set(active.map((f) => f.Id));
    const gone = new Map<string, { asff: AwsSecurityFinding; reason: string }>();
    for (const finding of existing.values()) {
      if (currentIds.has(finding.Id)) continue;
      const fate = this.fateOf(scope, finding);
      if (fate.kind === 'resolved' || (fate.kind === 'departed' && fate.archivable)) gone.set(finding.Id ?? '', { asff: finding, reason: fate.reason });
      else if (fate.kind === 'other-rule') result.otherRules += 1;
      else result.kept += 1;
    }

    try {
      const toArchive = [...gone.values()].map((g) => archived(g.asff, ctx.now));
      const succeeded = await this.importAll(client, scope, [...active, ...toArchive], result, ctx.signal);
      for (const id of succeeded) {
        const archivedOne = gone.get(id);
        if (archivedOne === undefined) {
          result.imported += 1;
          continue;
        }
        result.archived += 1;
        result.archivedFindings.push({ finding: findingFromAsff(archivedOne.asff, scope), reason: archivedOne.reason });
      }
    } catch (error) {
      this.recordFailure(scope, error, 'BatchImportFindings', result);
    }
    return result;
  }

  /** A finding we cannot attribute to a rule and a cluster is left alone, like another rule's. */
  private fateOf(scope: SecurityHubScope, finding: AwsSecurityFinding): Fate {
    const key = keyOfAsff(finding, scope);
    return key === undefined ? { kind: 'other-rule' } : scope.fate(key);
  }

  /**
   * Imports in paced batches, sends again (only) what FailedFindings lists, and returns the ids
   * imported. Everything not imported ends in `result.failed`.
   */
  private async importAll(client: SecurityHubClient, scope: SecurityHubScope, findings: AwsSecurityFinding[], result: SyncResult, signal?: AbortSignal): Promise<string[]> {
    const bucket = new TokenBucket(this.rate, this.clock);
    const succeeded: string[] = [];
    let pending = findings;
    let refused = new Map<string, FailedImport>();
    for (let round = 0; round <= this.retries && pending.length > 0; round += 1) {
      refused = new Map();
      const { batches, tooLarge } = toBatches(pending);
      for (const finding of tooLarge) {
        const id = finding.Id ?? '';
        result.failed.push({ id, code: 'FindingTooLarge', message: `finding ${id} is over the 240 KB BatchImportFindings accepts` });
      }
      for (const batch of batches) {
        await bucket.take();
        const outcome = await this.importBatch(client, scope, batch, result, signal);
        for (const finding of batch) {
          const id = finding.Id ?? '';
          const failure = outcome.get(id);
          if (failure === undefined) succeeded.push(id);
          else if (failure.retry) refused.set(id, failure.failure);
          else result.failed.push(failure.failure);
        }
      }
      pending = pending.filter((f) => refused.has(f.Id ?? ''));
    }
    result.failed.push(...refused.values());
    return succeeded;
  }

  /**
   * Sends one batch; returns what was not imported. FailedFindings entries may be retried; a whole
   * request that failed may not (the SDK already retried throttling and transient errors).
   */
  private async importBatch(
    client: SecurityHubClient,
    scope: SecurityHubScope,
    batch: AwsSecurityFinding[],
    result: SyncResult,
    signal?: AbortSignal,
  ): Promise<Map<string, { failure: FailedImport; retry: boolean }>> {
    const notImported = new Map<string, { failure: FailedImport; retry: boolean }>();
    try {
      const response = await client.send(new BatchImportFindingsCommand({ Findings: batch }), signal ? { abortSignal: signal } : {});
      for (const entry of response.FailedFindings ?? []) {
        const id = entry.Id ?? '';
        notImported.set(id, { failure: { id, code: entry.ErrorCode ?? 'Unknown', message: entry.ErrorMessage ?? '' }, retry: true });
      }
    } catch (error) {
      if (errorName(error) === NOT_SUBSCRIBED) throw new NotSubscribed(errorMessage(error), { cause: error });
      const message = `BatchImportFindings of ${batch.length} findings in ${scope.accountId}/${scope.region} failed: ${errorMessage(error)}`;
      result.errors.push(scanError(scope, errorName(error), message));
      for (const finding of batch) {
        const id = finding.Id ?? '';
        notImported.set(id, { failure: { id, code: errorName(error), message: errorMessage(error), inFailedRequest: true }, retry: false });
      }
    }
    return notImported;
  }

  private keepInScope(scope: SecurityHubScope, current: Finding[], result: SyncResult): Finding[] {
    const inScope = new Map<string, Finding>();
    for (const finding of current) {
      if (finding.accountId === scope.accountId && finding.region === scope.region) inScope.set(finding.id, finding);
      else result.errors.push(scanError(scope, 'OutOfScope', `finding ${finding.id} was passed to the ${scope.accountId}/${scope.region} sync and is not in it`));
    }
    return [...inScope.values()];
  }

  private recordFailure(scope: SecurityHubScope, error: unknown, operation: string, result: SyncResult): void {
    if (error instanceof NotSubscribed || errorName(error) === NOT_SUBSCRIBED) {
      result.notes.push({
        accountId: scope.accountId,
        region: scope.region,
        kind: 'securityhub-not-enabled',
        message: `Security Hub is not enabled in account ${scope.accountId} in ${scope.region}: its findings were not delivered there`,
      });
      return;
    }
    result.errors.push(scanError(scope, errorName(error), `${operation} in ${scope.accountId}/${scope.region} failed: ${errorMessage(error)}`));
  }
}

/** The filters that keep a read to our findings of this account × Region. */
function ourFindings(scope: SecurityHubScope): NonNullable<GetFindingsCommandInput['Filters']> {
  return {
    ProductArn: [{ Value: defaultProductArn(scope.partition, scope.region, scope.accountId), Comparison: 'EQUALS' }],
    GeneratorId: [{ Value: GENERATOR_PREFIX, Comparison: 'PREFIX' }],
    // An administrator account, or an aggregation Region, also sees other accounts' and Regions'
    // findings: without these two filters they would be archived from here, and refused.
    AwsAccountId: [{ Value: scope.accountId, Comparison: 'EQUALS' }],
    Region: [{ Value: scope.region, Comparison: 'EQUALS' }],
  };
}

/**
 * Our findings of the account×Region, ACTIVE and ARCHIVED, by Id, in one paginated read: the
 * archived ones (Security Hub keeps them 30 days) let a finding that returns keep its
 * FirstObservedAt and CreatedAt.
 */
async function readOurs(
  client: SecurityHubClient,
  scope: SecurityHubScope,
  signal?: AbortSignal,
): Promise<{ active: Map<string, AwsSecurityFinding>; archived: Map<string, AwsSecurityFinding> }> {
  const active = new Map<string, AwsSecurityFinding>();
  const archived = new Map<string, AwsSecurityFinding>();
  for await (const page of paginateGetFindings({ client, pageSize: 100 }, { Filters: ourFindings(scope) }, ...(signal ? [{ abortSignal: signal }] : []))) {
    for (const finding of page.Findings ?? []) {
      if (finding.Id === undefined) continue;
      (finding.RecordState === 'ARCHIVED' ? archived : active).set(finding.Id, finding);
    }
  }
  return { active, archived };
}

function scanError(scope: SecurityHubScope, code: string, message: string): ScanError {
  return { accountId: scope.accountId, region: scope.region, stage: STAGE, code, message };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Unknown';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
