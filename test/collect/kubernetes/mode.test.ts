import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../../lib/config.js';
import { scanOptionsOf } from '../../../lib/wiring.js';

const BASE = { AWS_REGION: 'us-east-1', AUDIT_ROLE_NAME: 'EksFleetAuditRole' };

describe('mode.ts (AUDIT_READ_DAEMONSET)', () => {
  it('reads the DaemonSet of self-managed CNIs only by default, and passes the mode to the scan', () => {
    expect(scanOptionsOf(readConfig(BASE)).readDaemonSet).toBe('self-managed');
    expect(scanOptionsOf(readConfig({ ...BASE, AUDIT_READ_DAEMONSET: 'all' })).readDaemonSet).toBe('all');
    expect(scanOptionsOf(readConfig({ ...BASE, AUDIT_READ_DAEMONSET: 'never' })).readDaemonSet).toBe('never');
  });

  it('rejects another value, naming the variable and the choices', () => {
    expect(() => readConfig({ ...BASE, AUDIT_READ_DAEMONSET: 'managed' })).toThrow(ConfigError);
    expect(() => readConfig({ ...BASE, AUDIT_READ_DAEMONSET: 'managed' })).toThrow(/AUDIT_READ_DAEMONSET: must be self-managed, all, never \(got "managed"\)/);
  });
});
