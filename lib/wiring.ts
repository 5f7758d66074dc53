import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { createAwsCollectPorts, type AwsCollectPorts, type CollectLogger } from './collect/aws.js';
import type { ScanOptions } from './collect/scan.js';
import type { AuditConfig } from './config.js';
import { LocalHistoryStore } from './deliver/history/local-store.js';
import { S3HistoryStore } from './deliver/history/s3-store.js';
import { SnsNotifier } from './deliver/notify/sns-notifier.js';
import { SecurityHubSink } from './deliver/securityhub/sink.js';
import { loadSuppressions } from './deliver/suppressions.js';
import type { DistributedStorage, ExecutionStarter } from './distributed/steps.js';
import type { Rule } from './evaluate/rule.js';
import type { AuditPorts, RunLogger } from './run.js';

/** Makes every SDK client of the run traced (the Lambda passes Tracer.captureAWSv3Client). */
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
}

/** S3 through a custom endpoint (the simulator, LocalStack) needs path-style addressing. */
function s3Client(collect: AwsCollectPorts, region: string, customEndpoint: boolean): S3Client {
  return new S3Client({ ...collect.clientConfig(region), ...(customEndpoint ? { forcePathStyle: true } : {}) });
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

/**
 * The AWS ports of one run, all over one HTTP handler sized to the scan's concurrency. Nothing
 * here is built at module scope: each run (invocation) wires its own and destroys it at the end.
 */
/** Step Functions StartExecution, named after the run so a retried invoke cannot start it twice. */
export function stepFunctionsStarter(client: SFNClient, stateMachineArn: string): ExecutionStarter {
  return {
    async start(name, input) {
      const out = await client.send(new StartExecutionCommand({ stateMachineArn, name: name.slice(0, 80), input: JSON.stringify(input) }));
      return out.executionArn ?? '';
    },
  };
}

export interface WiredPorts extends AuditPorts {
  /** The history bucket, where a distributed run keeps its plan and parts. */
  storage?: DistributedStorage;
  starter?: ExecutionStarter;
  collect: AwsCollectPorts;
  destroy(): void;
}

export async function wireAwsPorts(config: AuditConfig, rules: readonly Rule[], options: WiringOptions = {}): Promise<WiredPorts> {
  const customEndpoint = Boolean(options.endpoint ?? process.env.AWS_ENDPOINT_URL);
  const collect = createAwsCollectPorts({
    homeRegion: config.homeRegion,
    partition: config.partition,
    maxSockets: Math.min(1024, config.concurrency * config.perAccountConcurrency + 16),
    retryMode: config.retryMode,
    maxAttempts: config.maxAttempts,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.instrument ? { instrument: options.instrument } : {}),
  });
  const instrument: ClientInstrument = options.instrument ?? ((client) => client);
  // One S3 client for the run's suppressions, history and distributed parts (built only if used).
  let s3: S3Client | undefined;
  const homeS3 = () => (s3 ??= instrument(s3Client(collect, config.homeRegion, customEndpoint)));

  const suppressionsSource = options.suppressionsFile ?? config.suppressionsUri;
  const suppressions = suppressionsSource ? await loadSuppressions(suppressionsSource, { s3: homeS3() }, { ruleIds: rules.map((r) => r.id) }) : [];

  const history = options.historyDir
    ? (onError: Parameters<NonNullable<AuditPorts['history']>>[0]) => new LocalHistoryStore(options.historyDir!, { onError })
    : config.historyBucket
      ? (onError: Parameters<NonNullable<AuditPorts['history']>>[0]) =>
          new S3HistoryStore({ client: homeS3(), bucket: config.historyBucket!, prefix: config.historyPrefix, onError })
      : undefined;

  return {
    collect,
    rules,
    suppressions,
    ...(config.historyBucket
      ? { storage: { s3: homeS3(), bucket: config.historyBucket, prefix: config.historyPrefix } }
      : {}),
    ...(config.stateMachineArn && options.starter ? { starter: options.starter } : {}),
    ...(config.stateMachineArn && !options.starter
      ? { starter: stepFunctionsStarter(instrument(new SFNClient(collect.clientConfig(config.stateMachineArn.split(':')[3] ?? config.homeRegion))), config.stateMachineArn) }
      : {}),
    ...(config.securityHub
      ? {
          findings: new SecurityHubSink({
            clientFactory: (region, credentials) =>
              instrument(new SecurityHubClient({ ...collect.clientConfig(region), ...(credentials ? { credentials } : {}) })),
          }),
        }
      : {}),
    ...(config.topicArn ? { notifier: new SnsNotifier(instrument(new SNSClient(collect.clientConfig(config.topicArn.split(":")[3] ?? config.homeRegion))), config.topicArn) } : {}),
    ...(history ? { history } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    destroy: () => collect.destroy(),
  };
}
