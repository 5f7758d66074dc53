import { describe, expect, it } from 'vitest';
import { lambdaHeapFlags, median, repeatsOf, type Measurement } from './measurement.js';
import { serverlessParams } from '../support/state-machine.js';

describe('measurement.ts', () => {
  it("gives the run's process the heap Lambda's Node.js runtime gives the function's memory size", async () => {
    // Prepare: the functions' memory sizes, as deployed
    const params = await serverlessParams();

    // Act
    const audit = lambdaHeapFlags(Number(params.memorySize));
    const aggregate = lambdaHeapFlags(Number(params.aggregateMemorySize));

    // Assess: a tenth for the young generation (half per semi-space), the rest for the old one
    expect(audit).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922']);
    expect(aggregate).toEqual(['--max-semi-space-size=204', '--max-old-space-size=3687']);
  });

  it('summarises repeated runs by the median of each run paired with its own floor', () => {
    // Prepare: three runs; the second ran on a loaded machine, its floor too
    const run = (wallSeconds: number, ratioToSdkFloor: number) =>
      ({ scenario: { accounts: 1000 }, wallSeconds, cpuSeconds: wallSeconds, peakRssMB: 350, ratioToSdkFloor, cpuRatioToSdkFloor: ratioToSdkFloor }) as unknown as Measurement;

    // Act
    const repeats = repeatsOf([run(26, 1.02), run(40, 1.31), run(27, 1.05)]);

    // Assess
    expect(repeats.runs).toBe(3);
    expect(repeats.ratioToSdkFloor).toEqual({ median: 1.05, all: [1.02, 1.31, 1.05] });
    expect(repeats.wallSeconds.median).toBe(27);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('leaves the ratios out when a run had no floor', () => {
    // Prepare
    const run = { scenario: { accounts: 10 }, wallSeconds: 1, cpuSeconds: 1, peakRssMB: 100 } as unknown as Measurement;

    // Act
    const repeats = repeatsOf([run, run]);

    // Assess
    expect(repeats).not.toHaveProperty('ratioToSdkFloor');
  });
});
