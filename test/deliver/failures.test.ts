import { describe, expect, it } from 'vitest';
import { deliveryFailures } from '../../lib/deliver/failures.js';
import type { ScanError } from '../../lib/types.js';

const refused: ScanError = { accountId: '1', region: 'us-east-1', stage: 'deliver-securityhub', code: 'InternalException', message: 'refused' };
const delivered = { location: 's3://b/k' };

describe('failures.ts', () => {
  it('names Security Hub only when it refused everywhere an import was tried', () => {
    // Act
    const everywhere = deliveryFailures({ securityHub: { scopes: 3, imported: 0, archived: 0, failed: 7 }, history: delivered }, [refused]);
    const wholeCallsRefused = deliveryFailures({ securityHub: { scopes: 3, imported: 0, archived: 0, failed: 0 }, history: delivered }, [refused]);
    const somewhere = deliveryFailures({ securityHub: { scopes: 3, imported: 4, archived: 0, failed: 2 }, history: delivered }, [refused]);
    const archivedOnly = deliveryFailures({ securityHub: { scopes: 3, imported: 0, archived: 1, failed: 2 }, history: delivered }, [refused]);
    const nothingToSend = deliveryFailures({ securityHub: { scopes: 3, imported: 0, archived: 0, failed: 0 }, history: delivered }, []);

    // Assess
    expect([everywhere, wholeCallsRefused, somewhere, archivedOnly, nothingToSend]).toEqual([['securityHub'], ['securityHub'], [], [], []]);
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
