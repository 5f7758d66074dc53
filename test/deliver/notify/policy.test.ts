import { describe, expect, it } from 'vitest';
import { shouldNotify } from '../../../lib/deliver/notify/policy.js';
import type { ScanError } from '../../../lib/types.js';
import { aFinding } from '../fixtures.js';

const none = { new: [], resolved: [] };
const denied: ScanError = { accountId: '111122223333', region: 'eu-west-1', stage: 'list-clusters', code: 'AccessDeniedException', message: 'denied at 02:00' };

describe('policy.ts', () => {
  it('always and never mean what they say', () => {
    // Act
    const always = shouldNotify({ mode: 'always', minSeverity: 'high' }, none, [], []);
    const never = shouldNotify({ mode: 'never', minSeverity: 'low' }, { new: [aFinding()], resolved: [] }, [denied], []);

    // Assess
    expect(always.notify).toBe(true);
    expect(never.notify).toBe(false);
  });

  it('on-change notifies for new or resolved findings at or above the threshold only', () => {
    // Prepare
    const policy = { mode: 'on-change' as const, minSeverity: 'high' as const };

    // Act
    const onlyLow = shouldNotify(policy, { new: [aFinding({ severity: 'low' })], resolved: [aFinding({ severity: 'medium' })] }, [], []);
    const newHigh = shouldNotify(policy, { new: [aFinding({ severity: 'high' })], resolved: [] }, [], []);
    const resolvedCritical = shouldNotify(policy, { new: [], resolved: [aFinding({ severity: 'critical' })] }, [], []);

    // Assess
    expect(onlyLow.notify).toBe(false);
    expect(newHigh).toEqual({ notify: true, reason: '1 new' });
    expect(resolvedCritical).toEqual({ notify: true, reason: '1 resolved' });
  });

  it('on-change notifies for a new error, not for one already reported (whatever its message)', () => {
    // Prepare
    const policy = { mode: 'on-change' as const, minSeverity: 'high' as const };

    // Act
    const first = shouldNotify(policy, none, [denied], undefined);
    const again = shouldNotify(policy, none, [{ ...denied, message: 'denied at 03:00' }], [denied]);
    const elsewhere = shouldNotify(policy, none, [{ ...denied, region: 'us-east-1' }], [denied]);

    // Assess
    expect(first.notify).toBe(true);
    expect(again.notify).toBe(false);
    expect(elsewhere).toEqual({ notify: true, reason: '1 new errors' });
  });
});
