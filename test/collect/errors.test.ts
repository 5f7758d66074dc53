import { describe, expect, it } from 'vitest';
import {
  AssumeRoleError,
  MalformedResponseError,
  StageError,
  atStage,
  errorCode,
  looksLikeRegionNotEnabled,
  safeMessage,
  toScanError,
} from '../../lib/collect/errors.js';
import { awsError } from './fake-org.js';

describe('errors.ts', () => {
  it('records the AWS error name and the stage where it happened', async () => {
    // Prepare
    const throttled = awsError('ThrottlingException', 'Rate exceeded');

    // Act
    const error = await atStage('describe-addon', () => Promise.reject(throttled)).catch((e: unknown) => e);
    const record = toScanError(error, { accountId: '111', region: 'eu-west-1', cluster: 'c', stage: 'describe-cluster' });

    // Assess
    expect(error).toBeInstanceOf(StageError);
    expect(record).toEqual({
      accountId: '111',
      region: 'eu-west-1',
      cluster: 'c',
      stage: 'describe-addon',
      code: 'ThrottlingException',
      message: 'Rate exceeded',
    });
  });

  it('keeps the innermost stage when stages are nested', async () => {
    // Act
    const error = await atStage('describe-cluster', () =>
      atStage('list-pod-identity', () => Promise.reject(awsError('AccessDeniedException'))),
    ).catch((e: unknown) => e);

    // Assess
    expect(toScanError(error, { accountId: '1', stage: 'list-clusters' }).stage).toBe('list-pod-identity');
  });

  it('reports the AWS error beneath an AssumeRoleError, with our message naming the role', () => {
    // Prepare
    const error = new AssumeRoleError('cannot assume arn:aws:iam::1:role/R in account 1: AccessDenied: no', {
      cause: awsError('AccessDenied'),
    });

    // Act
    const record = toScanError(error, { accountId: '1', stage: 'assume-role' });

    // Assess
    expect(record).toEqual({
      accountId: '1',
      stage: 'assume-role',
      code: 'AccessDenied',
      message: 'cannot assume arn:aws:iam::1:role/R in account 1: AccessDenied: no',
    });
  });

  it('names a response the SDK could not parse DeserializationError, and our own malformed-response error by its name', () => {
    // Prepare
    const unparsable = new SyntaxError('Unexpected token\n  Deserialization error: to see the raw response, inspect $response');

    // Act & Assess
    expect(errorCode(unparsable)).toBe('DeserializationError');
    expect(errorCode(new MalformedResponseError('lacks cluster.version'))).toBe('MalformedResponseError');
    expect(errorCode('a string')).toBe('UnknownError');
  });

  it('keeps messages to one short line without key ids, tokens or signatures', () => {
    // Prepare
    const leaky = new Error(
      `The request signature we calculated does not match. Credential=ASIAABCDEFGHIJKLMNOP/20250101, token IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD\nsecond line`,
    );

    // Act
    const message = safeMessage(leaky);

    // Assess
    expect(message).toBe('The request signature we calculated does not match. Credential=[key-id]/20250101, token [redacted]');
    expect(safeMessage(new Error('x'.repeat(1_000))).length).toBeLessThanOrEqual(300);
  });

  it.each([
    ['UnrecognizedClientException', true],
    ['InvalidClientTokenId', true],
    ['AuthFailure', true],
    ['AccessDeniedException', false],
    ['ThrottlingException', false],
  ])('treats %s from a region as region-not-enabled: %s', (name, expected) => {
    // Act & Assess
    expect(looksLikeRegionNotEnabled(awsError(name))).toBe(expected);
  });
});
