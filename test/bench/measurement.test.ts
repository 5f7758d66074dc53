import { describe, expect, it } from 'vitest';
import { lambdaHeapFlags } from './measurement.js';
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
});
