import { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pRetry from 'p-retry';
import { isRetryableAwsError } from '../../retryable.js';
import { s3Uri } from '../s3-object.js';
import { HistoryConflictError, isStreamedBody, PointerHistoryStore } from './store.js';
import type { HistoryBackend, HistoryStoreOptions, StreamedBody } from './store.js';

export interface S3HistoryOptions extends HistoryStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. `fleet-audit/` (a trailing slash is added when missing). */
  prefix?: string;
}

/** Run history in S3: `<prefix>runs/YYYY/MM/DD/<runId>.json`, `<prefix>latest.json`, `<prefix>last-notified.json`. */
export class S3HistoryStore extends PointerHistoryStore {
  constructor(options: S3HistoryOptions) {
    super(s3HistoryBackend(options), options);
  }
}

export function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** S3 answers these when a conditional write's condition does not hold (412), or races another (409). */
const CONFLICTS = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && CONFLICTS.has(error.name);
}

/**
 * A GetObject body's bytes, copied once into a buffer of its announced length (the SDK's own
 * collector holds every chunk and then their concatenation: twice a ~20 MB report). A body that
 * ends short of or past its Content-Length is an error (the read is tried again).
 */
async function bodyBytes(body: unknown, length: number | undefined): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array();
  const chunks = body as AsyncIterable<Uint8Array>;
  if (length === undefined) {
    const all: Uint8Array[] = [];
    for await (const chunk of chunks) all.push(chunk);
    return Buffer.concat(all);
  }
  const bytes = Buffer.allocUnsafe(length);
  let filled = 0;
  for await (const chunk of chunks) {
    if (filled + chunk.byteLength > length) throw new Error(`the body is longer than its Content-Length ${length}`);
    bytes.set(chunk, filled);
    filled += chunk.byteLength;
  }
  if (filled !== length) throw new Error(`the body ended after ${filled} of ${length} bytes`);
  return bytes;
}

/** Tries of a streamed write: the SDK does not retry a request whose body is a stream. */
const STREAMED_WRITE_ATTEMPTS = 3;

/** The fleet page (runs/…/<runId>.html) opens in a browser from its presigned link; the rest is JSON. */
function contentTypeOf(key: string): string {
  return key.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/json';
}

/**
 * PutObject of a body made as it is sent (a report, a fleet page; never conditional), its length
 * announced. The SDK cannot send a stream twice, so a failed try is made again here with the body
 * made anew, if S3 (or the way to it) failed rather than refused: 5xx, throttling, a connection
 * that broke.
 */
function writeStreamed(client: S3Client, where: { bucket: string; key: string }, body: StreamedBody): Promise<string> {
  const put = async () => {
    const response = await client.send(
      new PutObjectCommand({
        Bucket: where.bucket,
        Key: where.key,
        Body: Readable.from(body.chunks()),
        ContentLength: body.length,
        ContentType: contentTypeOf(where.key),
      }),
    );
    return response.ETag ?? '';
  };
  return pRetry(put, { retries: STREAMED_WRITE_ATTEMPTS - 1, factor: 2, minTimeout: 200, randomize: false, shouldRetry: ({ error }) => isRetryableAwsError(error) });
}

/** The history bucket's objects under the prefix, as keys relative to it (also where the run lease lives). */
export function s3HistoryBackend({ client, bucket, prefix = '' }: Pick<S3HistoryOptions, 'client' | 'bucket' | 'prefix'>): HistoryBackend {
  const base = withSlash(prefix);
  const at = (key: string) => ({ bucket, key: `${base}${key}` });
  return {
    async read(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${base}${key}` }));
        return { text: (await response.Body?.transformToString('utf-8')) ?? '', tag: response.ETag ?? '' };
      } catch (error) {
        if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return undefined;
        throw error;
      }
    },
    async readBytes(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${base}${key}` }));
        return await bodyBytes(response.Body, response.ContentLength);
      } catch (error) {
        if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return undefined;
        throw error;
      }
    },
    async write(key, text, condition) {
      if (isStreamedBody(text)) return writeStreamed(client, at(key), text);
      try {
        const response = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${base}${key}`,
            Body: text,
            ContentType: contentTypeOf(key),
            ...(condition?.ifMatch ? { IfMatch: condition.ifMatch } : {}),
            ...(condition?.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          }),
        );
        return response.ETag ?? '';
      } catch (error) {
        // If-Match on a key deleted meanwhile answers NoSuchKey: the object changed all the same.
        if (isConditionFailure(error) || (condition?.ifMatch && error instanceof Error && error.name === 'NoSuchKey')) {
          throw new HistoryConflictError(`${s3Uri(at(key))} changed while this run wrote it`, { cause: error });
        }
        throw error;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: `${base}${prefix}` })) {
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(base.length));
      }
      return keys;
    },
    locate: (key) => s3Uri(at(key)),
  };
}
