import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { createAwsCollectPorts, type AwsCollectPorts } from '../collect/aws.js';
import type { AuditConfig } from '../config.js';
import { SecurityHubSink } from '../deliver/securityhub/sink.js';
import { loadSuppressions } from '../deliver/suppressions.js';
import type { DistributedStorage } from '../distributed/steps.js';
import type { Rule } from '../evaluate/rule.js';
import type { AuditPorts } from '../run.js';
import { customEndpointOf, identity, lazyS3, type WiringOptions } from './common.js';

/** What scanning needs (the audit and the scan worker): collect, suppressions, Security Hub. */
export interface ScanPorts extends Pick<AuditPorts, 'collect' | 'rules' | 'suppressions' | 'findings' | 'logger'> {
  collect: AwsCollectPorts;
  /** The history bucket, where a distributed run keeps its plan and parts. */
  storage?: DistributedStorage;
  destroy(): void;
}

/**
 * The scan's AWS ports, all over one HTTP handler sized to the scan's concurrency. Nothing here is
 * built at module scope: each run (invocation) wires its own and destroys it at the end.
 */
export async function wireScanPorts(config: AuditConfig, rules: readonly Rule[], options: WiringOptions = {}): Promise<ScanPorts> {
  const collect = createAwsCollectPorts({
    homeRegion: config.homeRegion,
    partition: config.partition,
    maxSockets: Math.min(1024, config.concurrency * config.perAccountConcurrency + 16),
    retryMode: config.retryMode,
    maxAttempts: config.maxAttempts,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.instrument ? { instrument: options.instrument } : {}),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    ...(options.trace ? { trace: options.trace } : {}),
  });
  const instrument = options.instrument ?? identity;
  const homeS3 = lazyS3(() => collect.clientConfig(config.homeRegion), customEndpointOf(options), instrument);

  const suppressionsSource = options.suppressionsFile ?? config.suppressionsUri;
  const suppressions = suppressionsSource ? await loadSuppressions(suppressionsSource, { s3: homeS3() }, { ruleIds: rules.map((r) => r.id) }) : [];

  return {
    collect,
    rules,
    suppressions,
    ...(config.historyBucket ? { storage: { s3: homeS3(), bucket: config.historyBucket, prefix: config.historyPrefix } } : {}),
    ...(config.securityHub
      ? {
          findings: new SecurityHubSink({
            clientFactory: (region, credentials) =>
              instrument(new SecurityHubClient({ ...collect.clientConfig(region), ...(credentials ? { credentials } : {}) })),
          }),
        }
      : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    destroy: () => collect.destroy(),
  };
}
