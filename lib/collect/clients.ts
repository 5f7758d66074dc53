import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { NodeHttpHandler } from '@smithy/node-http-handler';

export type RetryMode = 'adaptive' | 'standard';

/** What every SDK client of the run shares: one HTTP handler (one agent pool) and one retry policy. */
export interface ClientSettings {
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
  retryMode: RetryMode;
  /** Only when set: leaving it out lets the SDK honour AWS_ENDPOINT_URL by itself. */
  endpoint?: string;
}

export interface ClientConfig {
  region: string;
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
    region,
    requestHandler: settings.requestHandler,
    maxAttempts: settings.maxAttempts,
    retryMode: settings.retryMode,
    ...(credentials === undefined ? {} : { credentials }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
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
