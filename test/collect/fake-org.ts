/**
 * A small fake AWS Organization behind aws-sdk-client-mock: every SDK client the real adapters
 * build answers from one declarative description, routed by the client's region and by the
 * account its credentials belong to.
 */
import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import {
  DescribeAddonCommand,
  DescribeAddonVersionsCommand,
  DescribeClusterCommand,
  EKSClient,
  ListClustersCommand,
  ListPodIdentityAssociationsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeCluster {
  name: string;
  version?: string;
  /** The vpc-cni add-on version; null = no managed add-on (self-managed CNI). */
  addonVersion?: string | null;
  /** DescribeCluster rejects with this. */
  describeError?: Error;
}

export interface FakeAccount {
  id: string;
  name?: string;
  state?: string;
  /** The retired field, for accounts listed without State. */
  status?: string;
  /** The OU the account sits in (default: the root). */
  parent?: string;
}

export interface FakeOrgSpec {
  managementId: string;
  accounts: FakeAccount[];
  /** OU id → child OU ids (root: 'r-root'). */
  ous?: Record<string, string[]>;
  /** Per account, per region: its clusters, or 'disabled' (an opt-in region not enabled). */
  regions: Record<string, Record<string, FakeCluster[] | 'disabled'>>;
  /** Accounts whose audit role cannot be assumed. */
  assumeDenied?: string[];
  /** Offered vpc-cni versions per Kubernetes version (any order); missing = empty. */
  offered?: Record<string, string[]>;
  /** DescribeAddonVersions rejects with this. */
  catalogError?: Error;
}

export const ROOT = 'r-root';

/** Credentials the scan uses with its own identity (the management account's). */
export const callerCredentials: AwsCredentialIdentityProvider = async () => ({
  accessKeyId: 'CALLER',
  secretAccessKey: 'caller-secret',
});

export function awsError(name: string, message = `${name} (fake)`): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });
}

const installed: { restore(): void }[] = [];

/** Undoes installFakeOrg (call it in afterEach). */
export function restoreFakeOrg(): void {
  for (const mock of installed.splice(0)) mock.restore();
}

export function installFakeOrg(spec: FakeOrgSpec) {
  const organizations = mockClient(OrganizationsClient);
  const sts = mockClient(STSClient);
  const account = mockClient(AccountClient);
  const eks = mockClient(EKSClient);
  installed.push(organizations, sts, account, eks);

  organizations.on(DescribeOrganizationCommand).resolves({ Organization: { MasterAccountId: spec.managementId } });
  organizations.on(ListAccountsCommand).resolves({
    Accounts: spec.accounts.map((a) => ({
      Id: a.id,
      Name: a.name ?? `account-${a.id}`,
      ...(a.status === undefined ? { State: (a.state ?? 'ACTIVE') as 'ACTIVE' } : { Status: a.status as 'ACTIVE' }),
    })),
  });
  organizations.on(ListAccountsForParentCommand).callsFake((input: { ParentId: string }) => ({
    Accounts: spec.accounts.filter((a) => (a.parent ?? ROOT) === input.ParentId).map((a) => ({ Id: a.id })),
  }));
  organizations.on(ListChildrenCommand).callsFake((input: { ParentId: string }) => ({
    Children: (spec.ous?.[input.ParentId] ?? []).map((Id) => ({ Id, Type: 'ORGANIZATIONAL_UNIT' })),
  }));

  sts.on(GetCallerIdentityCommand).resolves({ Account: spec.managementId, Arn: `arn:aws:iam::${spec.managementId}:user/auditor` });
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const accountId = input.RoleArn.split(':')[4] ?? '';
    if (spec.assumeDenied?.includes(accountId)) {
      throw awsError('AccessDenied', `User: arn:aws:sts::${spec.managementId}:assumed-role/auditor is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
    }
    return {
      Credentials: {
        AccessKeyId: `KEY-${accountId}`,
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    };
  });

  account.on(ListRegionsCommand).callsFake(async (_input: unknown, getClient: () => AccountClient) => {
    const { accountId } = await whoCalls(getClient(), spec.managementId);
    const regions = Object.entries(spec.regions[accountId] ?? {})
      .filter(([, clusters]) => clusters !== 'disabled')
      .map(([RegionName]) => ({ RegionName, RegionOptStatus: 'ENABLED' as const }));
    return { Regions: regions };
  });

  const clustersOf = async (getClient: () => EKSClient) => {
    const { accountId, region } = await whoCalls(getClient(), spec.managementId);
    const clusters = spec.regions[accountId]?.[region] ?? [];
    if (clusters === 'disabled') throw awsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    return { accountId, region, clusters };
  };
  const clusterOf = async (getClient: () => EKSClient, name: string) => {
    const where = await clustersOf(getClient);
    const cluster = where.clusters.find((c) => c.name === name);
    if (!cluster) throw new ResourceNotFoundException({ message: `No cluster found for name: ${name}.`, $metadata: {} });
    return { ...where, cluster };
  };

  eks.on(ListClustersCommand).callsFake(async (_input: unknown, getClient: () => EKSClient) => {
    const { clusters } = await clustersOf(getClient);
    return { clusters: clusters.map((c) => c.name) };
  });
  eks.on(DescribeClusterCommand).callsFake(async (input: { name: string }, getClient: () => EKSClient) => {
    const { accountId, region, cluster } = await clusterOf(getClient, input.name);
    if (cluster.describeError) throw cluster.describeError;
    return {
      cluster: {
        name: cluster.name,
        arn: `arn:aws:eks:${region}:${accountId}:cluster/${cluster.name}`,
        version: cluster.version ?? '1.30',
        status: 'ACTIVE',
        platformVersion: 'eks.8',
        tags: { team: 'platform' },
      },
    };
  });
  eks.on(DescribeAddonCommand).callsFake(async (input: { clusterName: string }, getClient: () => EKSClient) => {
    const { cluster } = await clusterOf(getClient, input.clusterName);
    const version = cluster.addonVersion === undefined ? 'v1.18.0-eksbuild.1' : cluster.addonVersion;
    if (version === null) throw new ResourceNotFoundException({ message: 'No addon: vpc-cni found in cluster', $metadata: {} });
    return { addon: { addonName: 'vpc-cni', addonVersion: version, status: 'ACTIVE', health: { issues: [] } } };
  });
  eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
  eks.on(DescribeAddonVersionsCommand).callsFake((input: { kubernetesVersion: string }) => {
    if (spec.catalogError) throw spec.catalogError;
    const versions = spec.offered?.[input.kubernetesVersion] ?? [];
    return { addons: [{ addonName: 'vpc-cni', addonVersions: versions.map((addonVersion) => ({ addonVersion })) }] };
  });

  return { organizations, sts, account, eks };
}

/** The account (from the credentials the client signs with) and region of a mocked client. */
export async function whoCalls(
  client: { config: { region: unknown; credentials: unknown } },
  managementId: string,
): Promise<{ accountId: string; region: string }> {
  const region = await (client.config.region as () => Promise<string>)();
  const credentials = await (client.config.credentials as AwsCredentialIdentityProvider)();
  const accountId = credentials.accessKeyId === 'CALLER' ? managementId : credentials.accessKeyId.replace(/^KEY-/, '');
  return { accountId, region };
}
