import type { ScanError, Severity } from '../../types.js';
import type { Delta } from '../history/delta.js';
import { isAtOrAbove } from '../../severity.js';

export interface NotifyPolicy {
  mode: 'always' | 'on-change' | 'never';
  /** Findings below it neither trigger nor appear in a message. */
  minSeverity: Severity;
}

export interface NotifyDecision {
  notify: boolean;
  /** Why, for the run log. */
  reason: string;
}

/**
 * Whether this run sends a message. `on-change`: new or resolved findings at or above the
 * threshold, or errors that the last notified run did not have (same account, Region, cluster,
 * stage and code), so a persistent failure is announced once, not nightly.
 */
export function shouldNotify(policy: NotifyPolicy, delta: Pick<Delta, 'new' | 'resolved'>, errors: ScanError[], previousErrors: ScanError[] | undefined): NotifyDecision {
  if (policy.mode === 'never') return { notify: false, reason: 'notifications are off' };
  if (policy.mode === 'always') return { notify: true, reason: 'notifications are sent every run' };
  const counts = (list: { severity: Severity }[]) => list.filter((f) => isAtOrAbove(f.severity, policy.minSeverity)).length;
  const added = counts(delta.new);
  const resolved = counts(delta.resolved);
  const known = new Set((previousErrors ?? []).map(errorKey));
  const newErrors = new Set(errors.map(errorKey).filter((key) => !known.has(key))).size;
  const changes = [
    added > 0 ? `${added} new` : '',
    resolved > 0 ? `${resolved} resolved` : '',
    newErrors > 0 ? `${newErrors} new errors` : '',
  ].filter((s) => s !== '');
  if (changes.length === 0) return { notify: false, reason: `no change at or above ${policy.minSeverity} and no new errors` };
  return { notify: true, reason: changes.join(', ') };
}

export function errorKey(error: ScanError): string {
  return [error.accountId, error.region ?? '', error.cluster ?? '', error.stage, error.code].join('/');
}
