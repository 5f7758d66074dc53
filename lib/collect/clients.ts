import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { STSClientResolvedConfig } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { NodeHttpHandler } from '@smithy/node-http-handler';

export type RetryMode = 'adaptive' | 'standard';

/**
 * Settings every client reads from the environment and the shared config file (AWS_USE_FIPS_ENDPOINT,
 * use_dualstack_endpoint, AWS_DEFAULTS_MODE, ...), as the SDK's own memoized providers of one
 * client of the run. A client built without them resolves each again, through a chain that throws
 * an error per source it does not find: with a client per account × region × service, that was a
 * tenth of the run's CPU. Same values, read once.
 */
export type SharedSdkSettings = Pick<STSClientResolvedConfig, 'useFipsEndpoint' | 'useDualstackEndpoint' | 'defaultsMode' | 'userAgentAppId' | 'authSchemePreference'>;

/** The shared settings of a client built by this run (any service: none of them is service-specific). */
export function sharedSdkSettings(config: SharedSdkSettings): SharedSdkSettings {
  const { useFipsEndpoint, useDualstackEndpoint, defaultsMode, userAgentAppId, authSchemePreference } = config;
  return { useFipsEndpoint, useDualstackEndpoint, defaultsMode, userAgentAppId, authSchemePreference };
}

/**
 * The endpoint every client would find configured, decided once for the run when it can be
 * decided without the SDK: a client left to find it itself reads AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
 * AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL and the shared config file again, through a chain
 * that throws an error per source it does not find (3 % of a large run's CPU).
 * - nothing configured anywhere (a Lambda): `ignoreConfiguredEndpointUrls`, which changes nothing;
 * - only AWS_ENDPOINT_URL: that endpoint, as the SDK would use it;
 * - anything else (a per-service variable, `endpoint_url` or `services` in the config file): `{}`,
 *   the SDK decides per client, as it always did.
 */
export function configuredEndpoint(env: NodeJS.ProcessEnv = process.env, readConfig: (path: string) => string = (path) => readFileSync(path, 'utf8')): { ignoreConfiguredEndpointUrls?: true; endpoint?: string } {
  if (Object.keys(env).some((name) => name.startsWith('AWS_ENDPOINT_URL_') || name === 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')) return {};
  let config = '';
  try {
    config = readConfig(env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config'));
  } catch {
    // No config file: nothing configured there.
  }
  if (/endpoint_url|ignore_configured_endpoint_urls|^\s*\[\s*services\b/m.test(config)) return {};
  if (env.AWS_ENDPOINT_URL) return { endpoint: env.AWS_ENDPOINT_URL };
  return { ignoreConfiguredEndpointUrls: true };
}

/** What every SDK client of the run shares: one HTTP handler (one agent pool) and one retry policy. */
export interface ClientSettings {
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
  retryMode: RetryMode;
  /** Only when set: leaving it out lets the SDK honour AWS_ENDPOINT_URL by itself. */
  endpoint?: string;
  shared?: SharedSdkSettings;
  /** When `endpoint` is not set: what configuredEndpoint() decided for the run. */
  configured?: ReturnType<typeof configuredEndpoint>;
}

export interface ClientConfig extends Partial<SharedSdkSettings> {
  region: string;
  ignoreConfiguredEndpointUrls?: boolean;
  credentials?: AwsCredentialIdentityProvider;
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
  retryMode: RetryMode;
  endpoint?: string;
}

/** The constructor input for any SDK v3 client; credentials omitted = the SDK's default chain. */
export function clientConfig(
  settings: ClientSettings,
  region: string,
  credentials?: AwsCredentialIdentityProvider,
): ClientConfig {
  return {
    ...settings.shared,
    region,
    requestHandler: settings.requestHandler,
    maxAttempts: settings.maxAttempts,
    retryMode: settings.retryMode,
    ...(credentials === undefined ? {} : { credentials }),
    ...(settings.endpoint === undefined ? settings.configured : { endpoint: settings.endpoint }),
  };
}

/**
 * Clients per account × region × service, built once and kept until the account is released:
 * a client weighs ~15 KB, so keeping 5,000 accounts × 17 regions of them would not stay flat.
 */
export class ClientCache {
  private readonly byAccount = new Map<string, Map<string, unknown>>();

  get<T>(accountId: string, region: string, service: string, create: () => T): T {
    let clients = this.byAccount.get(accountId);
    if (!clients) {
      clients = new Map();
      this.byAccount.set(accountId, clients);
    }
    const key = `${service}|${region}`;
    let client = clients.get(key) as T | undefined;
    if (client === undefined) {
      client = create();
      clients.set(key, client);
    }
    return client;
  }

  /** Drops an account's clients (never destroy() them: that would close the shared handler). */
  release(accountId: string): void {
    this.byAccount.delete(accountId);
  }

  get size(): number {
    let n = 0;
    for (const clients of this.byAccount.values()) n += clients.size;
    return n;
  }
}
