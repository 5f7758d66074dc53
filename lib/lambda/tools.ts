import type { Context } from 'aws-lambda';
import { readConfig, type AuditConfig } from '../config.js';
import type { Rule } from '../evaluate/rule.js';
import { loadRules } from '../rules/load.js';
import type { RunLogger, RunOutcome } from '../run.js';
import type { ClientInstrument, WiringOptions } from '../wiring/common.js';

export type MetricUnitName = 'Count' | 'Seconds' | 'Percent';

/** The slice of Powertools the functions need; passed in so the handler files stay wiring only. */
export interface LambdaTools {
  logger: RunLogger & { debug(message: string, ...extra: Record<string, unknown>[]): void; error(message: string, ...extra: Record<string, unknown>[]): void };
  metrics: {
    addMetric(name: string, unit: MetricUnitName, value: number): void;
    singleMetric(): { addDimension(name: string, value: string): void; addMetric(name: string, unit: 'Count', value: number): void };
  };
  instrument?: ClientInstrument;
  /** Runs `work` as one traced unit (an X-Ray subsegment per account), when tracing is on. */
  trace?: <T>(name: string, work: () => Promise<T>) => Promise<T>;
  /** Extra wiring for local runs (the simulator endpoint). */
  wiring?: Pick<WiringOptions, 'endpoint' | 'starter'>;
  /** Told the whole outcome of each run (the demo prints it); the Lambda only returns the summary. */
  onOutcome?: (outcome: RunOutcome) => void;
}

export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'>;

export interface Setup {
  config: AuditConfig;
  rules: Rule[];
}

/**
 * Configuration and rules, read and validated once per container (with `complete`, e.g. the
 * ExternalId read from Parameter Store); a failure is retried next invocation.
 */
export function cachedSetup(env: NodeJS.ProcessEnv, complete: (config: AuditConfig) => Promise<AuditConfig> = async (config) => config) {
  let setup: Promise<Setup> | undefined;
  return async () => {
    setup ??= (async () => {
      const [config, rules] = await Promise.all([complete(readConfig(env)), loadRules()]);
      return { config, rules };
    })();
    return setup.catch((error: unknown) => {
      setup = undefined;
      throw error;
    });
  };
}

export function wiringOf(tools: LambdaTools): WiringOptions {
  return { logger: tools.logger, ...(tools.instrument ? { instrument: tools.instrument } : {}), ...(tools.trace ? { trace: tools.trace } : {}), ...tools.wiring };
}
