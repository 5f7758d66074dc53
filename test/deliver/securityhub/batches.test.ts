import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { toBatches } from '../../../lib/deliver/securityhub/batches.js';

function finding(id: number, descriptionBytes: number): AwsSecurityFinding {
  return { Id: `f-${id}`, Description: 'd'.repeat(descriptionBytes) } as AwsSecurityFinding;
}

describe('batches.ts', () => {
  it('starts a new batch before the request would pass 6 MB of JSON', () => {
    // Prepare: 30 findings of ~230 KB: 26 fit in 6,000,000 bytes
    const findings = Array.from({ length: 30 }, (_, i) => finding(i, 230_000));

    // Act
    const { batches, tooLarge } = toBatches(findings);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([26, 4]);
    for (const batch of batches) expect(Buffer.byteLength(JSON.stringify({ Findings: batch }))).toBeLessThanOrEqual(6_000_000);
    expect(tooLarge).toEqual([]);
  });

  it('sets apart a finding over 240 KB that no request may carry', () => {
    // Prepare
    const findings = [finding(1, 10), finding(2, 250_000), finding(3, 10)];

    // Act
    const { batches, tooLarge } = toBatches(findings);

    // Assess
    expect(batches.flat().map((f) => f.Id)).toEqual(['f-1', 'f-3']);
    expect(tooLarge.map((f) => f.Id)).toEqual(['f-2']);
  });
});
