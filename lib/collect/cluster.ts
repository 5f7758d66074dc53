import type { LimitFunction } from 'p-limit';
import type { Account, CniFacts, ClusterFacts, UnreadSource } from '../types.js';
import { atStage, errorCode } from './errors.js';
import { selfManagedCniFacts } from './kubernetes/aws-node.js';
import { DEFAULT_DAEMONSET_READ_MODE, type DaemonSetReadMode } from './kubernetes/mode.js';
import { readAwsNode, type KubernetesIssue } from './kubernetes/read-aws-node.js';
import type { AccountSession, AddonCatalog, ClusterDescription, EksReader, KubernetesReader, VpcCniAddon } from './ports.js';

/** Where one cluster is read: an account session in a region, under the account's call limiter. */
export interface ClusterContext {
  account: Account;
  session: AccountSession;
  region: string;
  reader: EksReader;
  catalog: AddonCatalog;
  /** The account's limiter: every EKS call goes through it. */
  limit: LimitFunction;
  /** Reads the aws-node DaemonSet; absent = never read. */
  kubernetes?: KubernetesReader;
  readDaemonSet?: DaemonSetReadMode;
}

export type ClusterRead =
  | { kind: 'vanished' }
  /** `kubernetes`: why the aws-node DaemonSet could not be read, when it was to be. */
  | { kind: 'read'; facts: ClusterFacts; catalogError?: unknown; kubernetes?: KubernetesIssue };

interface CniRead {
  cni: CniFacts;
  kubernetes?: KubernetesIssue;
  /** The aws-node facts this read could not get (another CNI is not a gap: there is nothing to read). */
  unread?: UnreadSource;
}

function awsNodeUnread(issue: KubernetesIssue | undefined, mode: DaemonSetReadMode): UnreadSource | undefined {
  if (issue === undefined) return { source: 'aws-node', reason: mode === 'never' ? 'aws-node not read (AUDIT_READ_DAEMONSET=never)' : 'aws-node not read' };
  if (issue.kind === 'unavailable' && issue.note === 'vpc-cni-not-installed') return undefined;
  return { source: 'aws-node', reason: issue.reason };
}

/**
 * Reads one cluster's vpc-cni facts: DescribeCluster and DescribeAddon in parallel (2 calls for
 * a managed add-on), plus ListPodIdentityAssociations and the aws-node DaemonSet (Kubernetes API)
 * for a self-managed CNI. The offered versions come from the run-wide catalog. Rejects with a
 * StageError naming the failed EKS call; a failed Kubernetes read only comes back as `kubernetes`.
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
    addon ? managedCni(ctx, description, addon) : selfManagedCni(ctx, description),
  ]);
  const facts = toFacts(ctx, description, cni.cni);
  const read: ClusterRead = { kind: 'read', facts, ...(cni.kubernetes ? { kubernetes: cni.kubernetes } : {}) };
  const unread: UnreadSource[] = [];
  if (cni.unread) unread.push(cni.unread);
  if ('versions' in offered) facts.offeredVersions = offered.versions;
  else {
    read.catalogError = offered.error;
    unread.push({
      source: 'catalog',
      reason: `the vpc-cni versions EKS offers for Kubernetes ${description.kubernetesVersion} in ${ctx.region} could not be read (${errorCode(offered.error)})`,
    });
  }
  if (unread.length > 0) facts.unread = unread;
  return read;
}

function daemonSetReader(ctx: ClusterContext, managed: boolean): KubernetesReader | undefined {
  const mode = ctx.readDaemonSet ?? DEFAULT_DAEMONSET_READ_MODE;
  return mode === 'all' || (mode === 'self-managed' && !managed) ? ctx.kubernetes : undefined;
}

/** With AUDIT_READ_DAEMONSET=all, also what the DaemonSet runs, to show drift from the add-on. */
async function managedCni(ctx: ClusterContext, description: ClusterDescription, addon: VpcCniAddon): Promise<CniRead> {
  const cni: CniFacts = { managed: true, source: 'addon', ...addon };
  const reader = daemonSetReader(ctx, true);
  if (!reader) return { cni };
  const awsNode = await readAwsNode({ reader, description, region: ctx.region, limit: ctx.limit, withServiceAccount: false });
  if (awsNode.kind !== 'read') return { cni, kubernetes: awsNode, ...optional('unread', awsNodeUnread(awsNode, 'all')) };
  if (awsNode.daemonSet.version !== null) cni.daemonSetVersion = awsNode.daemonSet.version;
  return { cni };
}

async function selfManagedCni(ctx: ClusterContext, description: ClusterDescription): Promise<CniRead> {
  const reader = daemonSetReader(ctx, false);
  const [podIdentityAssociations, awsNode] = await Promise.all([
    atStage('list-pod-identity', () => ctx.limit(() => ctx.reader.listAwsNodePodIdentities(description.name))),
    reader ? readAwsNode({ reader, description, region: ctx.region, limit: ctx.limit, withServiceAccount: true }) : undefined,
  ]);
  if (awsNode?.kind === 'read') {
    return { cni: selfManagedCniFacts(awsNode.daemonSet, awsNode.serviceAccountRoleArn, podIdentityAssociations) };
  }
  const cni: CniFacts = {
    managed: false,
    source: awsNode?.kind === 'unavailable' && awsNode.note === 'vpc-cni-not-installed' ? 'absent' : 'none',
    version: null,
    status: null,
    healthIssues: [],
    configurationValues: null,
    serviceAccountRoleArn: null,
    podIdentityAssociations,
  };
  const unread = awsNodeUnread(awsNode, ctx.readDaemonSet ?? DEFAULT_DAEMONSET_READ_MODE);
  return { cni, ...optional('kubernetes', awsNode), ...optional('unread', unread) };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
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
  if (ctx.account.ouPath !== undefined) facts.ouPath = ctx.account.ouPath;
  if (description.platformVersion !== undefined) facts.platformVersion = description.platformVersion;
  return facts;
}
