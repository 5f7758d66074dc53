/**
 * The bare-SDK floor: the same AWS calls the product made in a run (operation by operation,
 * account by account, region by region, as the simulator counted them), through the same SDK
 * clients, one shared HTTP handler sized as the product's, and the same concurrency — and nothing
 * else: no rules, no facts, no report. What the product costs beyond it is its own.
 *
 * Its clients are built as the product builds its own (lib/collect/clients.ts): the settings read
 * from the environment and the shared config file resolved once, by the first client, and given to
 * every other. A floor whose clients each resolve them again spends ~15 % of its CPU on it, and
 * flatters the product by as much.
 *
 * Inputs are the smallest well-formed requests (the clusters' real names, one finding per
 * BatchImportFindings): the floor is a little lighter than the product's calls, never heavier.
 * The Kubernetes API reads of self-managed clusters are made as cheaply as they can be: per
 * cluster one EKS token and one TLS connection trusting its CA (from the floor's own
 * DescribeCluster), its reads one after the other on it.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { DescribeAddonCommand, DescribeAddonVersionsCommand, DescribeClusterCommand, EKSClient, ListClustersCommand, ListPodIdentityAssociationsCommand } from '@aws-sdk/client-eks';
import { DescribeOrganizationCommand, ListAccountsCommand, ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchImportFindingsCommand, GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@aws-crypto/sha256-js';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import pLimit from 'p-limit';
import { clientConfig, configuredEndpoint, sharedSdkSettings, type ClientSettings } from '../../lib/collect/clients.js';
import type { SimOrg } from '../sim/schema.js';
import type { CallCount } from '../sim/server.js';

export interface FloorRequest {
  /** What the simulator counted during the product's run. */
  calls: CallCount[];
  orgFile: string;
  concurrency: number;
  accountConcurrency: number;
  maxSockets: number;
  roleName: string;
  topicArn: string;
  bucket: string;
  /**
   * How its clients are built: `shared` (default) as the product builds its own (above);
   * `minimal`, each resolving its own settings from the environment and config files, as the
   * minimal script of the performance issue did — the floor its ratio goals were set against.
   */
  clients?: 'shared' | 'minimal';
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** Replays the calls; resolves with how many were sent (failures included, as the product's were). */
export async function floorRun(request: FloorRequest): Promise<{ calls: number }> {
  const org = JSON.parse(await readFile(request.orgFile, 'utf8')) as SimOrg;
  const agent = { keepAlive: true, maxSockets: request.maxSockets };
  const requestHandler = new NodeHttpHandler({ httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) });
  const region0 = process.env.AWS_REGION ?? 'us-east-1';
  const minimal = request.clients === 'minimal';
  const first: ClientSettings = { requestHandler, maxAttempts: 1, retryMode: 'standard', configured: configuredEndpoint() };
  const sts = new STSClient({ ...(minimal ? { requestHandler, maxAttempts: 1, region: region0 } : clientConfig(first, region0)), useGlobalEndpoint: false });
  const settings: ClientSettings = { ...first, shared: sharedSdkSettings(sts.config) };
  const clustersOf = (accountId: string, region: string) => org.accounts.find((a) => a.id === accountId)?.regions[region]?.clusters ?? [];
  let sent = 0;
  const call = async (send: () => Promise<unknown>) => {
    sent += 1;
    await send().catch(() => undefined);
  };

  const byAccount = new Map<string, CallCount[]>();
  const kubernetesOf = new Map<string, CallCount[]>();
  for (const c of request.calls) {
    const into = c.service === 'kubernetes' ? kubernetesOf : byAccount;
    into.set(c.accountId, [...(into.get(c.accountId) ?? []), c]);
  }
  for (const accountId of kubernetesOf.keys()) if (!byAccount.has(accountId)) byAccount.set(accountId, []);
  const limitAccounts = pLimit(request.concurrency);

  await Promise.all(
    [...byAccount].map(([accountId, calls]) =>
      limitAccounts(async () => {
        let credentials: Credentials | undefined;
        if (accountId !== org.managementAccountId) {
          sent += 1;
          const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${request.roleName}`, RoleSessionName: 'floor' })).catch(() => undefined);
          const c = out?.Credentials;
          if (c?.AccessKeyId && c.SecretAccessKey) credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) };
        }
        const limit = pLimit(request.accountConcurrency);
        // A provider, as the product's sessions give their clients.
        const provider = credentials && (async () => credentials!);
        const config = (region: string): Record<string, unknown> =>
          minimal ? { requestHandler, maxAttempts: 1, region, ...(credentials ? { credentials } : {}) } : { ...clientConfig(settings, region, provider) };
        const clients = new Map<string, unknown>();
        const client = <T>(key: string, make: () => T): T => (clients.get(key) as T | undefined) ?? (clients.set(key, make()), clients.get(key) as T);
        const jobs: Promise<void>[] = [];
        const described = new Map<string, Described>();
        for (const c of calls) {
          if (c.operation === 'AssumeRole') continue;
          const clusters = clustersOf(accountId, c.region);
          for (let i = 0; i < c.count; i++) {
            const cluster = clusters[i % Math.max(1, clusters.length)]?.name ?? 'none';
            const version = clusters[i % Math.max(1, clusters.length)]?.version ?? '1.30';
            const send = sender(c, { cluster, version, accountId, request, config, client, described });
            if (send) jobs.push(limit(() => call(send)));
          }
        }
        await Promise.all(jobs);
        // The Kubernetes reads follow their clusters' DescribeCluster, as the product's do.
        const identity = credentials ?? managementCredentials();
        const reads = kubernetesReads(kubernetesOf.get(accountId) ?? [], (region) => clustersOf(accountId, region), described);
        await Promise.all(
          reads.map(({ target, paths }) =>
            limit(async () => {
              sent += paths.length;
              await readCluster(target, paths, identity).catch(() => undefined);
            }),
          ),
        );
      }),
    ),
  );
  requestHandler.destroy();
  return { calls: sent };
}

type Config = (region: string) => Record<string, unknown>;
type Described = { endpoint: string; ca: string; name: string; region: string };

function managementCredentials(): Credentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId = '', AWS_SECRET_ACCESS_KEY: secretAccessKey = '', AWS_SESSION_TOKEN: sessionToken } = process.env;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

const KUBERNETES_PATHS: Record<string, string> = {
  GetDaemonSet: '/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node',
  GetServiceAccount: '/api/v1/namespaces/kube-system/serviceaccounts/aws-node',
};

/** The product's Kubernetes reads of an account, by cluster: its self-managed ones, in turn. */
function kubernetesReads(calls: CallCount[], clustersIn: (region: string) => { name: string; addons: Record<string, unknown> }[], described: Map<string, Described>): { target: Described; paths: string[] }[] {
  const byCluster = new Map<Described, string[]>();
  for (const c of calls) {
    const path = KUBERNETES_PATHS[c.operation];
    const selfManaged = clustersIn(c.region).filter((cluster) => !('vpc-cni' in cluster.addons));
    for (let i = 0; path && i < c.count && selfManaged.length; i++) {
      const target = described.get(`${c.region}/${selfManaged[i % selfManaged.length]!.name}`);
      if (target) byCluster.set(target, [...(byCluster.get(target) ?? []), path]);
    }
  }
  return [...byCluster].map(([target, paths]) => ({ target, paths }));
}

/** One token, one TLS connection trusting the cluster's CA, the reads in turn on it. */
async function readCluster(target: Described, paths: string[], credentials: Credentials): Promise<void> {
  const sts = new URL(process.env.AWS_ENDPOINT_URL ?? `https://sts.${target.region}.amazonaws.com`);
  const signer = new SignatureV4({ credentials, region: target.region, service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    { method: 'GET', protocol: sts.protocol, hostname: sts.hostname, ...(sts.port ? { port: Number(sts.port) } : {}), path: sts.pathname, query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: sts.host, 'x-k8s-aws-id': target.name } },
    { expiresIn: 60 },
  );
  const query = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  const token = `k8s-aws-v1.${Buffer.from(`${sts.protocol}//${sts.host}${signed.path}?${query}`).toString('base64url')}`;
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: Buffer.from(target.ca, 'base64').toString('utf8') });
  try {
    for (const path of paths) {
      await new Promise<void>((resolve, reject) => {
        const req = httpsRequest(`${target.endpoint}${path}`, { agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            resolve();
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        // The product gives a cluster 5 s; a private endpoint never answers.
        req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}

function sender(
  c: CallCount,
  ctx: { cluster: string; version: string; accountId: string; request: FloorRequest; config: Config; client: <T>(key: string, make: () => T) => T; described: Map<string, Described> },
): (() => Promise<unknown>) | undefined {
  const { cluster, version, accountId, request, config, client, described } = ctx;
  const eks = () => ctx.client(`eks|${c.region}`, () => new EKSClient(config(c.region)));
  const hub = () => client(`securityhub|${c.region}`, () => new SecurityHubClient(config(c.region)));
  const s3 = () => client(`s3|${c.region}`, () => new S3Client({ ...config(c.region), forcePathStyle: true }));
  switch (`${c.service}:${c.operation}`) {
    case 'organizations:ListAccounts':
      return () => client('org', () => new OrganizationsClient(config(c.region))).send(new ListAccountsCommand({}));
    case 'organizations:DescribeOrganization':
      return () => client('org', () => new OrganizationsClient(config(c.region))).send(new DescribeOrganizationCommand({}));
    case 'organizations:ListParents':
      return () => client('org', () => new OrganizationsClient(config(c.region))).send(new ListParentsCommand({ ChildId: accountId }));
    case 'account:ListRegions':
      return () => client('account', () => new AccountClient(config(c.region))).send(new ListRegionsCommand({ RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] }));
    case 'eks:ListClusters':
      return () => eks().send(new ListClustersCommand({}));
    case 'eks:DescribeCluster':
      return async () => {
        const found = (await eks().send(new DescribeClusterCommand({ name: cluster }))).cluster;
        if (found?.endpoint && found.certificateAuthority?.data) described.set(`${c.region}/${cluster}`, { endpoint: found.endpoint, ca: found.certificateAuthority.data, name: cluster, region: c.region });
      };
    case 'eks:DescribeAddon':
      return () => eks().send(new DescribeAddonCommand({ clusterName: cluster, addonName: 'vpc-cni' }));
    case 'eks:ListPodIdentityAssociations':
      return () => eks().send(new ListPodIdentityAssociationsCommand({ clusterName: cluster, namespace: 'kube-system', serviceAccount: 'aws-node' }));
    case 'eks:DescribeAddonVersions':
      return () => eks().send(new DescribeAddonVersionsCommand({ addonName: 'vpc-cni', kubernetesVersion: version }));
    case 'securityhub:GetFindings':
      return () => hub().send(new GetFindingsCommand({ Filters: { AwsAccountId: [{ Value: accountId, Comparison: 'EQUALS' }] }, MaxResults: 100 }));
    case 'securityhub:BatchImportFindings':
      return () => hub().send(new BatchImportFindingsCommand({ Findings: [tinyFinding(accountId, c.region, cluster)] }));
    case 'sns:Publish':
      return () => client('sns', () => new SNSClient(config(c.region))).send(new PublishCommand({ TopicArn: request.topicArn, Message: 'floor' }));
    case 's3:GetObject':
      return () => s3().send(new GetObjectCommand({ Bucket: request.bucket, Key: 'fleet-audit/latest.json' }));
    case 's3:PutObject':
      return () => s3().send(new PutObjectCommand({ Bucket: request.bucket, Key: `floor/${Math.random()}`, Body: '{}' }));
    case 's3:ListObjectsV2':
      return () => s3().send(new ListObjectsV2Command({ Bucket: request.bucket, Prefix: 'fleet-audit/runs/' }));
    default:
      return undefined;
  }
}

function tinyFinding(accountId: string, region: string, cluster: string) {
  const now = new Date().toISOString();
  return {
    SchemaVersion: '2018-10-08',
    Id: `floor/${accountId}/${region}/${cluster}`,
    ProductArn: `arn:aws:securityhub:${region}:${accountId}:product/${accountId}/default`,
    GeneratorId: 'eks-fleet-auditor/floor',
    AwsAccountId: accountId,
    Types: ['Software and Configuration Checks/Vulnerabilities'],
    CreatedAt: now,
    UpdatedAt: now,
    Severity: { Label: 'LOW' as const },
    Title: 'floor',
    Description: 'floor',
    Resources: [{ Type: 'AwsEksCluster', Id: `arn:aws:eks:${region}:${accountId}:cluster/${cluster}` }],
  };
}
