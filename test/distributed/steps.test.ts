import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { PARTS_AT_ONCE, readParts } from '../../lib/distributed/steps.js';
import type { AggregateEvent } from '../../lib/distributed/protocol.js';

const s3Mock = mockClient(S3Client);
afterEach(() => s3Mock.reset());

const bodyOf = (text: string) => ({ Body: { transformToString: async () => text } }) as unknown as GetObjectCommandOutput;

describe('steps.ts readParts', () => {
  it('reads ~400 parts a few at a time, never all at once, and keeps the order of the state machine', async () => {
    // Prepare: 400 parts (10,000 accounts in batches of 25); S3 answers each after a turn of the event loop
    const parts: AggregateEvent['parts'] = Array.from({ length: 400 }, (_, i) => ({ key: `fleet-audit/distributed/run/parts/${i}-25.json`, accounts: 25 }));
    let inFlight = 0;
    let most = 0;
    s3Mock.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return bodyOf(JSON.stringify({ findings: [], key: input.Key }));
    });

    // Act
    const batches = await readParts({ bucket: 'history', parts }, { s3: new S3Client({ region: 'us-east-1' }) });

    // Assess: the aggregate's client has 64 sockets, and a read waiting for one counts against its connection timeout
    expect(most).toBe(PARTS_AT_ONCE);
    expect(PARTS_AT_ONCE).toBeLessThan(64);
    expect(batches.map((b) => (b as unknown as { key: string }).key)).toEqual(parts.map((p) => ('key' in p ? p.key : '')));
  });

  it('turns a failed batch and a missing part into batches that audited nothing, the other parts read', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand, { Key: 'parts/gone.json' }).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    s3Mock.on(GetObjectCommand, { Key: 'parts/ok.json' }).resolves(bodyOf(JSON.stringify({ findings: [] })));
    const account = { id: '111122223333', name: 'prod', state: 'ACTIVE' };

    // Act
    const [failed, missing, read] = await readParts(
      { bucket: 'history', parts: [{ failed: true, error: 'Lambda.Unknown', Items: [account] }, { key: 'parts/gone.json', accounts: 25 }, { key: 'parts/ok.json', accounts: 25 }] },
      { s3: new S3Client({ region: 'us-east-1' }) },
    );

    // Assess
    expect(failed?.errors[0]).toMatchObject({ accountId: '111122223333', code: 'Lambda.Unknown' });
    expect(failed?.recheck.accounts).toEqual([expect.objectContaining({ accountId: '111122223333', status: 'failed' })]);
    // A lost part's accounts are named failed by the aggregate's roster (the plan's accounts no part speaks of).
    expect(missing).toMatchObject({ findings: [], scan: { accounts: [], clusters: [] } });
    expect(read).toEqual({ findings: [] });
  });
});
