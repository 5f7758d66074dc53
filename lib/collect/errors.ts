import type { ScanError, ScanStage } from '../types.js';

/** The organization's accounts (or an OU filter) could not be listed: the only fatal collect error. */
export class AccountListingError extends Error {
  readonly stage: 'list-accounts' | 'list-ou';
  constructor(message: string, options: { cause?: unknown; stage?: 'list-accounts' | 'list-ou' } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AccountListingError';
    this.stage = options.stage ?? 'list-accounts';
  }
}

/** The audit role of an account could not be assumed. */
export class AssumeRoleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AssumeRoleError';
  }
}

/** The caller's own credentials were to be used for an account they do not belong to. */
export class CallerAccountMismatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CallerAccountMismatchError';
  }
}

/** An AWS response parsed but lacks a field the scan needs. */
export class MalformedResponseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedResponseError';
  }
}

/** A failure tagged with the scan stage where it happened, so one catch can record it. */
export class StageError extends Error {
  readonly stage: ScanStage;
  constructor(stage: ScanStage, options: { cause: unknown }) {
    super(`${stage} failed: ${errorMessage(options.cause)}`, options);
    this.name = 'StageError';
    this.stage = stage;
  }
}

/** Runs a call and tags its failure with the stage. */
export async function atStage<T>(stage: ScanStage, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof StageError ? error : new StageError(stage, { cause: error });
  }
}

const MAX_MESSAGE = 300;

/** The AWS error name under our wrappers (AccessDenied, ThrottlingException, ...). */
export function errorCode(error: unknown): string {
  let current = error;
  while (current instanceof Error && isWrapper(current) && current.cause !== undefined) {
    current = current.cause;
  }
  if (!(current instanceof Error)) return 'UnknownError';
  // Every call the scan aborts is aborted at the run deadline (lib/collect/deadline.ts).
  if (current.name === 'AbortError') return 'DeadlineReached';
  // The SDK reports an unparseable body as a bare SyntaxError with this phrase in its message.
  if (current.message.includes('Deserialization error')) return 'DeserializationError';
  return current.name;
}

/** Our wrappers add context; the code a user acts on is the AWS error's name beneath them. */
function isWrapper(error: Error): boolean {
  return error instanceof StageError || error instanceof AssumeRoleError;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `Name: message`, for wrapping an error into one of ours. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A short, single-line message without anything that looks like a credential: access key ids
 * and long base64 runs (session tokens, signatures) are masked.
 */
export function safeMessage(error: unknown): string {
  const firstLine = (error instanceof StageError ? errorMessage(error.cause) : errorMessage(error)).split('\n')[0] ?? '';
  const masked = firstLine
    .replace(/\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, '[key-id]')
    .replace(/[A-Za-z0-9+/=]{40,}/g, '[redacted]');
  return masked.length > MAX_MESSAGE ? `${masked.slice(0, MAX_MESSAGE - 1)}…` : masked;
}

export function toScanError(
  error: unknown,
  where: { accountId: string; region?: string; cluster?: string; stage: ScanStage },
): ScanError {
  const stage = error instanceof StageError ? error.stage : where.stage;
  return {
    accountId: where.accountId,
    ...(where.region === undefined ? {} : { region: where.region }),
    ...(where.cluster === undefined ? {} : { cluster: where.cluster }),
    stage,
    code: errorCode(error),
    message: safeMessage(error),
  };
}

/**
 * Errors EKS gives in a region that is not enabled for the account: the regional service does
 * not know the session token.
 */
const REGION_NOT_ENABLED_CODES = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'OptInRequired',
]);

export function looksLikeRegionNotEnabled(error: unknown): boolean {
  return REGION_NOT_ENABLED_CODES.has(errorCode(error));
}
