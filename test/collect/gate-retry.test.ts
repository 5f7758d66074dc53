import { describe, expect, it } from 'vitest';
import { retryGate } from '../../lib/collect/gate-retry.js';
import { awsError } from './fake-org.js';

describe('gate-retry.ts', () => {
  it('tries a throttled gate again and gives up at once on what no retry fixes', async () => {
    // Prepare
    let throttled = 0;
    let denied = 0;

    // Act
    const value = await retryGate(
      async () => {
        if (++throttled < 3) throw awsError('ThrottlingException', 'Rate exceeded');
        return 'ok';
      },
      { minTimeoutMs: 1 },
    );
    const refusal = await retryGate(
      async () => {
        denied++;
        throw awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole');
      },
      { minTimeoutMs: 1 },
    ).catch((error: unknown) => error as Error);

    // Assess
    expect([value, throttled]).toEqual(['ok', 3]);
    expect([refusal.name, denied]).toEqual(['AccessDenied', 1]);
  });

  it('starts no retry after the scan deadline', async () => {
    // Prepare
    const deadline = new AbortController();
    deadline.abort();
    let calls = 0;

    // Act
    const error = await retryGate(
      async () => {
        calls++;
        throw awsError('ThrottlingException');
      },
      { signal: deadline.signal, minTimeoutMs: 1 },
    ).catch((e: unknown) => e as Error);

    // Assess
    expect([error.name, calls]).toEqual(['ThrottlingException', 1]);
  });
});
