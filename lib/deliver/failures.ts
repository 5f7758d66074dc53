import type { ScanError } from '../types.js';

/** The deliveries of a run that can fail on their own. */
export type DeliveryKind = 'securityHub' | 'notification' | 'history';

/** What concludeRun knows about each delivery (the shape of DeliverySummary's three fields). */
export interface DeliveryStates {
  securityHub: { scopes: number } | string;
  history: { location: string } | string;
}

/**
 * The deliveries that failed, for alarms and exit codes: the notification when a publish was due
 * and SNS refused it (a `deliver-sns` error), the run history when the report could not be saved,
 * Security Hub when it refused in every account-region synced (each has a `deliver-securityhub`
 * error). Security Hub refusing in some account-regions only is in the report errors, not here.
 */
export function deliveryFailures(delivery: DeliveryStates, errors: readonly ScanError[]): DeliveryKind[] {
  const failures: DeliveryKind[] = [];
  if (typeof delivery.securityHub !== 'string' && delivery.securityHub.scopes > 0) {
    const refused = new Set(errors.filter((e) => e.stage === 'deliver-securityhub').map((e) => `${e.accountId}/${e.region ?? ''}`));
    if (refused.size >= delivery.securityHub.scopes) failures.push('securityHub');
  }
  if (errors.some((e) => e.stage === 'deliver-sns')) failures.push('notification');
  if (delivery.history === 'failed') failures.push('history');
  return failures;
}
