import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startSimulator, type Simulator } from './server.js';
import { clientConfig, rejectionOf, smallOrg } from './helpers.js';

describe('s3.ts', () => {
  let sim: Simulator;
  let s3: S3Client;

  beforeAll(async () => {
    sim = await startSimulator({ org: { ...smallOrg(), buckets: ['fleet-history', 'paged'] } });
    s3 = new S3Client(clientConfig(sim));
  });
  afterAll(() => sim.stop());

  it('round-trips put, head, get, list and delete', async () => {
    // Prepare
    const key = 'runs/2026-11-24/run 1.json';

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: key, Body: '{"findings":[]}', ContentType: 'application/json', Metadata: { run: 'r1' } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'fleet-history', Key: key }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'fleet-history', Key: key }));
    const body = await got.Body!.transformToString();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'fleet-history', Prefix: 'runs/' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'fleet-history', Key: key }));
    const gone = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: 'fleet-history', Key: key })));

    // Assess
    expect(head).toMatchObject({ ContentLength: 15, ContentType: 'application/json', Metadata: { run: 'r1' } });
    expect(body).toBe('{"findings":[]}');
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([[key, 15]]);
    expect([gone.name, gone.$metadata?.httpStatusCode]).toEqual(['NoSuchKey', 404]);
  });

  it('decodes a streamed (aws-chunked) upload', async () => {
    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'stream.txt', Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]), ContentLength: 11 }));

    // Assess
    expect(sim.objects('fleet-history').get('stream.txt')?.body.toString()).toBe('hello world');
  });

  it('refuses a body whose checksum or Content-MD5 does not match it (BadDigest), and a streamed body shorter than it said (IncompleteBody), storing nothing', async () => {
    // Prepare: a client that announces one byte more than it streams
    const overstated = new S3Client(clientConfig(sim));
    overstated.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        const declared = request.headers['x-amz-decoded-content-length'];
        if (declared) request.headers['x-amz-decoded-content-length'] = String(Number(declared) + 1);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );

    // Act
    const crc = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'bad-crc.txt', Body: 'hello', ChecksumCRC32: 'AAAAAA==' })));
    const md5 = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'bad-md5.txt', Body: 'hello', ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==' })));
    const short = await rejectionOf(overstated.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'short.txt', Body: Readable.from([Buffer.from('hello')]), ContentLength: 5 })));
    await s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'good.txt', Body: 'hello', ChecksumCRC32: 'NhCmhg==' }));

    // Assess
    expect([crc.name, crc.$metadata?.httpStatusCode]).toEqual(['BadDigest', 400]);
    expect([md5.name, md5.$metadata?.httpStatusCode]).toEqual(['BadDigest', 400]);
    expect([short.name, short.$metadata?.httpStatusCode]).toEqual(['IncompleteBody', 400]);
    expect([...sim.objects('fleet-history').keys()].filter((k) => /bad|short|good/.test(k))).toEqual(['good.txt']);
  });

  it('pages ListObjectsV2 with continuation tokens and groups by delimiter', async () => {
    // Prepare
    for (const key of ['runs/a.json', 'runs/b.json', 'runs/c.json', 'runs/old/x.json', 'runs/old/y.json', 'latest.json']) {
      await s3.send(new PutObjectCommand({ Bucket: 'paged', Key: key, Body: key }));
    }

    // Act
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: 'paged', Prefix: 'runs/' })) {
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    }
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: 'paged', Prefix: 'runs/', Delimiter: '/' }));

    // Assess
    expect(keys).toEqual(['runs/a.json', 'runs/b.json', 'runs/c.json', 'runs/old/x.json', 'runs/old/y.json']);
    expect(grouped.Contents?.map((c) => c.Key)).toEqual(['runs/a.json', 'runs/b.json', 'runs/c.json']);
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['runs/old/']);
  });

  it('answers NoSuchBucket for a bucket never created, and NotFound for HeadObject of a missing key', async () => {
    // Act
    const bucket = await rejectionOf(s3.send(new ListObjectsV2Command({ Bucket: 'never-created' })));
    const head = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: 'fleet-history', Key: 'missing.json' })));

    // Assess
    expect(bucket.name).toBe('NoSuchBucket');
    expect([head.name, head.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
  });

  it('honours conditional writes: If-None-Match * creates only, If-Match replaces only that ETag', async () => {
    // Prepare
    const key = 'lease.json';
    const first = await s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: key, Body: 'run-a', IfNoneMatch: '*' }));

    // Act
    const taken = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: key, Body: 'run-b', IfNoneMatch: '*' })));
    const stale = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: key, Body: 'run-b', IfMatch: '"0000"' })));
    const renewed = await s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: key, Body: 'run-a again', IfMatch: first.ETag }));
    const missing = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'no-such.json', Body: 'x', IfMatch: first.ETag })));
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'fleet-history', Key: key }))).Body!.transformToString();

    // Assess
    expect([taken.name, taken.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    expect([stale.name, stale.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    expect(renewed.ETag).not.toBe(first.ETag);
    expect([missing.name, missing.$metadata?.httpStatusCode]).toEqual(['NoSuchKey', 404]);
    expect(body).toBe('run-a again');
  });

  it('serves a presigned GET, and refuses one that expired or that asks for more than 7 days, as S3 does', async () => {
    // Prepare
    await s3.send(new PutObjectCommand({ Bucket: 'fleet-history', Key: 'runs/page.html', Body: '<!doctype html>', ContentType: 'text/html; charset=utf-8' }));
    const get = new GetObjectCommand({ Bucket: 'fleet-history', Key: 'runs/page.html' });
    const fresh = await getSignedUrl(s3, get, { expiresIn: 604_800 });
    const expired = await getSignedUrl(s3, get, { expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) });
    const tooLong = new URL(fresh);
    tooLong.searchParams.set('X-Amz-Expires', '604801');

    // Act
    const [ok, old, long] = await Promise.all([fetch(fresh), fetch(expired), fetch(tooLong)]);

    // Assess
    expect([ok.status, ok.headers.get('content-type'), await ok.text()]).toEqual([200, 'text/html; charset=utf-8', '<!doctype html>']);
    expect([old.status, await old.text()]).toEqual([403, expect.stringContaining('Request has expired')]);
    expect([long.status, await long.text()]).toEqual([400, expect.stringContaining('X-Amz-Expires must be less than a week')]);
  });
});
