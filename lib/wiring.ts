import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AuditConfig } from './config.js';
import type { HistoryBackend } from './deliver/history/store.js';
import type { DistributedStorage, ExecutionStarter } from './distributed/steps.js';
import type { Rule } from './evaluate/rule.js';
import type { AuditPorts } from './run.js';
import { customEndpointOf, identity, lazyS3, type WiringOptions } from './wiring/common.js';
import { wireDeliveryPorts } from './wiring/deliver.js';
import { wireScanPorts, type ScanPorts } from './wiring/scan.js';

export { scanOptionsOf, type ClientInstrument, type WiringOptions } from './wiring/common.js';

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
  /** Where the run history lives: the run lease is taken there (one run at a time). */
  historyBackend?: HistoryBackend;
  /** The history bucket, where a distributed run keeps its plan and parts. */
  storage?: DistributedStorage;
  starter?: ExecutionStarter;
  collect: ScanPorts['collect'];
  destroy(): void;
}

/**
 * Every AWS port of a whole run in one process (the audit Lambda, the CLI): the scan's
 * (wiring/scan.ts), the delivery's (wiring/deliver.ts) over the scan's HTTP handler, and the
 * state machine that takes over a large organization.
 */
export async function wireAwsPorts(config: AuditConfig, rules: readonly Rule[], options: WiringOptions = {}): Promise<WiredPorts> {
  const scan = await wireScanPorts(config, rules, options);
  const instrument = options.instrument ?? identity;
  const clientConfig = (region: string) => scan.collect.clientConfig(region);
  const homeS3 = scan.storage ? () => scan.storage!.s3 : lazyS3(() => clientConfig(config.homeRegion), customEndpointOf(options), instrument);
  const starter =
    options.starter ??
    (config.stateMachineArn
      ? stepFunctionsStarter(instrument(new SFNClient(clientConfig(config.stateMachineArn.split(':')[3] ?? config.homeRegion))), config.stateMachineArn)
      : undefined);
  return {
    ...scan,
    ...wireDeliveryPorts(config, { clientConfig, homeS3, instrument, rules }, options),
    ...(config.stateMachineArn && starter ? { starter } : {}),
  };
}
