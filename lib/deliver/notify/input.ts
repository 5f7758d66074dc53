import type { ClusterPlan, Coverage, Finding, ScanError, Severity, SuppressedFinding, UnusedSuppression } from '../../types.js';
import type { Delta } from '../history/delta.js';
import { compareFindings, isAtOrAbove } from '../../severity.js';
import { expiryTime } from '../suppressions.js';
import type { ExpiredSuppression } from '../suppressions.js';

/**
 * Where a person opens a run's fleet page (lib/report/html/publish.ts). Never logged: a presigned
 * URL lets anyone holding it read the page.
 */
export interface ReportLink {
  /** The link to follow: presigned, or the S3 console's page of the object. */
  url: string;
  kind: 'presigned' | 'console';
  /** When a presigned link stops working at the latest (ISO 8601). */
  expiresAt?: string;
  /** The S3 console's page of the object (a console sign-in with s3:GetObject on it). */
  console: string;
}

/** Everything a notification says about one run. */
export interface NotificationInput {
  runId: string;
  startedAt: string;
  /** The run's clock, for "expiring soon" (renderers read no clock). */
  now: string;
  /** Against the last run whose notification was delivered. */
  delta: Delta;
  suppressed: SuppressedFinding[];
  /** Suppressions that ran out: their findings are back, marked as such. */
  expired: ExpiredSuppression[];
  /** Suppressions that matched no finding this run. */
  unusedSuppressions?: UnusedSuppression[];
  coverage: Coverage;
  errors: ScanError[];
  /** Findings below it are left out of the messages, only counted. */
  minSeverity: Severity;
  /** Where the full report is: `s3://bucket/key` or a local path. */
  reportLocation: string;
  /** The run's fleet page, for a person to open (absent: no page is published). */
  reportLink?: ReportLink;
  /** Suppressions ending within this many days are listed (default 14). */
  expiringWithinDays?: number;
  /** The plans of the clusters with open findings: what to run, once per cluster. */
  plans?: ClusterPlan[];
}

/** What the messages show: findings at or above the threshold, worst first. */
export interface NotificationView {
  new: Finding[];
  resolved: Finding[];
  /** Open and not new. */
  stillOpen: Finding[];
  /** All open at or above the threshold (new included). */
  open: Finding[];
  unknown: Finding[];
  /** Why each resolved or not-re-checked finding is so (`fixed`, `cluster deleted`, `aws-node unreadable: 403 Forbidden`), by id. */
  why: Record<string, string>;
  /** Findings carried without a word (outside a narrowed run, rules not evaluated): only counted. */
  quiet: number;
  /** What NEW and RESOLVED were counted against, when not the last notified run: for a person. */
  baselineNote?: string;
  /** Findings left out for being below the threshold (open, new or resolved). */
  belowThreshold: number;
  /** Expiry date of the suppression that ran out, by finding id. */
  expiredOn: Map<string, string>;
  expiringSoon: SuppressedFinding[];
}

const DAY_MS = 86_400_000;

export function viewOf(input: NotificationInput): NotificationView {
  const shown = (list: Finding[]): Finding[] => list.filter((f) => isAtOrAbove(f.severity, input.minSeverity)).sort(compareFindings);
  const open = shown(input.delta.open);
  const newIds = new Set(input.delta.new.map((f) => f.id));
  const resolved = shown(input.delta.resolved);
  const below =
    input.delta.open.length - open.length + (input.delta.resolved.length - resolved.length);
  const horizon = Date.parse(input.now) + (input.expiringWithinDays ?? 14) * DAY_MS;
  return {
    new: open.filter((f) => newIds.has(f.id)),
    resolved,
    stillOpen: open.filter((f) => !newIds.has(f.id)),
    open,
    unknown: shown(input.delta.unknown),
    why: input.delta.why,
    quiet: input.delta.quiet.length,
    ...baselineNote(input.delta.baseline),
    belowThreshold: below,
    expiredOn: new Map(input.expired.map((e) => [e.finding.id, e.suppression.expires])),
    expiringSoon: input.suppressed.filter((s) => expiryTime(s.expires) <= horizon).sort((a, b) => expiryTime(a.expires) - expiryTime(b.expires)),
  };
}

function baselineNote(baseline: Delta['baseline']): { baselineNote?: string } {
  if (baseline.kind === 'fallback') return { baselineNote: `New and resolved are counted against run ${baseline.runId ?? '?'}: the last notified run's report could not be read.` };
  if (baseline.kind === 'unavailable') {
    return { baselineNote: 'Baseline unavailable: no earlier run report could be read, so nothing is called new; resolved comes from what Security Hub archived.' };
  }
  return {};
}

/** `version → target` for a finding, e.g. `v1.18.0-eksbuild.1 → v1.19.2-eksbuild.1`. */
export { versionMove } from '../../finding-text.js';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
