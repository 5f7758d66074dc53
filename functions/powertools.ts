import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { LambdaTools, MetricUnitName } from '../lib/lambda/tools.js';

const serviceName = 'eks-fleet-auditor';

/** Hooks for local runs (demo, tests): the outcome, the simulator's wiring, each metric emitted. */
export interface LocalHooks extends Pick<LambdaTools, 'onOutcome' | 'wiring'> {
  onMetric?: (name: string, unit: MetricUnitName, value: number) => void;
}

/**
 * Powertools for one handler (built when the handler is, so they read the environment Lambda
 * gives) and the middy chain every function of the auditor shares.
 */
export function withPowertools<R>(
  create: (tools: LambdaTools) => (event: unknown, context: Context) => Promise<R>,
  { onMetric, ...extra }: LocalHooks = {},
) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EksFleetAuditor' });
  const tracer = new Tracer({ serviceName });
  const tools: LambdaTools = {
    ...extra,
    logger,
    metrics: {
      addMetric: (name, unit, value) => {
        onMetric?.(name, unit, value);
        metrics.addMetric(name, MetricUnit[unit], value);
      },
      singleMetric: () => {
        const single = metrics.singleMetric();
        return {
          addDimension: (name, value) => single.addDimension(name, value),
          addMetric: (name, unit, value) => single.addMetric(name, MetricUnit[unit], value),
        };
      },
    },
    instrument: (client) => tracer.captureAWSv3Client(client),
  };
  return middy(create(tools))
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
