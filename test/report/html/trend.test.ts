import { describe, expect, it } from 'vitest';
import { fleetPageData } from '../../../lib/report/html/index.js';
import { TrendBuilder } from '../../../lib/report/html/trend.js';
import type { StoredRunReport } from '../../../lib/deliver/history/delta.js';
import { aFinding, aReport } from '../../deliver/fixtures.js';

const night = (day: number, overrides: Partial<StoredRunReport> = {}): StoredRunReport => ({
  ...aReport({ runId: `run-${day}`, startedAt: `2026-01-${String(day).padStart(2, '0')}T02:00:00.000Z`, findings: [] }),
  newIds: [],
  ...overrides,
});

const a = aFinding({ clusterName: 'a' });
const b = aFinding({ clusterName: 'b', severity: 'low' });

describe('trend.ts', () => {
  it('tells the mean days from first NEW to RESOLVED, over the stays the runs read whole', () => {
    // Prepare: a NEW on day 1, fixed day 4; b NEW day 2, its cluster deleted day 3; c resolved with no NEW read
    const trend = new TrendBuilder();

    // Act
    trend.add(night(1, { findings: [a], newIds: [a.id] }));
    trend.add(night(2, { findings: [a, b], newIds: [b.id, a.id] }));
    trend.add(night(3, { findings: [a], resolved: [{ ...b, resolvedBecause: 'cluster deleted' }] }));
    trend.add(night(4, { findings: [], resolved: [{ ...a, resolvedBecause: 'fixed' }, { ...aFinding({ clusterName: 'c' }), resolvedBecause: 'fixed' }] }));
    const result = trend.result(30);

    // Assess
    expect(result.stays).toBe(2);
    expect(result.meanDaysOpen).toBe(2);
    expect(result.points.map((p) => [p.open.high, p.open.low, p.new, p.resolved])).toEqual([[1, 0, 1, 0], [1, 1, 2, 0], [1, 0, 0, 1], [0, 0, 0, 2]]);
  });

  it('does not count a finding that left the audit as one that stopped being open', () => {
    // Prepare
    const trend = new TrendBuilder();

    // Act
    trend.add(night(1, { findings: [a], newIds: [a.id] }));
    trend.add(night(5, { resolved: [{ ...a, resolvedBecause: 'the account left the organization' }] }));

    // Assess
    expect(trend.result(30)).toMatchObject({ stays: 0, meanDaysOpen: null });
  });

  it('keeps the last runs asked for, this one last, counts unreadable reports and leaves out later runs', async () => {
    // Prepare
    const history = [night(1), undefined, night(2), night(3), night(4), night(9)];

    // Act
    const data = await fleetPageData(night(4), { history, trendRuns: 3 });

    const gap = await fleetPageData(night(4), { history: [night(1), undefined, night(3)], trendRuns: 3 });

    // Assess
    expect(data.trend.points.map((p) => p.runId)).toEqual(['run-2', 'run-3', 'run-4']);
    expect(data.trend.window).toBe(3);
    expect(gap.trend.points.map((p) => p.runId)).toEqual(['run-3', 'run-4']);
    expect(gap.trend.unreadable).toBe(1);
  });

  it('draws the page with the runs read so far when the history cannot be listed', async () => {
    // Prepare
    async function* failing(): AsyncGenerator<StoredRunReport | undefined> {
      yield night(1);
      throw new Error('AccessDenied: s3:ListBucket');
    }

    // Act
    const data = await fleetPageData(night(2), { history: failing() });

    // Assess
    expect(data.trend.points.map((p) => p.runId)).toEqual(['run-1', 'run-2']);
    expect(data.trend.problem).toContain('AccessDenied: s3:ListBucket');
  });
});
