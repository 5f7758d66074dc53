import { describe, expect, it } from 'vitest';
import type { CallCount } from '../sim/server.js';
import { callsSince, cpuSince } from './nights.js';

const call = (operation: string, count: number, status = 200, accountId = '111122223333'): CallCount => ({ service: 'eks', operation, accountId, region: 'eu-west-1', status, count });

describe('nights.ts', () => {
  it("counts only the last night's calls: what grew since the snapshot, per operation, account, region and status", () => {
    // Prepare: the simulator's cumulative counts before and after the measured night
    const before = [call('ListClusters', 4), call('DescribeCluster', 10), call('DescribeCluster', 2, 429)];
    const after = [call('ListClusters', 8), call('DescribeCluster', 20), call('DescribeCluster', 2, 429), call('DescribeAddon', 3), call('ListClusters', 1, 200, '444455556666')];

    // Act
    const night = callsSince(before, after);

    // Assess
    expect(night).toEqual([call('ListClusters', 4), call('DescribeCluster', 10), call('DescribeAddon', 3), call('ListClusters', 1, 200, '444455556666')]);
  });

  it('gives the simulator CPU of the night, unknown when a reading is', () => {
    // Act + Assess
    expect(cpuSince(12.5, 20)).toBe(7.5);
    expect(cpuSince(undefined, 20)).toBeUndefined();
  });
});
