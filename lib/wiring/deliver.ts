import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { clientConfig, type ClientConfig } from '../collect/clients.js';
import type { AuditConfig } from '../config.js';
import { directoryHistoryBackend } from '../deliver/history/local-store.js';
import { s3HistoryBackend } from '../deliver/history/s3-store.js';
import { PointerHistoryStore, type HistoryBackend } from '../deliver/history/store.js';
import { SnsNotifier } from '../deliver/notify/sns-notifier.js';
import type { DistributedStorage } from '../distributed/steps.js';
import type { AuditPorts } from '../run.js';
import { customEndpointOf, identity, lazyS3, type WiringOptions } from './common.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Rule } from '../evaluate/rule.js';
import { s3FleetPage } from '../report/html/publish.js';

/**
 * What concluding a run needs (the audit, the aggregate, the CLI): the notification and the
 * history, and where the history lives (the run lease is taken there: one run at a time).
 */
export type DeliveryPorts = Pick<AuditPorts, 'notifier' | 'history' | 'page'> & { historyBackend?: HistoryBackend };

/** The topic's region is in its ARN; the history bucket is the home region's. */
export function wireDeliveryPorts(
  config: AuditConfig,
  deps: { clientConfig: (region: string) => ClientConfig; homeS3: () => S3Client; instrument?: WiringOptions['instrument']; rules?: readonly Rule[] },
  options: Pick<WiringOptions, 'historyDir'> = {},
): DeliveryPorts {
  const instrument = deps.instrument ?? identity;
  const historyBackend = options.historyDir
    ? directoryHistoryBackend(options.historyDir)
    : config.historyBucket
      ? s3HistoryBackend({ client: deps.homeS3(), bucket: config.historyBucket, prefix: config.historyPrefix })
      : undefined;
  const history: AuditPorts['history'] = historyBackend ? (onError) => new PointerHistoryStore(historyBackend, { onError }) : undefined;
  // The fleet page goes beside each report in the stack's history bucket (not in a CLI's --history-dir).
  const page =
    historyBackend && !options.historyDir && config.historyBucket
      ? s3FleetPage({
          client: deps.homeS3(),
          bucket: config.historyBucket,
          prefix: config.historyPrefix,
          region: config.homeRegion,
          partition: config.partition,
          backend: historyBackend,
          presign: config.reportPresign,
          ...(deps.rules ? { rules: deps.rules } : {}),
        })
      : undefined;
  return {
    ...(page ? { page } : {}),
    ...(config.topicArn
      ? { notifier: new SnsNotifier(instrument(new SNSClient(deps.clientConfig(config.topicArn.split(':')[3] ?? config.homeRegion))), config.topicArn) }
      : {}),
    ...(history ? { history, historyBackend } : {}),
  };
}

const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** The aggregate step: delivery and the parts in the history bucket, over a handler of its own (it scans nothing). */
export function wireAggregatePorts(config: AuditConfig, options: WiringOptions = {}, rules?: readonly Rule[]): DeliveryPorts & { storage?: DistributedStorage; destroy(): void } {
  const agentOptions = { keepAlive: true, maxSockets: 64 };
  const requestHandler = new NodeHttpHandler({
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  });
  const settings = { requestHandler, maxAttempts: config.maxAttempts, retryMode: config.retryMode, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
  const instrument = options.instrument ?? identity;
  const homeS3 = lazyS3(() => clientConfig(settings, config.homeRegion), customEndpointOf(options), instrument);
  return {
    ...wireDeliveryPorts(config, { clientConfig: (region) => clientConfig(settings, region), homeS3, instrument, ...(rules ? { rules } : {}) }),
    ...(config.historyBucket ? { storage: { s3: homeS3(), bucket: config.historyBucket, prefix: config.historyPrefix } } : {}),
    destroy: () => requestHandler.destroy(),
  };
}
