/**
 * When the aws-node DaemonSet is read (AUDIT_READ_DAEMONSET): `self-managed` only where no managed
 * add-on tells the version; `all` also for managed add-ons, to record drift between the add-on
 * version and what actually runs; `never`.
 */
export const DAEMONSET_READ_MODES = ['self-managed', 'all', 'never'] as const;
export type DaemonSetReadMode = (typeof DAEMONSET_READ_MODES)[number];
export const DEFAULT_DAEMONSET_READ_MODE: DaemonSetReadMode = 'self-managed';
