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

  it('keeps only the builds listed for the Kubernetes version asked, and of vpc-cni', async () => {
    // Prepare: an answer that also carries a build for Kubernetes 1.24 only, and another add-on
    eks.on(DescribeAddonVersionsCommand).resolves({
      addons: [
        {
          addonName: 'vpc-cni',
          addonVersions: [
            { addonVersion: 'v1.18.0-eksbuild.1', compatibilities: [{ clusterVersion: '1.29' }, { clusterVersion: '1.28' }] },
            { addonVersion: 'v1.12.2-eksbuild.1', compatibilities: [{ clusterVersion: '1.24' }] },
          ],
        },
        { addonName: 'coredns', addonVersions: [{ addonVersion: 'v1.11.1-eksbuild.4', compatibilities: [{ clusterVersion: '1.29' }] }] },
      ],
    });

    // Act
    const versions = await catalog().offeredVersions(session('a'), 'eu-west-1', '1.29');

    // Assess
    expect(versions).toEqual(['v1.18.0-eksbuild.1']);
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

  it("reads again with another account's session after one account is denied, and never lets that denial spread", async () => {
    // Prepare: each client carries its asker's account as its access key; account a is denied
    const asked: string[] = [];
    eks.on(DescribeAddonVersionsCommand).callsFake(async (_input, getClient) => {
      const { accessKeyId } = await (getClient().config.credentials as () => Promise<{ accessKeyId: string }>)();
      asked.push(accessKeyId);
      if (accessKeyId === 'a') throw awsError('AccessDeniedException', 'not authorized to perform: eks:DescribeAddonVersions');
      return { addons: [{ addonVersions: [{ addonVersion: 'v1.19.0-eksbuild.1' }] }] };
    });
    const offered = createAddonCatalog((s, region) => new EKSClient({ region, credentials: async () => ({ accessKeyId: s.accountId, secretAccessKey: 'x' }) }));

    // Act
    const denied = offered.offeredVersions(session('a'), 'eu-west-1', '1.30');
    const deniedAgain = offered.offeredVersions(session('a'), 'eu-west-1', '1.30');
    const other = await offered.offeredVersions(session('b'), 'eu-west-1', '1.30');
    const later = await offered.offeredVersions(session('a'), 'eu-west-1', '1.30');

    // Assess
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(deniedAgain).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(other).toEqual(['v1.19.0-eksbuild.1']);
    expect(later).toEqual(['v1.19.0-eksbuild.1']);
    expect(asked).toEqual(['a', 'b']);
  });

  it("reads with the caller's own session first, so an account denied the call gets the catalog whenever it asks", async () => {
    // Prepare: account a is denied; the caller is not
    const asked: string[] = [];
    eks.on(DescribeAddonVersionsCommand).callsFake(async (_input, getClient) => {
      const { accessKeyId } = await (getClient().config.credentials as () => Promise<{ accessKeyId: string }>)();
      asked.push(accessKeyId);
      if (accessKeyId === 'a') throw awsError('AccessDeniedException');
      return { addons: [{ addonVersions: [{ addonVersion: 'v1.19.0-eksbuild.1' }] }] };
    });
    const clientFor = (s: AccountSession, region: string) => new EKSClient({ region, credentials: async () => ({ accessKeyId: s.accountId, secretAccessKey: 'x' }) });

    // Act
    const versions = await createAddonCatalog(clientFor, session('caller')).offeredVersions(session('a'), 'eu-west-1', '1.30');

    // Assess
    expect(versions).toEqual(['v1.19.0-eksbuild.1']);
    expect(asked).toEqual(['caller']);
  });

  it('gives a region up after three accounts failed, instead of asking a failing API for every cluster', async () => {
    // Prepare
    eks.on(DescribeAddonVersionsCommand).rejects(awsError('ServiceUnavailableException'));
    const offered = catalog();

    // Act
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e', 'a'].map((id) => offered.offeredVersions(session(id), 'eu-west-1', '1.30')));

    // Assess
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(eks).toHaveReceivedCommandTimes(DescribeAddonVersionsCommand, 3);
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
