/** The deliver layer's public API: Security Hub, SNS (email + chat), run history, suppressions. */
export { toAsff, archived, defaultProductArn, findingTypes, ASFF_LIMITS } from './securityhub/asff.js';
export type { AsffContext } from './securityhub/asff.js';
export { SecurityHubSink } from './securityhub/sink.js';
export type {
  FailedImport,
  FindingsSink,
  SecurityHubClientFactory,
  SecurityHubScope,
  SecurityHubSinkOptions,
  SyncContext,
  SyncResult,
} from './securityhub/sink.js';
export { BATCH_IMPORT_RATE, TokenBucket } from './securityhub/pacing.js';
export type { Clock, Rate } from './securityhub/pacing.js';

export { renderEmail, emailSubject } from './notify/email.js';
export type { RenderedEmail } from './notify/email.js';
export { renderSlack } from './notify/slack.js';
export type { ChatNotification } from './notify/slack.js';
export { buildNotification, notificationBytes, SNS_MAX_BYTES } from './notify/message.js';
export type { NotificationMessage } from './notify/message.js';
export type { NotificationInput } from './notify/input.js';
export { shouldNotify, errorKey } from './notify/policy.js';
export type { NotifyDecision, NotifyPolicy } from './notify/policy.js';
export { NotifyError, SnsNotifier } from './notify/sns-notifier.js';
export type { Notifier } from './notify/sns-notifier.js';

export { computeDelta, knownFindings } from './history/delta.js';
export type { Delta, DeltaOptions, StoredRunReport } from './history/delta.js';
export { HistoryError, PointerHistoryStore, runKey } from './history/store.js';
export type { HistoryBackend, HistoryStore, HistoryStoreOptions } from './history/store.js';
export { S3HistoryStore } from './history/s3-store.js';
export type { S3HistoryOptions } from './history/s3-store.js';
export { LocalHistoryStore } from './history/local-store.js';

export { applySuppressions, loadSuppressions, parseSuppressions, SuppressionsError } from './suppressions.js';
export type { ExpiredSuppression, Suppression, SuppressionOutcome } from './suppressions.js';
