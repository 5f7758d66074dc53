/** S3 (restXml, path-style): in-memory buckets for the run history. */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import type { S3Object, SimState } from '../state.js';
import { SimError, toXml, xmlEscape, type SimResponse } from '../wire.js';
import type { RoutedOperation, ServiceFactory, SimRequest } from './service.js';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** SigV4 query authentication (a presigned URL) lives at most 7 days (X-Amz-Expires ≤ 604800). */
const PRESIGN_MAX_SECONDS = 604_800;

/**
 * A presigned URL as S3 checks it: X-Amz-Expires from 1 to 604800 seconds, else 400
 * AuthorizationQueryParametersError; past X-Amz-Date + X-Amz-Expires, 403 AccessDenied.
 */
export function checkPresigned(query: URLSearchParams, now: Date = new Date()): void {
  if (!query.has('X-Amz-Signature')) return;
  const expires = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > PRESIGN_MAX_SECONDS) {
    throw new SimError('AuthorizationQueryParametersError', 400, 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  const signed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  if (!signed) throw new SimError('AuthorizationQueryParametersError', 400, 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const at = Date.UTC(Number(signed[1]), Number(signed[2]) - 1, Number(signed[3]), Number(signed[4]), Number(signed[5]), Number(signed[6]));
  if (now.getTime() > at + expires * 1000) throw new SimError('AccessDenied', 403, 'Request has expired');
}

export const s3Service: ServiceFactory = (state) => ({
  protocol: 'restXml',
  route(req): RoutedOperation {
    checkPresigned(req.query);
    const { bucket, key } = locate(req);
    if (!bucket) throw new SimError('NotImplemented', 501, 'ListBuckets is not implemented by the simulator');
    if (key === '') {
      if (req.method === 'PUT') return { name: 'CreateBucket', run: () => createBucket(state, bucket) };
      if (req.method === 'HEAD') return { name: 'HeadBucket', run: () => (objectsOf(state, bucket), empty(200)) };
      if (req.method === 'GET' && req.query.get('list-type') === '2') return { name: 'ListObjectsV2', run: () => listObjectsV2(state, req, bucket) };
      if (req.method === 'POST' && req.query.has('delete')) return { name: 'DeleteObjects', run: () => deleteObjects(state, req, bucket) };
      throw new SimError('NotImplemented', 501, `${req.method} on a bucket is not implemented by the simulator`);
    }
    if (req.method === 'PUT' && !req.headers['x-amz-copy-source']) return { name: 'PutObject', key, run: () => putObject(state, req, bucket, key) };
    if (req.method === 'GET') return { name: 'GetObject', key, run: () => getObject(state, bucket, key) };
    if (req.method === 'HEAD') return { name: 'HeadObject', key, run: () => getObject(state, bucket, key) };
    if (req.method === 'DELETE') return { name: 'DeleteObject', key, run: () => (objectsOf(state, bucket).delete(key), empty(204)) };
    throw new SimError('NotImplemented', 501, `${req.method} on an object is not implemented by the simulator`);
  },
});

/** Path-style `/bucket/key`, or virtual-hosted `bucket.localhost`. */
function locate(req: SimRequest): { bucket: string; key: string } {
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const path = req.path.startsWith('/') ? req.path.slice(1) : req.path;
  if (host.endsWith('.localhost')) return { bucket: host.slice(0, host.indexOf('.')), key: decodeURIComponent(path) };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodeURIComponent(path), key: '' };
  return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
}

function empty(status: number): SimResponse {
  return { status, headers: {}, body: '' };
}

function objectsOf(state: SimState, bucket: string): Map<string, S3Object> {
  const objects = state.buckets.get(bucket);
  if (!objects) throw new SimError('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
  return objects;
}

function createBucket(state: SimState, bucket: string): SimResponse {
  if (!state.buckets.has(bucket)) state.buckets.set(bucket, new Map());
  return { status: 200, headers: { location: `/${bucket}` }, body: '' };
}

/**
 * Undoes `Content-Encoding: aws-chunked` (streaming uploads with a trailing checksum): the payload,
 * and the trailers after the last (0-size) chunk, names lower-cased.
 */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Map<string, string> } {
  const parts: Buffer[] = [];
  const trailers = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const lineEnd = body.indexOf('\r\n', pos);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) throw new SimError('IncompleteBody', 400, 'The request body terminated unexpectedly');
    if (size === 0) {
      for (const line of body.subarray(lineEnd + 2).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      break;
    }
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    pos = lineEnd + 2 + size + 2;
  }
  return { payload: Buffer.concat(parts), trailers };
}

/** The checksums S3 verifies that Node computes here (crc32c and crc64nvme are taken on trust). */
const CHECKSUMS: Record<string, (body: Buffer) => string> = {
  crc32: (body) => {
    const value = Buffer.alloc(4);
    value.writeUInt32BE((zlib as unknown as { crc32(data: Buffer): number }).crc32(body));
    return value.toString('base64');
  },
  sha1: (body) => createHash('sha1').update(body).digest('base64'),
  sha256: (body) => createHash('sha256').update(body).digest('base64'),
};

/**
 * What S3 checks of an upload's body before storing it: a streamed body as long as its
 * x-amz-decoded-content-length (IncompleteBody), and a checksum sent in a header or a trailer, or
 * a Content-MD5, that matches it (BadDigest).
 */
function checkBody(req: SimRequest, body: Buffer, trailers: Map<string, string>, chunked: boolean): void {
  if (chunked) {
    const declared = Number(req.headers['x-amz-decoded-content-length']);
    if (!Number.isInteger(declared)) throw new SimError('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.');
    if (declared !== body.length) throw new SimError('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
  }
  for (const [algorithm, compute] of Object.entries(CHECKSUMS)) {
    const name = `x-amz-checksum-${algorithm}`;
    const sent = trailers.get(name) ?? req.headers[name];
    if (typeof sent === 'string' && sent !== compute(body)) {
      throw new SimError('BadDigest', 400, `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
    }
  }
  const md5 = req.headers['content-md5'];
  if (typeof md5 === 'string' && md5 !== createHash('md5').update(body).digest('base64')) {
    throw new SimError('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
  }
}

function putObject(state: SimState, req: SimRequest, bucket: string, key: string): SimResponse {
  const chunked = String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  const { payload: body, trailers } = chunked ? decodeAwsChunked(req.body) : { payload: req.body, trailers: new Map<string, string>() };
  checkBody(req, body, trailers, chunked);
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  checkWritePreconditions(req, objectsOf(state, bucket).get(key), key);
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  state.buckets.get(bucket)!.set(key, {
    body,
    contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
    metadata,
    etag,
    lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
  });
  return { status: 200, headers: { etag }, body: '' };
}

/**
 * S3 conditional writes: `If-None-Match: *` refuses to replace an existing object, `If-Match:
 * <etag>` refuses unless the object is there with that ETag (412 PreconditionFailed; 404 when an
 * If-Match names no object). What a lease or a pointer guard relies on.
 */
function checkWritePreconditions(req: SimRequest, existing: S3Object | undefined, key: string): void {
  const ifNoneMatch = req.headers['if-none-match'];
  const ifMatch = req.headers['if-match'];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw new SimError('NotImplemented', 501, 'If-None-Match on PutObject only accepts *');
    if (existing) throw new SimError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
  }
  if (ifMatch !== undefined) {
    if (!existing) throw new SimError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
    if (ifMatch !== existing.etag) throw new SimError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  }
}

function getObject(state: SimState, bucket: string, key: string): SimResponse {
  const object = objectsOf(state, bucket).get(key);
  if (!object) throw new SimError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
  const headers: Record<string, string> = {
    'content-type': object.contentType,
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  // For HeadObject Node drops the body but keeps its Content-Length, as S3 does.
  return { status: 200, headers, body: object.body };
}

function listObjectsV2(state: SimState, req: SimRequest, bucket: string): SimResponse {
  const objects = objectsOf(state, bucket);
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000)));
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
  const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();

  const contents: S3Object[] = [];
  const contentKeys: string[] = [];
  const commonPrefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (const key of keys) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && (common === last || common === after)) continue; // the rest of a prefix already listed
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      commonPrefixes.push(common);
      last = common;
    } else {
      contents.push(objects.get(key)!);
      contentKeys.push(key);
      last = key;
    }
  }
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${S3_NS}">` +
    toXml({
      Name: bucket,
      Prefix: prefix,
      Delimiter: delimiter || undefined,
      MaxKeys: maxKeys,
      KeyCount: contents.length + commonPrefixes.length,
      IsTruncated: truncated,
      ContinuationToken: token ?? undefined,
      NextContinuationToken: truncated ? Buffer.from(last).toString('base64url') : undefined,
      StartAfter: startAfter || undefined,
      Contents: contents.map((o, i) => ({ Key: contentKeys[i], LastModified: o.lastModified, ETag: o.etag, Size: o.body.length, StorageClass: 'STANDARD' })),
      CommonPrefixes: commonPrefixes.map((p) => ({ Prefix: p })),
    }) +
    '</ListBucketResult>';
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

function deleteObjects(state: SimState, req: SimRequest, bucket: string): SimResponse {
  const objects = objectsOf(state, bucket);
  const keys = [...req.body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''));
  for (const key of keys) objects.delete(key);
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${S3_NS}">${keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`;
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : e === 'amp' ? '&' : String.fromCharCode(Number(e.slice(1))),
  );
}
