import { loadSharedConfigFiles } from '@smithy/core/config';
import { LATEST_POINTER, type HistoryBackend } from '../deliver/history/store.js';
import { forTerminal } from '../escape.js';
import { CouldNotRunError, infrastructureProblem, UsageError } from './errors.js';

/**
 * Checks made before anything is scanned or read: a flag that cannot work ends the command with
 * one line and exit 2 (UsageError), not a stack trace half-way through the run.
 */

/** `--endpoint`: an absolute http(s) URL; the SDK would otherwise fail later on every call with "Invalid URL". */
export function checkEndpoint(endpoint: string | undefined): void {
  if (endpoint === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new UsageError(`--endpoint ${forTerminal(endpoint)}: give a URL with its scheme, e.g. http://127.0.0.1:4566 or https://vpce-example.amazonaws.com`);
  }
}

/** List flags that narrow a run: given empty (`--accounts ''`), they would widen it to everything instead. */
export function checkNotEmpty(flags: Record<string, string | undefined>): void {
  for (const [flag, value] of Object.entries(flags)) {
    if (value !== undefined && value.split(',').every((item) => item.trim() === '')) {
      throw new UsageError(`${flag} is empty: give at least one value, or leave the flag out`);
    }
  }
}

/** Flags that do nothing without another: `{ '--notify': ['--topic-arn', value of --topic-arn] }`. */
export function checkCompanions(given: Record<string, unknown>, needs: Record<string, readonly [companion: string, present: unknown]>): void {
  for (const [flag, [companion, present]] of Object.entries(needs)) {
    if (given[flag] !== undefined && !present) throw new UsageError(`${flag} needs ${companion}`);
  }
}

/**
 * The AWS profile named by AWS_PROFILE exists in ~/.aws/config or ~/.aws/credentials (or the
 * files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name). The SDK only says "Could not load
 * credentials from any providers"; this names the profile. Profiles read as the SDK reads them
 * (@smithy/core's shared-ini loader: `[profile name]` in config, `[name]` in credentials).
 */
export async function checkProfile(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const profile = env.AWS_PROFILE;
  if (!profile) return;
  const files = await loadSharedConfigFiles({ ignoreCache: true });
  if (files.configFile[profile] === undefined && files.credentialsFile[profile] === undefined) {
    const where = [env.AWS_CONFIG_FILE ?? '~/.aws/config', env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'].join(' or ');
    throw new UsageError(`AWS_PROFILE ${forTerminal(profile)}: no such profile in ${where} (\`aws configure list-profiles\` lists them)`);
  }
}

/** S3 error names that mean the bucket itself is wrong, not the caller's access. */
const NO_BUCKET = new Set(['NoSuchBucket', 'InvalidBucketName', 'PermanentRedirect', 'AuthorizationHeaderMalformed']);

/**
 * Reads the history's latest pointer once before the run: a bucket that does not exist (or is in
 * another Region) is bad input, exit 2; no access or no credentials, exit 4 (CouldNotRunError).
 * An empty history is fine (the first run).
 */
export async function checkHistoryBucket(backend: HistoryBackend, bucket: string, region: string, endpoint?: string): Promise<void> {
  try {
    await backend.read(LATEST_POINTER);
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (NO_BUCKET.has(name)) {
      const why = name === 'NoSuchBucket' ? 'no such bucket' : `the bucket is not in ${region} (${name})`;
      throw new UsageError(
        `--history-bucket ${forTerminal(bucket)}: ${why}. Give the stack's HistoryBucket output (aws cloudformation describe-stacks) and its Region with --region`,
        { cause: error },
      );
    }
    const problem = infrastructureProblem(error, endpoint);
    if (problem) throw new CouldNotRunError(problem, { cause: error });
    throw new CouldNotRunError(`--history-bucket ${forTerminal(bucket)}: the run history cannot be read (${name}: ${(error as Error).message})`, { cause: error });
  }
}
