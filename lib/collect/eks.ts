import {
  DescribeAddonCommand,
  DescribeClusterCommand,
  paginateListClusters,
  paginateListPodIdentityAssociations,
  type Addon,
  type EKSClient,
} from '@aws-sdk/client-eks';
import type { HealthIssue, PodIdentityAssociation } from '../types.js';
import { MalformedResponseError } from './errors.js';
import type { ClusterDescription, EksReader, VpcCniAddon } from './ports.js';

const CNI_NAMESPACE = 'kube-system';
const CNI_SERVICE_ACCOUNT = 'aws-node';

export function createEksReader(client: EKSClient, region: string): EksReader {
  return {
    async listClusters() {
      const names: string[] = [];
      for await (const page of paginateListClusters({ client }, {})) names.push(...(page.clusters ?? []));
      return names;
    },

    async describeCluster(name) {
      const cluster = await orNullIfNotFound(client.send(new DescribeClusterCommand({ name })));
      if (cluster === null) return null;
      const c = cluster.cluster;
      const missing = (field: string) =>
        new MalformedResponseError(`DescribeCluster ${name} in ${region}: response lacks ${field}`);
      if (!c) throw missing('cluster');
      if (!c.arn) throw missing('cluster.arn');
      if (!c.version) throw missing('cluster.version');
      if (!c.status) throw missing('cluster.status');
      const description: ClusterDescription = {
        name,
        arn: c.arn,
        kubernetesVersion: c.version,
        status: c.status,
        tags: { ...c.tags },
      };
      if (c.platformVersion) description.platformVersion = c.platformVersion;
      if (c.endpoint) description.endpoint = c.endpoint;
      if (c.certificateAuthority?.data) description.certificateAuthority = c.certificateAuthority.data;
      return description;
    },

    async describeVpcCni(clusterName) {
      const output = await orNullIfNotFound(client.send(new DescribeAddonCommand({ clusterName, addonName: 'vpc-cni' })));
      if (output === null) return null;
      if (!output.addon) {
        throw new MalformedResponseError(`DescribeAddon vpc-cni of ${clusterName} in ${region}: response lacks addon`);
      }
      return toVpcCniAddon(output.addon);
    },

    async listAwsNodePodIdentities(clusterName) {
      const associations: PodIdentityAssociation[] = [];
      const pages = paginateListPodIdentityAssociations(
        { client },
        { clusterName, namespace: CNI_NAMESPACE, serviceAccount: CNI_SERVICE_ACCOUNT },
      );
      for await (const page of pages) {
        for (const a of page.associations ?? []) {
          associations.push({
            ...(a.associationId === undefined ? {} : { associationId: a.associationId }),
            namespace: a.namespace ?? CNI_NAMESPACE,
            serviceAccount: a.serviceAccount ?? CNI_SERVICE_ACCOUNT,
          });
        }
      }
      return associations;
    },
  };
}

function toVpcCniAddon(addon: Addon): VpcCniAddon {
  const healthIssues: HealthIssue[] = (addon.health?.issues ?? []).map((issue) => ({
    code: issue.code ?? 'Unknown',
    message: issue.message ?? '',
    ...(issue.resourceIds?.length ? { resourceIds: [...issue.resourceIds] } : {}),
  }));
  return {
    version: addon.addonVersion ?? null,
    status: addon.status ?? null,
    healthIssues,
    configurationValues: addon.configurationValues ?? null,
    serviceAccountRoleArn: addon.serviceAccountRoleArn ?? null,
    // DescribeAddon lists only ARNs; an add-on's associations are for its own service account.
    podIdentityAssociations: (addon.podIdentityAssociations ?? []).map(associationFromArn),
  };
}

/** `arn:aws:eks:eu-west-1:111122223333:podidentityassociation/cluster/a-1234` → its id `a-1234`. */
function associationFromArn(arn: string): PodIdentityAssociation {
  const associationId = arn.split('/').pop();
  return {
    ...(associationId ? { associationId } : {}),
    namespace: CNI_NAMESPACE,
    serviceAccount: CNI_SERVICE_ACCOUNT,
  };
}

async function orNullIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return null;
    throw error;
  }
}
