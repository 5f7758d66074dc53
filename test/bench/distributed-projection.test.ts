import { describe, expect, it } from 'vitest';
import { lambdaVcpus, maxAndMedian, projectLambdaWall, regionNames } from './distributed-projection.js';

const step = (wallSeconds: number, initSeconds = 0, cpuSeconds = 0) => ({ initSeconds, wallSeconds, cpuSeconds });
const ONE_VCPU = { maxConcurrency: 2, vcpus: 1 };

describe('distributed-projection.ts', () => {
  it('projects planner + each wave of MaxConcurrency workers at its longest + aggregate, every step counted cold', () => {
    // Prepare: 5 workers, 2 at once → waves [3, 1], [2, 4], [5]
    const workers = [step(2, 1), step(1), step(2), step(3, 1), step(5)];

    // Act
    const projection = projectLambdaWall(step(10, 0.5), workers, step(6, 0.5), ONE_VCPU);

    // Assess: 10.5 + (3 + 4 + 5) + 6.5
    expect(projection.waves).toBe(3);
    expect(projection.wavesSeconds).toBe(29);
  });

  it('projects the slots reading: a worker starts as soon as one of MaxConcurrency slots frees', () => {
    // Prepare: slots [3 | 1] → the 2nd frees first: [3 | 1+2=3] → [3+4=7 | 3] → [7 | 3+5=8]
    const workers = [step(2, 1), step(1), step(2), step(3, 1), step(5)];

    // Act
    const projection = projectLambdaWall(step(10, 0.5), workers, step(6, 0.5), ONE_VCPU);

    // Assess: 10.5 + 8 + 6.5, never more than the waves' reading
    expect(projection.slotsSeconds).toBe(25);
    expect(projection.slotsSeconds).toBeLessThanOrEqual(projection.wavesSeconds);
  });

  it('counts the planner and the aggregate alone when no worker ran, and refuses a MaxConcurrency below 1', () => {
    // Act
    const projection = projectLambdaWall(step(1), [], step(2), { maxConcurrency: 20, vcpus: 1 });

    // Assess
    expect(projection).toEqual({ wavesSeconds: 3, slotsSeconds: 3, waves: 0 });
    expect(() => projectLambdaWall(step(1), [], step(2), { maxConcurrency: 0, vcpus: 1 })).toThrow(/maxConcurrency/);
  });

  it('takes a step no shorter on Lambda than its CPU at the function’s vCPU share (0.58 at 1,024 MB)', () => {
    // Prepare: a worker that used 2.9 s of CPU in 2 s here (2 cores); the planner 1 s of CPU in 4 s
    const worker = step(2, 0.5, 2.9);

    // Act
    const projection = projectLambdaWall(step(4, 0, 1), [worker], step(1), { maxConcurrency: 20, vcpus: lambdaVcpus(1024) });

    // Assess: 4 (its wall: above 1 ÷ 0.58) + 0.5 + 2.9 ÷ (1024 ÷ 1769) = 5.01 + 1
    expect(lambdaVcpus(1769)).toBe(1);
    expect(projection.wavesSeconds).toBe(10.51);
  });

  it('takes the workers at their own function’s vCPU share, the planner and the aggregate at theirs', () => {
    // Prepare: a worker that used 1.024 s of CPU in 0.5 s here; the planner 1 s of CPU in 0.5 s
    const worker = step(0.5, 0, 1.024);

    // Act
    const projection = projectLambdaWall(step(0.5, 0, 1), [worker], step(0), { maxConcurrency: 20, vcpus: lambdaVcpus(1769), workerVcpus: lambdaVcpus(512) });

    // Assess: the planner 1 ÷ 1 = 1; the worker 1.024 ÷ (512 ÷ 1769) = 3.538; the aggregate 0
    expect(projection.wavesSeconds).toBe(4.54);
    expect(projection.slotsSeconds).toBe(4.54);
    expect(() => projectLambdaWall(step(1), [], step(2), { maxConcurrency: 1, vcpus: 1, workerVcpus: 0 })).toThrow(/workerVcpus/);
  });

  it('gives the max and the lower median of the workers figures', () => {
    // Act / Assess
    expect(maxAndMedian([40, 10, 30, 20])).toEqual({ max: 40, p50: 20 });
    expect(maxAndMedian([3, 1, 2])).toEqual({ max: 3, p50: 2 });
    expect(maxAndMedian([])).toEqual({ max: 0, p50: 0 });
  });

  it('names 17 default-enabled regions, the bench’s usual 4 first, and refuses more', () => {
    // Act
    const all = regionNames(17);

    // Assess
    expect(regionNames(4)).toEqual(['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2']);
    expect(new Set(all).size).toBe(17);
    expect(all).toEqual(expect.arrayContaining(['sa-east-1', 'eu-north-1', 'ap-northeast-3']));
    expect(() => regionNames(18)).toThrow(/regions: expected a whole number from 1 to 17, got 18/);
  });
});
