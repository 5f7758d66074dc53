import { describe, expect, it } from 'vitest';
import { knownScopesOfReport } from '../../../lib/deliver/history/scopes-summary.js';
import { aFinding } from '../fixtures.js';

describe('scopes-summary.ts', () => {
  it('counts where a finding could not be archived as known: Security Hub is read there when its account is back in the audit', () => {
    // Prepare
    const open = aFinding({ accountId: '111122223333', region: 'eu-west-1' });
    const pending = aFinding({ accountId: '444444444444', region: 'us-east-1', clusterName: 'lab' });

    // Act
    const scopes = knownScopesOfReport({ findings: [open], suppressed: [], archivePending: [pending] });

    // Assess
    expect([...(scopes ?? [])].sort()).toEqual(['111122223333/eu-west-1', '444444444444/us-east-1']);
  });
});
