import { describe, expect, it } from 'vitest';
import { rotatedLabelRoom, runLabels, safeHref } from '../../../lib/report/html/client/labels.js';

describe('labels.ts', () => {
  it('labels each run apart: the minute, the second where two share a minute, a number where two share a second', () => {
    // Act
    const labels = runLabels(['2026-01-05T02:00:00.000Z', '2026-01-06T02:00:10.000Z', '2026-01-06T02:00:40.000Z', '2026-01-07T09:15:03.100Z', '2026-01-07T09:15:03.900Z']);

    // Assess
    expect(labels).toEqual(['01-05 02:00', '01-06 02:00:10', '01-06 02:00:40', '01-07 09:15:03', '01-07 09:15:03 #2']);
  });

  it('links only an absolute https URL without credentials', () => {
    // Act
    const hrefs = ['https://github.com/aws/amazon-vpc-cni-k8s/pull/3033', 'javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'http://example.com', 'data:text/html,x', '//evil.example', 'https://user:pw@example.com/', 'see the runbook'].map(safeHref);

    // Assess
    expect(hrefs).toEqual(['https://github.com/aws/amazon-vpc-cni-k8s/pull/3033', null, null, null, null, null, null, null]);
  });

  it('gives a rotated label more room the longer it is', () => {
    // Act
    const short = rotatedLabelRoom(['v1.7.5'], -35);
    const long = rotatedLabelRoom(['v1.7.5', 'v1.18.6-eksbuild.1'], -35);

    // Assess
    expect(long.bottom).toBeGreaterThan(short.bottom);
    expect(long.left).toBeGreaterThan(short.left);
  });
});
