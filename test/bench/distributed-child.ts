/**
 * One step of the distributed run, alone in its process and bundled as the Lambda is
 * (processes.ts builds and starts it, distributed.ts drives it): the planner (the scheduled audit
 * handler, with a starter that keeps the plan instead of calling StartExecution), one scan worker
 * invocation, or the aggregate. Its environment is the process's from the start, as Lambda's is.
 * Prints one line `BENCH_RESULT {json}`; the handlers' Powertools logs are the other stdout lines.
 */
import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import type { DistributedPlan } from '../../lib/distributed/protocol.js';
import type { RunOutcome } from '../../lib/run.js';
import { lambdaContext } from '../support/local-lambda.js';
import { RESULT_MARKER } from './protocol.js';

export interface DistributedChildRequest {
  mode: 'plan' | 'worker' | 'aggregate';
  env: Record<string, string>;
  /** The state machine's payload (worker, aggregate). */
  payload?: unknown;
}

export interface DistributedChildResult {
  mode: DistributedChildRequest['mode'];
  /** Process start → handler ready: loading the bundle (a cold start's init), in ms. */
  initMs: number;
  /** The invocation alone, in ms. */
  wallMs: number;
  /** user + system CPU of the invocation, in ms. */
  cpuMs: number;
  /** process.resourceUsage().maxRSS over the process's life, in MB. */
  peakRssMB: number;
  /** The handler's answer (for the plan: the execution's input). */
  output: unknown;
  /** The aggregate's report (distributed.ts reads its stored size from the bucket). */
  report?: { findings: number; errors: number; coverage: RunOutcome['report']['coverage']['accounts']; delivery: RunOutcome['delivery'] };
}

const STATE_MACHINE_EXECUTION = 'arn:aws:states:us-east-1:111111111111:execution:eks-fleet-auditor-bench-distributed:run';

async function main(request: DistributedChildRequest): Promise<DistributedChildResult> {
  const scheduled = JSON.parse(await readFile('events/scheduled.json', 'utf8')) as unknown;
  let plan: DistributedPlan | undefined;
  let outcome: RunOutcome | undefined;
  // Each function's module only: its handler is built as Lambda builds it, at load.
  const handler =
    request.mode === 'plan'
      ? (await import('../../functions/audit.js')).buildHandler({ wiring: { starter: { start: async (_name, input) => ((plan = input), STATE_MACHINE_EXECUTION) } } })
      : request.mode === 'worker'
        ? (await import('../../functions/scan-worker.js')).handler
        : (await import('../../functions/aggregate.js')).buildHandler({ onOutcome: (o) => (outcome = o) });
  const initMs = performance.now();
  const cpu0 = process.cpuUsage();
  const answer = await handler(request.mode === 'plan' ? scheduled : request.payload, lambdaContext() as Context);
  const wallMs = performance.now() - initMs;
  const cpu = process.cpuUsage(cpu0);
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  if (request.mode === 'plan' && !plan) throw new Error(`the audit handler did not delegate to the state machine: ${JSON.stringify(answer)}`);
  const report = outcome && {
    findings: outcome.report.findings.length,
    errors: outcome.report.errors.length,
    coverage: outcome.report.coverage.accounts,
    delivery: outcome.delivery,
  };
  return { mode: request.mode, initMs, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMB, output: plan ?? answer, ...(report ? { report } : {}) };
}

const request = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as DistributedChildRequest;
console.log(`${RESULT_MARKER}${JSON.stringify(await main(request))}`);
