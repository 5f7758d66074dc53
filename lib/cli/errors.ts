/** Bad input from the command line or a file it names: exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The command could not run (credentials, network, access): exit 4 with this one line, no stack trace. */
export class CouldNotRunError extends Error {
  override readonly name = 'CouldNotRunError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The CLI's exit codes (README "Exit codes"). When several apply, the lowest non-zero one wins
 * for 1 and 3: findings at the threshold are certain whatever else was missed, so a CI gate on
 * severity never mistakes them for an incomplete run. 2 and 4 end the command before any report.
 */
export const EXIT = {
  /** The run was complete and no finding reached --fail-on (or no --fail-on was given). */
  ok: 0,
  /** A finding at or above --fail-on. */
  findings: 1,
  /** Bad input: a flag, a file it names, an output path; nothing was scanned. */
  usage: 2,
  /** The report was written, but the audit was partial (an account, region or cluster failed or was not reached) or a delivery failed. */
  incomplete: 3,
  /** Could not run: no credentials, expired credentials or SSO session, an unreachable endpoint, no access to Organizations. */
  failed: 4,
} as const;

/** Runs `fn`, turning the given input errors (a bad rule file, a bad suppressions file) into usage errors: exit 2. */
export async function asUsageError<T>(fn: () => Promise<T>, inputErrors: readonly (new (...args: never[]) => Error)[]): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (inputErrors.some((type) => error instanceof type)) throw new UsageError((error as Error).message, { cause: error });
    throw error;
  }
}

/** Node's codes for a connection that never got an answer (node:net, node:dns). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** AWS error names that mean the credentials themselves were refused or have expired. */
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const REFUSED = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidSignatureException']);

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: unknown;
}

/** The error and every `cause` beneath it (our wrappers add context over the SDK's error). */
function chain(error: unknown): ErrorLike[] {
  const links: ErrorLike[] = [];
  for (let current = error; current instanceof Error && links.length < 10; current = (current as ErrorLike).cause) links.push(current as ErrorLike);
  return links;
}

const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0]!.trim();

/**
 * Why the CLI could not talk to AWS, as one line with what to do, or undefined when `error` is
 * not about credentials, the network or access to Organizations (a bug keeps its stack trace).
 * Facts from the SDK: a missing chain throws CredentialsProviderError ("Could not load
 * credentials from any providers"); an expired SSO session says "aws sso login" (credential and
 * token providers); an unreachable endpoint is Node's system error (ECONNREFUSED, ENOTFOUND, ...).
 */
export function infrastructureProblem(error: unknown, endpoint?: string): string | undefined {
  const links = chain(error);
  const names = links.map((e) => e.name ?? '');
  const deepest = links.at(-1);
  const detail = firstLine(deepest?.message);
  if (links.some((e) => /sso/i.test(e.message ?? '') && /expired|invalid|refresh/i.test(e.message ?? ''))) {
    return `the AWS SSO session has expired (${detail}). Run \`aws sso login\` (with --profile, or the AWS_PROFILE you use), then retry.`;
  }
  if (names.includes('CredentialsProviderError') || names.includes('TokenProviderError')) {
    return `no AWS credentials (${detail}). Set AWS_PROFILE to a profile that can read the organization, or run \`aws sso login\` for an SSO profile.`;
  }
  if (names.some((n) => EXPIRED.has(n))) {
    return `the AWS credentials have expired (${detail}). Refresh them: \`aws sso login\` for an SSO profile, or new keys; AWS_PROFILE picks the profile.`;
  }
  if (names.some((n) => REFUSED.has(n))) {
    return `AWS refused the credentials (${detail}). Check AWS_PROFILE (or the AWS_ACCESS_KEY_ID in your environment).`;
  }
  const network = links.find((e) => NETWORK_CODES.has(e.code ?? ''));
  if (network) {
    const where = endpoint ?? process.env.AWS_ENDPOINT_URL;
    return `cannot reach AWS${where ? ` at ${where}` : ''} (${network.code}: ${firstLine(network.message)}). Check the network, a proxy, and --endpoint or AWS_ENDPOINT_URL.`;
  }
  if (names.includes('AWSOrganizationsNotInUseException')) {
    return `this account is not in an AWS Organization (${detail}). Use credentials of the management account or of a delegated administrator (AWS_PROFILE).`;
  }
  if (names.some((n) => /^AccessDenied/.test(n))) {
    return `access denied (${detail}). Run from the management account or an Organizations delegated administrator (AWS_PROFILE), with the permissions in the README.`;
  }
  if (names.includes('AccountListingError') && links.some((e) => e.$metadata !== undefined)) return `${firstLine(links[0]?.message)}.`;
  return undefined;
}
