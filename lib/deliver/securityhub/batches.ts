import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { jsonBytes } from '../text.js';

/** BatchImportFindings limits: findings per request, request size, and size of one finding. */
export const BATCH_LIMITS = {
  maxFindings: 100,
  // "6 MB" and "240 KB" are read as decimal units: the smaller reading, so the batch fits either way.
  maxRequestBytes: 6_000_000,
  maxFindingBytes: 240_000,
} as const;

// `{"Findings":[` + `]}`: what the request adds around the findings.
const ENVELOPE_BYTES = jsonBytes({ Findings: [] });

export interface Batching {
  batches: AwsSecurityFinding[][];
  /** Findings that no request could carry. */
  tooLarge: AwsSecurityFinding[];
}

/** Splits findings into requests of at most 100 findings and 6 MB of JSON, in order. */
export function toBatches(findings: readonly AwsSecurityFinding[], limits = BATCH_LIMITS): Batching {
  const batches: AwsSecurityFinding[][] = [];
  const tooLarge: AwsSecurityFinding[] = [];
  let current: AwsSecurityFinding[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const finding of findings) {
    const size = jsonBytes(finding);
    if (size > limits.maxFindingBytes || ENVELOPE_BYTES + size > limits.maxRequestBytes) {
      tooLarge.push(finding);
      continue;
    }
    const separator = current.length === 0 ? 0 : 1;
    if (current.length >= limits.maxFindings || bytes + separator + size > limits.maxRequestBytes) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    bytes += (current.length === 0 ? 0 : 1) + size;
    current.push(finding);
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge };
}
