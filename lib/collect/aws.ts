import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AccountClient } from '@aws-sdk/client-account';
import { EKSClient } from '@aws-sdk/client-eks';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { createAddonCatalog } from './catalog.js';
import { ClientCache, clientConfig, type ClientConfig, type ClientSettings, type RetryMode } from './clients.js';
import { createCredentialBroker } from './credentials.js';
import { createEksReader } from './eks.js';
import { createKubernetesReader } from './kubernetes/reader.js';
import { createAccountDirectory } from './organizations.js';
import type { AccountSession, CollectPorts } from './ports.js';
import { createRegionLister } from './regions.js';

export interface CollectLogger {
  debug(message: string, ...extra: unknown[]): void;
}

export interface AwsCollectOptions {
  homeRegion: string;
  partition: string;
  /** A custom endpoint for every client (the simulator); unset = AWS, or AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Sockets of the shared agent: size it to concurrency × perAccountConcurrency. */
  maxSockets: number;
  /** SDK attempts per call, retries included (default 8: a big org gets throttled). */
  maxAttempts?: number;
  retryMode?: RetryMode;
  /** The caller's credentials; default: the SDK's default chain. */
  callerCredentials?: AwsCredentialIdentityProvider;
  /** Per-request socket timeout in ms, so a hung connection fails (and is retried) instead of hanging the run. */
  requestTimeoutMs?: number;
  logger?: CollectLogger;
  /** Wraps every SDK client built here (the Lambda passes Tracer.captureAWSv3Client). */
  instrument?: <T>(client: T) => T;
  /** Per Kubernetes API call, connect + response (default 5000 ms). */
  kubernetesTimeoutMs?: number;
}

export interface AwsCollectPorts extends CollectPorts {
  /** The shared handler, for delivery clients to reuse the same sockets. */
  requestHandler: NodeHttpHandler;
  /** Constructor input for any other SDK client of the run (same handler, retries, endpoint). */
  clientConfig(region: string, credentials?: AwsCredentialIdentityProvider): ClientConfig;
  /** Closes the sockets; call once at the very end of a CLI run. */
  destroy(): void;
}

const DEFAULT_MAX_ATTEMPTS = 8;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 5_000;

export function createAwsCollectPorts(options: AwsCollectOptions): AwsCollectPorts {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  const requestHandler = new NodeHttpHandler({
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
  const settings: ClientSettings = {
    requestHandler,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: options.retryMode ?? 'standard',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
  options.logger?.debug('collect clients', {
    homeRegion: options.homeRegion,
    maxSockets: options.maxSockets,
    maxAttempts: settings.maxAttempts,
    retryMode: settings.retryMode,
    customEndpoint: options.endpoint !== undefined,
  });

  const instrument = options.instrument ?? (<T>(client: T) => client);
  const home = clientConfig(settings, options.homeRegion, options.callerCredentials);
  const organizations = instrument(new OrganizationsClient(home));
  // Regional STS: its session tokens are valid in opt-in regions too, unlike the global endpoint's.
  const sts = instrument(new STSClient({ ...home, useGlobalEndpoint: false }));
  const clients = new ClientCache();
  const accountClient = (session: AccountSession) =>
    clients.get(session.accountId, options.homeRegion, 'account', () =>
      instrument(new AccountClient(clientConfig(settings, options.homeRegion, session.credentials))),
    );
  const eksClient = (session: AccountSession, region: string) =>
    clients.get(session.accountId, region, 'eks', () => instrument(new EKSClient(clientConfig(settings, region, session.credentials))));

  // The EKS token is a presigned STS URL built by hand, not by an SDK client: honour the same
  // endpoint override the SDK would (the simulator), read when the ports are built.
  const stsEndpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;

  return {
    directory: createAccountDirectory(organizations),
    credentials: createCredentialBroker({
      sts,
      partition: options.partition,
      callerCredentials: options.callerCredentials ?? sts.config.credentials,
    }),
    regions: createRegionLister(accountClient),
    eks: (session, region) => createEksReader(eksClient(session, region), region),
    catalog: createAddonCatalog(eksClient),
    kubernetes: (session) =>
      createKubernetesReader({
        session,
        ...(stsEndpoint ? { stsEndpoint } : {}),
        ...(options.kubernetesTimeoutMs === undefined ? {} : { timeoutMs: options.kubernetesTimeoutMs }),
      }),
    releaseAccount: (accountId) => clients.release(accountId),
    requestHandler,
    clientConfig: (region, credentials) => clientConfig(settings, region, credentials),
    destroy: () => requestHandler.destroy(),
  };
}
