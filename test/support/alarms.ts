/**
 * The CloudWatch alarms serverless.yml defines on the run's own metrics (namespace
 * EksFleetAuditor), judged against the metrics one run emitted: which of them that night would
 * set off. One datapoint per metric, so every statistic is that value.
 */
import { readFile } from 'node:fs/promises';
import { parseCloudFormationYaml, resourcesOfType, type Template } from '../deploy/cloudformation.js';

interface MetricAlarm {
  name: string;
  metric: string;
  threshold: number;
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
}

/** The EMF alarms of serverless.yml, with `${param:…}` from params.default and the stage `dev`. */
export async function runMetricAlarms(file = 'serverless.yml'): Promise<MetricAlarm[]> {
  const text = await readFile(file, 'utf8');
  const doc = parseCloudFormationYaml(text) as { params: { default: Record<string, unknown> }; service: string; resources: Template };
  const resolve = (value: unknown) =>
    String(value)
      .replace(/\$\{param:(\w+)\}/g, (_, name: string) => String(doc.params.default[name]))
      .replace('${self:service}', doc.service)
      .replace('${sls:stage}', 'dev');
  return resourcesOfType(doc.resources, 'AWS::CloudWatch::Alarm')
    .map(([, alarm]) => alarm.Properties as Record<string, unknown>)
    .filter((p) => p.Namespace === 'EksFleetAuditor')
    .map((p) => ({
      name: resolve(p.AlarmName).replace(`${doc.service}-dev-`, ''),
      metric: String(p.MetricName),
      threshold: Number(resolve(p.Threshold)),
      comparison: p.ComparisonOperator as MetricAlarm['comparison'],
    }));
}

/** The alarms (short names: `coverage-low`) a run's metrics set off; a metric not emitted sets off nothing. */
export function firingAlarms(alarms: readonly MetricAlarm[], metrics: ReadonlyMap<string, number>): string[] {
  const breaches: Record<MetricAlarm['comparison'], (value: number, threshold: number) => boolean> = {
    GreaterThanThreshold: (v, t) => v > t,
    GreaterThanOrEqualToThreshold: (v, t) => v >= t,
    LessThanThreshold: (v, t) => v < t,
    LessThanOrEqualToThreshold: (v, t) => v <= t,
  };
  return alarms
    .filter((a) => metrics.has(a.metric) && breaches[a.comparison](metrics.get(a.metric)!, a.threshold))
    .map((a) => a.name)
    .sort();
}
