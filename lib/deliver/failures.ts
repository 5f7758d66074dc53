import type { ScanError } from '../types.js';

/** The deliveries of a run that can fail on their own. */
export type DeliveryKind = 'securityHub' | 'notification' | 'history';

/** What concludeRun knows about each delivery (the shape of DeliverySummary's three fields). */
export interface DeliveryStates {
  securityHub: { scopes: number; imported: number; archived: number; failed: number } | string;
  history: { location: string } | string;
}

/**
 * The deliveries that failed, for alarms and exit codes: the notification when a publish was due
 * and SNS refused it (a `deliver-sns` error), the run history when the report could not be saved,
 * Security Hub when it refused everywhere an import was tried: something was refused (a finding,
 * or a whole account-region: a `deliver-securityhub` error) and nothing was imported nor archived
 * anywhere. Account-regions with nothing to send, or where Security Hub is not enabled (a coverage
 * note), try nothing. Security Hub refusing in some account-regions only is in the report errors.
 */
export function deliveryFailures(delivery: DeliveryStates, errors: readonly ScanError[]): DeliveryKind[] {
  const failures: DeliveryKind[] = [];
  const hub = delivery.securityHub;
  if (typeof hub !== 'string' && hub.imported + hub.archived === 0 && (hub.failed > 0 || errors.some((e) => e.stage === 'deliver-securityhub'))) {
    failures.push('securityHub');
  }
  if (errors.some((e) => e.stage === 'deliver-sns')) failures.push('notification');
  if (delivery.history === 'failed') failures.push('history');
  return failures;
}
