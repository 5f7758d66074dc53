import { DescribeAddonVersionsCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAddonCatalog, newestFirst } from '../../lib/collect/catalog.js';
import type { AccountSession } from '../../lib/collect/ports.js';
import { awsError, callerCredentials } from './fake-org.js';

const eks = mockClient(EKSClient);
const session = (accountId: string): AccountSession => ({ accountId, partition: 'aws', credentials: callerCredentials });
const catalog = () => createAddonCatalog((_session, region) => new EKSClient({ region }));

afterEach(() => {
  eks.reset();
});

describe('catalog.ts', () => {
  it('asks once per region × Kubernetes version, concurrent askers from any account included', async () => {
    // Prepare
    eks.on(DescribeAddonVersionsCommand).resolves({
      addons: [{ addonName: 'vpc-cni', addonVersions: [{ addonVersion: 'v1.18.0-eksbuild.1' }] }],
    });
    const offered = catalog();

    // Act
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => offered.offeredVersions(session(`acct-${i}`), 'eu-west-1', '1.30')),
      offered.offeredVersions(session('x'), 'eu-west-1', '1.31'),
      offered.offeredVersions(session('y'), 'us-east-1', '1.30'),
    ]);
    await offered.offeredVersions(session('z'), 'eu-west-1', '1.30');

    // Assess
    expect(eks).toHaveReceivedCommandTimes(DescribeAddonVersionsCommand, 3);
    expect(eks).toHaveReceivedCommandWith(DescribeAddonVersionsCommand, { addonName: 'vpc-cni', kubernetesVersion: '1.31' });
  });

  it('collects versions across pages, without duplicates, newest first', async () => {
    // Prepare
    eks
      .on(DescribeAddonVersionsCommand)
      .resolvesOnce({
        addons: [{ addonVersions: [{ addonVersion: 'v1.18.6-eksbuild.1' }, { addonVersion: 'v1.19.0-eksbuild.1' }] }],
        nextToken: 'n',
      })
      .resolvesOnce({
        addons: [{ addonVersions: [{ addonVersion: 'v1.19.0-eksbuild.2' }, { addonVersion: 'v1.18.6-eksbuild.1' }] }],
      });

    // Act
    const versions = await catalog().offeredVersions(session('a'), 'eu-west-1', '1.30');

    // Assess
    expect(versions).toEqual(['v1.19.0-eksbuild.2', 'v1.19.0-eksbuild.1', 'v1.18.6-eksbuild.1']);
  });

  it('keeps a failure for the run instead of asking again for every cluster', async () => {
    // Prepare
    eks.on(DescribeAddonVersionsCommand).rejects(awsError('ServiceUnavailableException'));
    const offered = catalog();

    // Act
    const first = offered.offeredVersions(session('a'), 'eu-west-1', '1.30');
    const second = offered.offeredVersions(session('b'), 'eu-west-1', '1.30');

    // Assess
    await expect(first).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
    await expect(second).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
    expect(eks).toHaveReceivedCommandTimes(DescribeAddonVersionsCommand, 1);
  });

  it('orders versions by release then eksbuild number, a release candidate before its release, junk last', () => {
    // Act
    const ordered = newestFirst([
      'v1.9.0-eksbuild.1',
      'custom',
      'v1.10.0-eksbuild.10',
      'v1.10.0-eksbuild.9',
      'v1.11.0-rc1-eksbuild.3',
      'v1.11.0-eksbuild.1',
    ]);

    // Assess
    expect(ordered).toEqual([
      'v1.11.0-eksbuild.1',
      'v1.11.0-rc1-eksbuild.3',
      'v1.10.0-eksbuild.10',
      'v1.10.0-eksbuild.9',
      'v1.9.0-eksbuild.1',
      'custom',
    ]);
  });
});
