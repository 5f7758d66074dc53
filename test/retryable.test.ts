import { describe, expect, it } from 'vitest';
import { isRetryableAwsError } from '../lib/retryable.js';
import { awsError } from './collect/fake-org.js';

describe('retryable.ts', () => {
  it('retries throttling, 5xx and timeouts, not client errors', () => {
    expect(isRetryableAwsError(awsError('TooManyRequestsException'))).toBe(true);
    expect(isRetryableAwsError(Object.assign(awsError('InternalFailure'), { $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isRetryableAwsError(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))).toBe(true);
    expect(isRetryableAwsError(awsError('ValidationError'))).toBe(false);
    expect(isRetryableAwsError('not an error')).toBe(false);
  });

});
