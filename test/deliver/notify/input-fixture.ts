import { computeDelta } from '../../../lib/deliver/history/delta.js';
import type { NotificationInput } from '../../../lib/deliver/notify/input.js';
import type { Finding } from '../../../lib/types.js';
import { aCoverage, aFinding } from '../fixtures.js';

export const REPORT = 's3://audit-history/runs/2026/01/31/run-42.json';

/** A notification for `current` against `previous` (undefined: a first run), everything scanned. */
export function anInput(current: Finding[], previous: Finding[] | undefined, overrides: Partial<NotificationInput> = {}): NotificationInput {
  const scopes = [...new Set([...current, ...(previous ?? [])].map((f) => `${f.accountId}/${f.region}`))].map((key) => {
    const [accountId = '', region = ''] = key.split('/');
    return { accountId, region };
  });
  return {
    runId: 'run-42',
    startedAt: '2026-01-31T02:00:00.000Z',
    now: '2026-01-31T02:05:00.000Z',
    delta: computeDelta(current, previous, scopes),
    suppressed: [],
    expired: [],
    coverage: aCoverage(),
    errors: [],
    minSeverity: 'low',
    reportLocation: REPORT,
    ...overrides,
  };
}

/** An organization of `n` clusters, one finding each, spread over accounts and Regions. */
export function fleet(n: number, overrides: Partial<Finding> = {}): Finding[] {
  const regions = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
  return Array.from({ length: n }, (_, i) =>
    aFinding({
      accountId: String(100000000000 + Math.floor(i / 10)),
      accountName: `Business Unit ${Math.floor(i / 10)} Production`,
      region: regions[i % regions.length] ?? 'eu-west-1',
      clusterName: `cluster-${String(i).padStart(5, '0')}`,
      severity: i % 7 === 0 ? 'critical' : i % 2 === 0 ? 'high' : 'medium',
      ...overrides,
    }),
  );
}
