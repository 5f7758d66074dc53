/**
 * The Kubernetes API of the simulated clusters, over HTTPS with the test CA (test/sim/tls): the
 * aws-node DaemonSet and service account in kube-system, behind EKS token authentication.
 *
 * Each cluster lives under a path prefix of one server: `https://127.0.0.1:PORT/k8s/<account>/<region>/<cluster>`
 * is what DescribeCluster returns as its endpoint, so one port serves every cluster and a client
 * must append API paths to the endpoint's path (as it must behind any proxy).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseConfigurationValues } from '../../../lib/evaluate/configuration.js';
import type { SimAddon, SimCluster } from '../schema.js';
import type { SimState } from '../state.js';
import { regionEnabled } from './account.js';
import { pathSegments } from './service.js';

const TLS_DIR = new URL('../tls/', import.meta.url);
export const SIM_CA_PEM = readFileSync(new URL('ca.pem', TLS_DIR), 'utf8');

const DAEMONSET_PATH = ['apis', 'apps', 'v1', 'namespaces', 'kube-system', 'daemonsets', 'aws-node'];
const SERVICE_ACCOUNT_PATH = ['api', 'v1', 'namespaces', 'kube-system', 'serviceaccounts', 'aws-node'];
const TOKEN_PREFIX = 'k8s-aws-v1.';
/** EKS accepts a token for 15 minutes after signing, whatever X-Amz-Expires says. */
const TOKEN_LIFETIME_MS = 15 * 60_000;
const CLOCK_SKEW_MS = 5 * 60_000;
const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

export interface KubernetesApi {
  /** `https://127.0.0.1:PORT` */
  origin: string;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Where a cluster's API is: DescribeCluster reads it from here once the HTTPS server runs. */
const apis = new WeakMap<SimState, string>();

/** The endpoint and CA DescribeCluster returns, or undefined when no Kubernetes API is served. */
export function kubernetesEndpoint(state: SimState, accountId: string, region: string, cluster: string): { endpoint: string; caData: string } | undefined {
  const origin = apis.get(state);
  if (origin === undefined) return undefined;
  const path = [accountId, region, cluster].map(encodeURIComponent).join('/');
  return { endpoint: `${origin}/k8s/${path}`, caData: Buffer.from(SIM_CA_PEM, 'utf8').toString('base64') };
}

export async function startKubernetesApi(state: SimState, host: string, knownSecrets: ReadonlyMap<string, string>): Promise<KubernetesApi> {
  const secrets = new Map(knownSecrets);
  rememberIssuedSecrets(state, secrets);
  const server: Server = createServer(
    { key: readFileSync(new URL('server.key', TLS_DIR)), cert: readFileSync(new URL('server.pem', TLS_DIR)) },
    (req, res) => {
      serve(state, secrets, req, res).catch((error: unknown) => {
        console.error('simulator: kubernetes API failure', error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  // The certificate names 127.0.0.1, ::1 and localhost: advertise those for a wildcard listen.
  const reachable = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  const origin = `https://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  apis.set(state, origin);
  return {
    origin,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        apis.delete(state);
        server.close((error) => (error ? reject(error) : resolve()));
        // Also the requests held open for unreachable clusters.
        server.closeAllConnections();
      }),
  };
}

/**
 * To check a token's signature the simulator needs the secret of the key that signed it; the
 * state keeps none, so the secrets it hands out are noted here as AssumeRole issues them.
 */
function rememberIssuedSecrets(state: SimState, secrets: Map<string, string>): void {
  const issue = state.issue.bind(state);
  state.issue = (...args) => {
    const credentials = issue(...args);
    secrets.set(credentials.accessKeyId, credentials.secretAccessKey);
    return credentials;
  };
}

async function serve(state: SimState, secrets: ReadonlyMap<string, string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const seg = pathSegments((req.url ?? '/').split('?')[0] ?? '/');
  const [root, accountId = '', region = '', clusterName = '', ...apiPath] = seg;
  const operation = same(apiPath, DAEMONSET_PATH) ? 'GetDaemonSet' : same(apiPath, SERVICE_ACCOUNT_PATH) ? 'GetServiceAccount' : 'Unknown';
  const account = root === 'k8s' ? state.account(accountId) : undefined;
  const cluster = account && regionEnabled(account, region) ? account.regions[region]?.clusters.find((c) => c.name === clusterName) : undefined;
  // A private endpoint: the connection is accepted, nothing ever comes back.
  if (cluster?.selfManagedCni?.endpointReachable === false) return;

  const answer = cluster ? await answerFor(state, secrets, req, accountId, region, cluster, operation) : status(404, 'NotFound', `no cluster at ${req.url}`);
  const caller = callerOf(state, req.headers.authorization) ?? accountId;
  state.countCall('kubernetes', operation, caller, region, answer.status);
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
}

async function answerFor(
  state: SimState,
  secrets: ReadonlyMap<string, string>,
  req: IncomingMessage,
  accountId: string,
  region: string,
  cluster: SimCluster,
  operation: string,
): Promise<Answer> {
  if (req.method !== 'GET') return status(405, 'MethodNotAllowed', `${req.method} is not supported`);
  const unauthorized = await checkToken(state, secrets, req.headers.authorization, accountId, cluster.name);
  // EKS says only "Unauthorized"; the reason is for whoever debugs a test.
  if (unauthorized) return status(401, 'Unauthorized', `Unauthorized (simulator: ${unauthorized})`);
  if (cluster.otherCni !== undefined) {
    const resource = operation === 'GetServiceAccount' ? 'serviceaccounts' : 'daemonsets.apps';
    return status(404, 'NotFound', `${resource} "aws-node" not found`);
  }
  const cni = cniOf(cluster);
  if (!cni || !cni.access) {
    const resource = operation === 'GetServiceAccount' ? 'serviceaccounts' : 'daemonsets.apps';
    return status(403, 'Forbidden', `${resource} "aws-node" is forbidden: the caller cannot get resource in the namespace "kube-system"`);
  }
  if (operation === 'GetDaemonSet') return { status: 200, body: daemonSet(cni) };
  if (operation === 'GetServiceAccount') return { status: 200, body: serviceAccount(cni.roleArn) };
  return status(404, 'NotFound', `the simulator serves no ${req.url}`);
}

/** Why the token is refused (401), or undefined when it is a well-formed EKS token for this cluster. */
async function checkToken(
  state: SimState,
  secrets: ReadonlyMap<string, string>,
  authorization: string | undefined,
  accountId: string,
  clusterName: string,
): Promise<string | undefined> {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token?.startsWith(TOKEN_PREFIX)) return 'not an EKS token';
  let url: URL;
  try {
    url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return 'not a URL';
  }
  const q = url.searchParams;
  const credential = /^([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/sts\/aws4_request$/.exec(q.get('X-Amz-Credential') ?? '');
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  const date = parseAmzDate(q.get('X-Amz-Date'));
  const expires = Number(q.get('X-Amz-Expires'));
  if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') return 'not GetCallerIdentity';
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !credential || !/^[0-9a-f]{64}$/.test(q.get('X-Amz-Signature') ?? '')) return 'not presigned';
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-k8s-aws-id')) return 'x-k8s-aws-id not signed';
  if (date === undefined || !Number.isInteger(expires) || expires < 1 || expires > 900) return 'bad date or expiry';
  if (date > Date.now() + CLOCK_SKEW_MS || date + TOKEN_LIFETIME_MS < Date.now()) return 'expired';
  const accessKeyId = credential[1]!;
  const issued = state.issued.get(accessKeyId);
  if (issued && issued.expiresAt < Date.now()) return 'expired credentials';
  // The identity must be one the cluster knows: its own account's.
  if ((issued?.accountId ?? state.org.managementAccountId) !== accountId) return 'another account';
  const secret = secrets.get(accessKeyId);
  // A key the simulator cannot know the secret of is trusted, as everywhere else in the simulator.
  if (secret === undefined) return undefined;
  return (await signatureMatches(url, secret, credential[3]!, clusterName)) ? undefined : 'signature does not match this cluster';
}

/**
 * Signs the same request again for this cluster: a token made for another cluster (or tampered
 * with) signed another `x-k8s-aws-id`, and its signature differs.
 */
async function signatureMatches(url: URL, secret: string, region: string, clusterName: string): Promise<boolean> {
  const q = url.searchParams;
  const [accessKeyId = ''] = (q.get('X-Amz-Credential') ?? '').split('/');
  const sessionToken = q.get('X-Amz-Security-Token') ?? undefined;
  const query: Record<string, string> = {};
  for (const [key, value] of q) if (!key.startsWith('X-Amz-')) query[key] = value;
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) }, region, service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host, 'x-k8s-aws-id': clusterName },
    },
    { signingDate: new Date(parseAmzDate(q.get('X-Amz-Date'))!), expiresIn: Number(q.get('X-Amz-Expires')) },
  );
  return signed.query?.['X-Amz-Signature'] === q.get('X-Amz-Signature');
}

function parseAmzDate(value: string | null): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

function callerOf(state: SimState, authorization: string | undefined): string | undefined {
  const token = /^Bearer k8s-aws-v1\.(.+)$/.exec(authorization ?? '')?.[1];
  if (!token) return undefined;
  try {
    const key = new URL(Buffer.from(token, 'base64url').toString('utf8')).searchParams.get('X-Amz-Credential')?.split('/')[0];
    return key ? (state.issued.get(key)?.accountId ?? state.org.managementAccountId) : undefined;
  } catch {
    return undefined;
  }
}

interface ServedCni {
  /** The DaemonSet's labels and annotations, as the install left them. */
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  image: string;
  env: Record<string, string>;
  nodeAgent?: { image: string; enableNetworkPolicy: boolean };
  roleArn: string | null;
  access: boolean;
  livenessProbeTimeoutSeconds: number;
  readinessProbeTimeoutSeconds: number;
}

/**
 * What the cluster's aws-node runs: `selfManagedCni` as written; for a managed add-on, its own
 * version and settings; for a cluster with neither, nothing the audit role may read (403).
 */
function cniOf(cluster: SimCluster): ServedCni | undefined {
  const own = cluster.selfManagedCni;
  if (own) {
    return {
      metadata: installMetadata(own),
      image: own.image,
      env: own.env,
      ...(own.nodeAgentImage ? { nodeAgent: { image: own.nodeAgentImage, enableNetworkPolicy: own.enableNetworkPolicy ?? false } } : {}),
      roleArn: own.roleArn ?? null,
      access: own.access,
      livenessProbeTimeoutSeconds: own.livenessProbeTimeoutSeconds ?? 10,
      readinessProbeTimeoutSeconds: own.readinessProbeTimeoutSeconds ?? 10,
    };
  }
  const addon = cluster.addons['vpc-cni'];
  return addon ? addonCni(addon) : undefined;
}

/**
 * The metadata an install leaves on the DaemonSet: the release manifest's labels and kubectl's
 * last-applied annotation (config/master/aws-k8s-cni.yaml), or the aws-vpc-cni chart's labels and
 * Helm 3's release annotations (charts/aws-vpc-cni/templates/_helpers.tpl).
 */
function installMetadata(own: NonNullable<SimCluster['selfManagedCni']>): ServedCni['metadata'] {
  const tag = own.image.split(':').at(-1) ?? '';
  const common = { 'app.kubernetes.io/name': 'aws-node', 'k8s-app': 'aws-node', 'app.kubernetes.io/version': tag };
  if (own.installedBy === 'helm') {
    const helm = own.helm ?? { release: 'aws-vpc-cni', namespace: 'kube-system', chart: tag.replace(/^v/, '').replace(/-eksbuild\.\d+$/, '') };
    return {
      labels: { ...common, 'app.kubernetes.io/instance': helm.release, 'helm.sh/chart': `aws-vpc-cni-${helm.chart}`, 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': helm.release, 'meta.helm.sh/release-namespace': helm.namespace },
    };
  }
  return { labels: { ...common, 'app.kubernetes.io/instance': 'aws-vpc-cni' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } };
}

function addonCni(addon: SimAddon): ServedCni {
  // EKS accepts and keeps JSON or YAML; it would not have applied invalid values: then the defaults run.
  const parsed = parseConfigurationValues(addon.configurationValues);
  const config = (parsed.ok ? parsed.value : {}) as { env?: Record<string, string>; livenessProbeTimeoutSeconds?: number; readinessProbeTimeoutSeconds?: number };
  return {
    // EKS labels the add-on's DaemonSet like the manifest (no Helm marks).
    metadata: { labels: { 'k8s-app': 'aws-node', 'app.kubernetes.io/name': 'aws-node', 'app.kubernetes.io/instance': 'aws-vpc-cni' }, annotations: {} },
    // The default EKS registry account: drift checks look at the tag only.
    image: `602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:${addon.addonVersion}`,
    env: config.env ?? {},
    roleArn: addon.serviceAccountRoleArn ?? null,
    access: true,
    livenessProbeTimeoutSeconds: config.livenessProbeTimeoutSeconds ?? 10,
    readinessProbeTimeoutSeconds: config.readinessProbeTimeoutSeconds ?? 10,
  };
}

function daemonSet(cni: ServedCni): unknown {
  const probe = (timeoutSeconds: number) => ({
    exec: { command: ['/app/grpc-health-probe', '-addr=:50051', '-connect-timeout=5s', '-rpc-timeout=5s'] },
    initialDelaySeconds: 60,
    timeoutSeconds,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  const labels = { 'k8s-app': 'aws-node' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'aws-node', namespace: 'kube-system', labels: { ...cni.metadata.labels, ...labels }, annotations: cni.metadata.annotations },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'aws-node',
          hostNetwork: true,
          initContainers: [{ name: 'aws-vpc-cni-init', image: cni.image.replace('/amazon-k8s-cni:', '/amazon-k8s-cni-init:') }],
          containers: [
            {
              name: 'aws-node',
              image: cni.image,
              env: [
                ...Object.entries(cni.env).map(([name, value]) => ({ name, value })),
                { name: 'MY_NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
              ],
              livenessProbe: probe(cni.livenessProbeTimeoutSeconds),
              readinessProbe: probe(cni.readinessProbeTimeoutSeconds),
            },
            ...(cni.nodeAgent
              ? [
                  {
                    name: 'aws-eks-nodeagent',
                    image: cni.nodeAgent.image,
                    args: [
                      '--enable-ipv6=false',
                      `--enable-network-policy=${cni.nodeAgent.enableNetworkPolicy}`,
                      '--enable-cloudwatch-logs=false',
                      '--metrics-bind-addr=:8162',
                      '--health-probe-bind-addr=:8163',
                    ],
                  },
                ]
              : []),
          ],
        },
      },
    },
  };
}

function serviceAccount(roleArn: string | null): unknown {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'aws-node', namespace: 'kube-system', ...(roleArn ? { annotations: { [IRSA_ANNOTATION]: roleArn } } : {}) },
  };
}

function status(code: number, reason: string, message: string): Answer {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } };
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
