import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegionLister } from '../../lib/collect/regions.js';
import { callerCredentials } from './fake-org.js';

const account = mockClient(AccountClient);

afterEach(() => {
  account.reset();
});

describe('regions.ts', () => {
  it("lists the session account's enabled regions across pages, asking only for enabled ones", async () => {
    // Prepare
    account
      .on(ListRegionsCommand)
      .resolvesOnce({ Regions: [{ RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' }], NextToken: 'n' })
      .resolvesOnce({ Regions: [{ RegionName: 'ap-east-1', RegionOptStatus: 'ENABLED' }] });
    const client = new AccountClient({ region: 'us-east-1' });
    const sessions: string[] = [];
    const lister = createRegionLister((session) => {
      sessions.push(session.accountId);
      return client;
    });

    // Act
    const regions = await lister.enabledRegions({ accountId: '123456789012', partition: 'aws', credentials: callerCredentials });

    // Assess
    expect(regions).toEqual(['ap-east-1', 'us-east-1']);
    expect(sessions).toEqual(['123456789012']);
    expect(account).toHaveReceivedCommandTimes(ListRegionsCommand, 2);
    expect(account).toHaveReceivedNthCommandWith(ListRegionsCommand, 1, {
      RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'],
    });
  });
});
