import { describe, expect, it } from 'vitest';
import { deliveryFailures } from '../../lib/deliver/failures.js';
import type { ScanError } from '../../lib/types.js';

const refused = (accountId: string, region: string): ScanError => ({ accountId, region, stage: 'deliver-securityhub', code: 'InternalException', message: 'refused' });
const synced = { scopes: 2, imported: 3, archived: 0, failed: 3 };

describe('failures.ts', () => {
  it('names Security Hub only when it refused in every account-region synced', () => {
    // Act
    const everywhere = deliveryFailures({ securityHub: synced, history: { location: 's3://b/k' } }, [refused('1', 'us-east-1'), refused('2', 'eu-west-1')]);
    const once = deliveryFailures({ securityHub: synced, history: { location: 's3://b/k' } }, [refused('1', 'us-east-1'), refused('1', 'us-east-1')]);
    const nothingToSync = deliveryFailures({ securityHub: { ...synced, scopes: 0 }, history: 'disabled' }, []);

    // Assess
    expect(everywhere).toEqual(['securityHub']);
    expect(once).toEqual([]);
    expect(nothingToSync).toEqual([]);
  });

  it('names a notification SNS refused and a history that could not be saved, and nothing in a dry run', () => {
    // Prepare
    const sns: ScanError = { accountId: '-', stage: 'deliver-sns', code: 'NotifyError', message: 'publish failed' };

    // Act
    const failed = deliveryFailures({ securityHub: 'disabled', history: 'failed' }, [sns]);
    const dryRun = deliveryFailures({ securityHub: 'dry-run', history: 'dry-run' }, []);

    // Assess
    expect(failed).toEqual(['notification', 'history']);
    expect(dryRun).toEqual([]);
  });
});
