import type { ClientInstrument } from '../wiring.js';

/**
 * The caller's credentials expiring mid-run (an SSO session's hour ran out): every AssumeRole
 * from then on answers ExpiredToken, and each account would become one more error record of the
 * same cause. The first such answer from a client that signs with the caller's own credentials
 * (STS, Organizations) stops the run instead: every later call of every client fails at once,
 * without reaching AWS, and the CLI ends with one line and a hint (exit 4).
 */

/** AWS error names for credentials that have expired (STS, Organizations, the SDK's signer). */
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);

/** The clients that sign with the caller's credentials; member accounts' clients use AssumeRole sessions. */
const CALLER_CLIENTS = new Set(['STSClient', 'OrganizationsClient']);

interface Middlewared {
  middlewareStack: {
    add: (
      middleware: (next: (args: unknown) => Promise<unknown>, context: { clientName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ) => void;
  };
}

export interface CredentialExpiryWatch {
  /** Pass as the wiring's `instrument`: adds the watch to every SDK client of the run. */
  instrument: ClientInstrument;
  /** The first ExpiredToken error from a caller's client, once seen. */
  readonly expired: Error | undefined;
}

export function watchCredentialExpiry(): CredentialExpiryWatch {
  let expired: Error | undefined;
  const instrument: ClientInstrument = (client) => {
    const stack = (client as Partial<Middlewared>).middlewareStack;
    stack?.add(
      (next, context) => async (args) => {
        if (expired) throw expired;
        try {
          return await next(args);
        } catch (error) {
          if (error instanceof Error && EXPIRED.has(error.name) && CALLER_CLIENTS.has(context.clientName ?? '')) expired ??= error;
          throw error;
        }
      },
      { step: 'initialize', name: 'fleetAuditCredentialExpiry', override: true },
    );
    return client;
  };
  return {
    instrument,
    get expired() {
      return expired;
    },
  };
}
