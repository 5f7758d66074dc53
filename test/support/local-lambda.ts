import type { Context } from 'aws-lambda';
import { SIM_MANAGEMENT_CREDENTIALS, type Simulator } from '../sim/server.js';

/** A Lambda context as the runtime gives one, with a deadline `timeoutMs` from now. */
export function lambdaContext(timeoutMs = 900_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'eks-fleet-auditor-audit',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:eks-fleet-auditor-audit',
    memoryLimitInMB: '1024',
    awsRequestId: `local-${Math.random().toString(36).slice(2, 10)}`,
    logGroupName: '/aws/lambda/eks-fleet-auditor-audit',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export const DEMO_TOPIC_ARN = 'arn:aws:sns:us-east-1:111111111111:eks-fleet-audit';
export const DEMO_BUCKET = 'acme-fleet-audit-history';

/**
 * The environment of the deployed Lambda, pointed at the simulator: the SDK reaches it through
 * AWS_ENDPOINT_URL alone, with the management account's (fake) keys.
 */
export function simulatorEnv(sim: Simulator, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_ACCESS_KEY_ID: SIM_MANAGEMENT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIM_MANAGEMENT_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AUDIT_ROLE_NAME: 'EksFleetAuditRole',
    AUDIT_REGIONS: 'all',
    TOPIC_ARN: DEMO_TOPIC_ARN,
    HISTORY_BUCKET: DEMO_BUCKET,
    NOTIFY_MODE: 'always',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // This machine runs Node 20; the Lambda runs nodejs22.x, where the SDK has nothing to warn about.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...overrides,
  };
}

/** Sets environment variables for the duration of `fn` (the handler reads process.env, as in Lambda). */
export async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
