import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AccountClient } from '@aws-sdk/client-account';
import { EKSClient } from '@aws-sdk/client-eks';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { createAddonCatalog } from './catalog.js';
import { ClientCache, clientConfig, configuredEndpoint, sharedSdkSettings, type ClientConfig, type ClientSettings, type RetryMode } from './clients.js';
import { createCredentialBroker } from './credentials.js';
import { createEksReader } from './eks.js';
import { createKubernetesReader } from './kubernetes/reader.js';
import { deadlineSignal, DeadlineHandler, withDeadline } from './deadline.js';
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
  /** Wraps every SDK client built here (a hook for instrumentation; unused by the Lambda, which traces per account). */
  instrument?: <T>(client: T) => T;
  /** Per Kubernetes API call, connect + response (default 5000 ms). */
  kubernetesTimeoutMs?: number;
  /**
   * When the scan must end (epoch ms): every Organizations, Account and EKS call still in flight
   * (or waiting to retry) is cut then, and the run goes on to deliver what it has. STS is not cut:
   * delivery still needs the sessions (an AssumeRole in flight is raced in scanAccount).
   */
  deadline?: number;
  /** First backoff of the AssumeRole/ListRegions retries past the SDK's (default 1 s; tests shorten it). */
  gateRetryMinTimeoutMs?: number;
  /** Traces each account's scan as one unit (the Lambda passes an X-Ray subsegment per account). */
  trace?: <T>(name: string, work: () => Promise<T>) => Promise<T>;
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
    // Without it a request past requestTimeout is only logged, and a hung call never ends.
    throwOnRequestTimeout: true,
  });
  const deadline = deadlineSignal(options.deadline);
  const gateRetry = { ...(deadline ? { signal: deadline } : {}), ...(options.gateRetryMinTimeoutMs === undefined ? {} : { minTimeoutMs: options.gateRetryMinTimeoutMs }) };
  const base: ClientSettings = {
    requestHandler,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: options.retryMode ?? 'standard',
    ...(options.endpoint === undefined ? { configured: configuredEndpoint() } : { endpoint: options.endpoint }),
  };
  // Regional STS: its session tokens are valid in opt-in regions too, unlike the global endpoint's.
  // Its settings read from the environment are every other client's (read once, for the run).
  const instrument = options.instrument ?? (<T>(client: T) => client);
  const sts = instrument(new STSClient({ ...clientConfig(base, options.homeRegion, options.callerCredentials), useGlobalEndpoint: false }));
  const settings: ClientSettings = { ...base, shared: sharedSdkSettings(sts.config) };
  options.logger?.debug('collect clients', {
    homeRegion: options.homeRegion,
    maxSockets: options.maxSockets,
    maxAttempts: settings.maxAttempts,
    retryMode: settings.retryMode,
    customEndpoint: options.endpoint !== undefined,
  });

  // The scan's clients: cut at the deadline, at the socket (DeadlineHandler) and at once (withDeadline).
  const scanSettings: ClientSettings = deadline ? { ...settings, requestHandler: new DeadlineHandler(requestHandler, deadline) } : settings;
  const scanClient = <T>(client: T): T => instrument(withDeadline(client, deadline));
  const organizations = scanClient(new OrganizationsClient(clientConfig(scanSettings, options.homeRegion, options.callerCredentials)));
  const clients = new ClientCache();
  const accountClient = (session: AccountSession) =>
    clients.get(session.accountId, options.homeRegion, 'account', () =>
      scanClient(new AccountClient(clientConfig(scanSettings, options.homeRegion, session.credentials))),
    );
  const eksClient = (session: AccountSession, region: string) =>
    clients.get(session.accountId, region, 'eks', () => scanClient(new EKSClient(clientConfig(scanSettings, region, session.credentials))));

  // The EKS token is a presigned STS URL built by hand, not by an SDK client: honour the same
  // endpoint override the SDK would (the simulator), read when the ports are built.
  const stsEndpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;

  return {
    directory: createAccountDirectory(organizations),
    credentials: createCredentialBroker({
      sts,
      partition: options.partition,
      callerCredentials: options.callerCredentials ?? sts.config.credentials,
      retry: gateRetry,
    }),
    regions: createRegionLister(accountClient, gateRetry),
    eks: (session, region) => createEksReader(eksClient(session, region), region),
    // The caller's own session reads the catalog first (granted eks:DescribeAddonVersions for the
    // management account's own scan); each account's session is the fallback.
    catalog: createAddonCatalog(eksClient, { accountId: 'caller', partition: options.partition, credentials: options.callerCredentials ?? sts.config.credentials }),
    kubernetes: (session) =>
      createKubernetesReader({
        session,
        ...(stsEndpoint ? { stsEndpoint } : {}),
        ...(options.kubernetesTimeoutMs === undefined ? {} : { timeoutMs: options.kubernetesTimeoutMs }),
        ...(deadline ? { signal: deadline } : {}),
      }),
    ...(deadline ? { deadline } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    releaseAccount: (accountId) => clients.release(accountId),
    requestHandler,
    clientConfig: (region, credentials) => clientConfig(settings, region, credentials),
    destroy: () => requestHandler.destroy(),
  };
}
