/**
 * The obvious scan, for comparison: account by account, region by region, cluster by cluster,
 * awaiting each SDK call, with plain SDK clients (endpoint and caller keys from the environment,
 * as the handler gets them). It only reads: no Security Hub, SNS or history.
 */
import { AccountClient, paginateListRegions } from '@aws-sdk/client-account';
import {
  DescribeAddonCommand,
  DescribeAddonVersionsCommand,
  DescribeClusterCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  paginateListClusters,
} from '@aws-sdk/client-eks';
import { DescribeOrganizationCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface NaiveScanOptions {
  homeRegion: string;
  roleName: string;
  maxAttempts: number;
}

export interface NaiveScanResult {
  accounts: number;
  clusters: number;
  errors: { accountId: string; region?: string; cluster?: string; code: string }[];
}

const codeOf = (error: unknown) => (error instanceof Error ? error.name : 'Error');

export async function naiveScan(options: NaiveScanOptions): Promise<NaiveScanResult> {
  const { homeRegion, maxAttempts } = options;
  const organizations = new OrganizationsClient({ region: homeRegion, maxAttempts });
  const sts = new STSClient({ region: homeRegion, maxAttempts });
  const result: NaiveScanResult = { accounts: 0, clusters: 0, errors: [] };
  try {
    const accounts = [];
    for await (const page of paginateListAccounts({ client: organizations }, {})) accounts.push(...(page.Accounts ?? []));
    const { Organization } = await organizations.send(new DescribeOrganizationCommand({}));
    for (const account of accounts) {
      if (account.State !== 'ACTIVE' || !account.Id) continue;
      let credentials: AwsCredentialIdentity | undefined;
      if (account.Id !== Organization?.MasterAccountId) {
        try {
          const { Credentials: c } = await sts.send(
            new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account.Id}:role/${options.roleName}`, RoleSessionName: 'naive-scan' }),
          );
          credentials = { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' };
        } catch (error) {
          result.errors.push({ accountId: account.Id, code: codeOf(error) });
          continue;
        }
      }
      result.accounts += 1;
      await scanAccount(account.Id, { region: homeRegion, maxAttempts, ...(credentials ? { credentials } : {}) }, result);
    }
  } finally {
    organizations.destroy();
    sts.destroy();
  }
  return result;
}

type ClientOptions = { region: string; maxAttempts: number; credentials?: AwsCredentialIdentity };

async function scanAccount(accountId: string, home: ClientOptions, result: NaiveScanResult): Promise<void> {
  const accountClient = new AccountClient(home);
  const regions: string[] = [];
  try {
    for await (const page of paginateListRegions({ client: accountClient }, { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] })) {
      for (const r of page.Regions ?? []) if (r.RegionName) regions.push(r.RegionName);
    }
  } catch (error) {
    result.errors.push({ accountId, code: codeOf(error) });
    return;
  } finally {
    accountClient.destroy();
  }
  for (const region of regions) {
    const eks = new EKSClient({ ...home, region });
    try {
      const names: string[] = [];
      for await (const page of paginateListClusters({ client: eks }, {})) names.push(...(page.clusters ?? []));
      for (const name of names) {
        try {
          await readCluster(eks, name);
          result.clusters += 1;
        } catch (error) {
          result.errors.push({ accountId, region, cluster: name, code: codeOf(error) });
        }
      }
    } catch (error) {
      result.errors.push({ accountId, region, code: codeOf(error) });
    } finally {
      eks.destroy();
    }
  }
}

/** DescribeCluster, DescribeAddon, then the offered versions for this cluster (no cache). */
async function readCluster(eks: EKSClient, name: string): Promise<void> {
  const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
  try {
    await eks.send(new DescribeAddonCommand({ clusterName: name, addonName: 'vpc-cni' }));
  } catch (error) {
    if (codeOf(error) !== 'ResourceNotFoundException') throw error;
    await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: name, namespace: 'kube-system', serviceAccount: 'aws-node' }));
  }
  await eks.send(new DescribeAddonVersionsCommand({ addonName: 'vpc-cni', ...(cluster?.version ? { kubernetesVersion: cluster.version } : {}) }));
}
