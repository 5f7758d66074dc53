import type { S3Client } from '@aws-sdk/client-s3';
import { getS3Text, putS3Text, s3Uri } from '../s3-object.js';
import { PointerHistoryStore } from './store.js';
import type { HistoryBackend, HistoryStoreOptions } from './store.js';

export interface S3HistoryOptions extends HistoryStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. `fleet-audit/` (a trailing slash is added when missing). */
  prefix?: string;
}

/** Run history in S3: `<prefix>runs/YYYY/MM/DD/<runId>.json`, `<prefix>latest.json`, `<prefix>last-notified.json`. */
export class S3HistoryStore extends PointerHistoryStore {
  constructor(options: S3HistoryOptions) {
    super(s3Backend(options), options);
  }
}

function s3Backend({ client, bucket, prefix = '' }: S3HistoryOptions): HistoryBackend {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const at = (key: string) => ({ bucket, key: `${base}${key}` });
  return {
    read: (key) => getS3Text(client, at(key)),
    write: (key, text) => putS3Text(client, at(key), text),
    locate: (key) => s3Uri(at(key)),
  };
}
