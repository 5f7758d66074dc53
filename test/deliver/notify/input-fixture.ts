import { computeDelta } from '../../../lib/deliver/history/delta.js';
import type { NotificationInput } from '../../../lib/deliver/notify/input.js';
import { RecheckIndex } from '../../../lib/deliver/lifecycle.js';
import type { Finding, Recheck } from '../../../lib/types.js';
import { aCoverage, aFinding } from '../fixtures.js';

export const REPORT = 's3://audit-history/runs/2026/01/31/run-42.json';

/** A notification for `current` against `previous` (undefined: a first run), everything scanned. */
export function anInput(current: Finding[], previous: Finding[] | undefined, overrides: Partial<NotificationInput> = {}): NotificationInput {
  const all = [...current, ...(previous ?? [])];
  // Every account and region of these findings scanned, every cluster still there and read in full:
  // what was known and is not observed now was fixed.
  const recheck: Recheck = {
    rules: [...new Set(all.map((f) => f.ruleId))],
    regions: 'all',
    narrowed: false,
    accounts: [...new Set(all.map((f) => f.accountId))].map((accountId) => ({ accountId, status: 'scanned' as const })),
    scopes: [...new Set(all.map((f) => `${f.accountId}/${f.region}`))].map((key) => {
      const [accountId = '', region = ''] = key.split('/');
      return { accountId, region, clusters: [...new Set(all.filter((f) => f.accountId === accountId && f.region === region).map((f) => f.clusterName))].map((name) => ({ name })) };
    }),
    skipped: [],
  };
  return {
    runId: 'run-42',
    startedAt: '2026-01-31T02:00:00.000Z',
    now: '2026-01-31T02:05:00.000Z',
    delta: computeDelta(current, previous, new RecheckIndex(recheck), previous === undefined ? { kind: 'first-run' } : { kind: 'last-notified', runId: 'run-41' }),
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
