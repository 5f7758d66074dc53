import { S3Client } from '@aws-sdk/client-s3';
import type { CollectLogger } from '../collect/aws.js';
import type { ClientConfig } from '../collect/clients.js';
import type { ScanOptions } from '../collect/scan.js';
import type { AuditConfig } from '../config.js';
import type { ExecutionStarter } from '../distributed/steps.js';
import type { RunLogger } from '../run.js';

/**
 * What every wiring of the auditor shares. The wiring is split by function (scan.ts: the audit
 * and the scan worker; deliver.ts: the audit and the aggregate) so that each Lambda's bundle, and
 * so its IAM role (test/deploy/permissions.ts follows each handler's imports), holds only the AWS
 * calls it makes.
 */

/** Wraps every SDK client of the run (a hook for instrumentation; the Lambda traces per account instead: functions/powertools.ts). */
export type ClientInstrument = <T>(client: T) => T;

export interface WiringOptions {
  /** The simulator or another endpoint; unset = AWS (or AWS_ENDPOINT_URL, which the SDK reads itself). */
  endpoint?: string;
  /** A local directory for run history instead of the S3 bucket (CLI). */
  historyDir?: string;
  /** A local suppressions file instead of SUPPRESSIONS_URI (CLI). */
  suppressionsFile?: string;
  instrument?: ClientInstrument;
  logger?: RunLogger & CollectLogger;
  /** Starts the distributed run instead of Step Functions (local runs of the state machine). */
  starter?: ExecutionStarter;
  /** When the scan must end (epoch ms): calls still in flight then are cut (lib/collect/deadline.ts). */
  deadline?: number;
  /** Traces one unit of work (each account's scan), when tracing is on. */
  trace?: <T>(name: string, work: () => Promise<T>) => Promise<T>;
}

export const identity: ClientInstrument = (client) => client;

/** S3 through a custom endpoint (the simulator, LocalStack) needs path-style addressing. */
export function customEndpointOf(options: Pick<WiringOptions, 'endpoint'>): boolean {
  return Boolean(options.endpoint ?? process.env.AWS_ENDPOINT_URL);
}

/** One S3 client per run for the home region, built the first time it is used. */
export function lazyS3(clientConfig: () => ClientConfig, customEndpoint: boolean, instrument: ClientInstrument): () => S3Client {
  let s3: S3Client | undefined;
  return () => (s3 ??= instrument(new S3Client({ ...clientConfig(), ...(customEndpoint ? { forcePathStyle: true } : {}) })));
}

export function scanOptionsOf(config: AuditConfig, deadline?: number): ScanOptions {
  return {
    partition: config.partition,
    homeRegion: config.homeRegion,
    regions: config.regions,
    roleName: config.roleName,
    sessionName: config.sessionName,
    assumeRoleInManagementAccount: config.assumeRoleInManagementAccount,
    concurrency: config.concurrency,
    perAccountConcurrency: config.perAccountConcurrency,
    ...(config.externalId ? { externalId: config.externalId } : {}),
    ...(config.accounts ? { accounts: config.accounts } : {}),
    ...(config.excludeAccounts ? { excludeAccounts: config.excludeAccounts } : {}),
    ...(config.ous ? { ous: config.ous } : {}),
    ...(config.excludeOus ? { excludeOus: config.excludeOus } : {}),
    ...(deadline === undefined ? {} : { deadline }),
    readDaemonSet: config.readDaemonSet,
  };
}
