import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { createAuditHandler, type LambdaTools } from '../lib/lambda/audit.js';

const serviceName = 'eks-fleet-auditor';

/** The handler with its Powertools, for the Lambda below and for local runs (demo, tests). */
export function buildHandler(extra: Pick<LambdaTools, 'onOutcome' | 'wiring'> = {}) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EksFleetAuditor' });
  const tracer = new Tracer({ serviceName });
  return middy(
    createAuditHandler({
      ...extra,
      logger,
      metrics: {
        addMetric: (name, unit, value) => metrics.addMetric(name, MetricUnit[unit], value),
        singleMetric: () => {
          const single = metrics.singleMetric();
          return {
            addDimension: (name, value) => single.addDimension(name, value),
            addMetric: (name, unit, value) => single.addMetric(name, MetricUnit[unit], value),
          };
        },
      },
      instrument: (client) => tracer.captureAWSv3Client(client),
    }),
  )
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

export const handler = buildHandler();
