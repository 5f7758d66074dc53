import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';

/**
 * Whether another try of an AWS call may succeed: throttling, a 5xx, a timeout or a dropped
 * connection, as the SDK's own retry strategy classifies them. An error no retry fixes
 * (AccessDenied, a validation error) is not.
 */
export function isRetryableAwsError(error: unknown): boolean {
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (typeof error !== 'object' || error === null || !('name' in error)) return false;
  return isThrottlingError(sdkError) || isServerError(sdkError) || isTransientError(sdkError);
}
