import type { LimitFunction } from 'p-limit';
import type { Account, CniFacts, ClusterFacts } from '../types.js';
import { atStage } from './errors.js';
import type { AccountSession, AddonCatalog, ClusterDescription, EksReader, VpcCniAddon } from './ports.js';

/** Where one cluster is read: an account session in a region, under the account's call limiter. */
export interface ClusterContext {
  account: Account;
  session: AccountSession;
  region: string;
  reader: EksReader;
  catalog: AddonCatalog;
  /** The account's limiter: every EKS call goes through it. */
  limit: LimitFunction;
}

export type ClusterRead =
  | { kind: 'vanished' }
  | { kind: 'read'; facts: ClusterFacts; catalogError?: unknown };

/**
 * Reads one cluster's vpc-cni facts: DescribeCluster and DescribeAddon in parallel (2 calls for
 * a managed add-on), plus ListPodIdentityAssociations for a self-managed CNI. The offered
 * versions come from the run-wide catalog. Rejects with a StageError naming the failed call.
 */
export async function readCluster(ctx: ClusterContext, name: string): Promise<ClusterRead> {
  const { reader, limit } = ctx;
  const [description, addon] = await Promise.all([
    atStage('describe-cluster', () => limit(() => reader.describeCluster(name))),
    atStage('describe-addon', () => limit(() => reader.describeVpcCni(name))),
  ]);
  // Deleted between ListClusters and now: nothing to report, and nothing failed.
  if (description === null) return { kind: 'vanished' };

  const [offered, cni] = await Promise.all([
    atStage('describe-addon-versions', () =>
      limit(() => ctx.catalog.offeredVersions(ctx.session, ctx.region, description.kubernetesVersion)),
    ).then(
      (versions) => ({ versions }),
      (error: unknown) => ({ error }),
    ),
    addon ? managedCni(addon) : selfManagedCni(ctx, name),
  ]);
  const facts = toFacts(ctx, description, cni);
  if ('versions' in offered) {
    facts.offeredVersions = offered.versions;
    return { kind: 'read', facts };
  }
  return { kind: 'read', facts, catalogError: offered.error };
}

function managedCni(addon: VpcCniAddon): CniFacts {
  return { managed: true, source: 'addon', ...addon };
}

async function selfManagedCni(ctx: ClusterContext, name: string): Promise<CniFacts> {
  const podIdentityAssociations = await atStage('list-pod-identity', () =>
    ctx.limit(() => ctx.reader.listAwsNodePodIdentities(name)),
  );
  return {
    managed: false,
    source: 'none',
    version: null,
    status: null,
    healthIssues: [],
    configurationValues: null,
    serviceAccountRoleArn: null,
    podIdentityAssociations,
  };
}

function toFacts(ctx: ClusterContext, description: ClusterDescription, cni: CniFacts): ClusterFacts {
  const facts: ClusterFacts = {
    accountId: ctx.account.id,
    accountName: ctx.account.name,
    partition: ctx.session.partition,
    region: ctx.region,
    clusterName: description.name,
    clusterArn: description.arn,
    kubernetesVersion: description.kubernetesVersion,
    clusterStatus: description.status,
    tags: description.tags,
    cni,
  };
  if (ctx.account.ou !== undefined) facts.ou = ctx.account.ou;
  if (description.platformVersion !== undefined) facts.platformVersion = description.platformVersion;
  return facts;
}
