/**
 * The aws-node DaemonSet and service account, as the Kubernetes API returns them, mapped into the
 * facts a managed add-on gives: the version from the image tag, the settings in the schema of the
 * add-on's configurationValues, the IRSA role from the service account annotation. Pure.
 */
import { z } from 'zod';
import type { CniFacts, EnvNotCarried, HelmRelease, PodIdentityAssociation } from '../../types.js';
import { KubernetesApiError } from './errors.js';
import { isOfficialCniImage, parseImage } from './registry.js';

export const AWS_NODE_DAEMONSET_PATH = '/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node';
export const AWS_NODE_SERVICE_ACCOUNT_PATH = '/api/v1/namespaces/kube-system/serviceaccounts/aws-node';
export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

/**
 * The settings copied from the container env: the CNI's documented variables (the "CNI
 * Configuration Variables" of the aws/amazon-vpc-cni-k8s README, v1.23), by prefix or name.
 * Anything else (proxy settings, custom variables) may hold what the auditor must not carry.
 */
const ENV_PREFIXES = ['WARM_', 'MINIMUM_', 'ENABLE_', 'AWS_VPC_', 'DISABLE_'] as const;
const ENV_NAMES = new Set([
  'ADDITIONAL_ENI_TAGS',
  'ANNOTATE_POD_IP',
  'AWS_EC2_ENDPOINT',
  'AWS_EXTERNAL_SERVICE_CIDRS',
  'AWS_MANAGE_ENIS_NON_SCHEDULABLE',
  'CLUSTER_ENDPOINT',
  'CLUSTER_NAME',
  'ENI_CONFIG_ANNOTATION_DEF',
  'ENI_CONFIG_LABEL_DEF',
  'HOST_CNI_BIN_PATH',
  'HOST_CNI_CONFDIR_PATH',
  'INTROSPECTION_BIND_ADDRESS',
  'IP_COOLDOWN_PERIOD',
  'MAX_ENI',
  'NETWORK_POLICY_ENFORCING_MODE',
  'POD_MTU',
  'POD_SECURITY_GROUP_ENFORCING_MODE',
]);
/** The init container's documented variables (`init.env` of the add-on's configuration). */
const INIT_ENV_NAMES = new Set(['DISABLE_TCP_EARLY_DEMUX', 'ENABLE_IPv6']);

export function isCniSetting(name: string): boolean {
  return ENV_NAMES.has(name) || ENV_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Variables every release manifest and chart sets itself (`MY_NODE_NAME` and `MY_POD_NAME` from
 * the pod's fields, `VPC_CNI_VERSION`): the add-on sets them too, so they are never "left behind".
 */
const RELEASE_ENV_NAMES = new Set(['MY_NODE_NAME', 'MY_POD_NAME', 'VPC_CNI_VERSION']);

type Container = z.infer<typeof containerSchema>;

/** The literal values of the allowed variables; a value from a secret or a config map is never read. */
function settingsOf(env: Container['env'], allowed: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of env ?? []) {
    if (variable.valueFrom !== undefined || variable.value === undefined || !allowed(variable.name)) continue;
    out[variable.name] = variable.value;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The env settings of a container that settingsOf does not carry: names only, never a value. */
function envNotCarried(container: Container | undefined, allowed: (name: string) => boolean): EnvNotCarried[] {
  if (!container) return [];
  const out: EnvNotCarried[] = [];
  for (const variable of container.env ?? []) {
    if (RELEASE_ENV_NAMES.has(variable.name)) continue;
    if (variable.valueFrom !== undefined) out.push({ container: container.name, name: variable.name, why: 'valueFrom' });
    else if (variable.value !== undefined && !allowed(variable.name)) out.push({ container: container.name, name: variable.name, why: 'outside-schema' });
  }
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ? `configMapRef/${source.configMapRef.name ?? ''}` : source.secretRef ? `secretRef/${source.secretRef.name ?? ''}` : 'envFrom';
    out.push({ container: container.name, name: source.prefix ? `${ref} ${source.prefix}*` : ref, why: 'envFrom' });
  }
  return out;
}

const probeSchema = z.looseObject({ timeoutSeconds: z.number().int().optional() });
const containerSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z
    .array(z.looseObject({ name: z.string(), value: z.string().optional(), valueFrom: z.unknown().optional() }))
    .optional(),
  envFrom: z
    .array(
      z.looseObject({
        prefix: z.string().optional(),
        configMapRef: z.looseObject({ name: z.string().optional() }).optional(),
        secretRef: z.looseObject({ name: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  resources: z.unknown().optional(),
});
const metadataSchema = z.looseObject({
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
});
const daemonSetSchema = z.looseObject({
  kind: z.literal('DaemonSet').optional(),
  metadata: metadataSchema.optional(),
  spec: z.looseObject({
    template: z.looseObject({ spec: z.looseObject({ containers: z.array(containerSchema), initContainers: z.array(containerSchema).optional() }) }),
  }),
});
const serviceAccountSchema = z.looseObject({
  metadata: z.looseObject({ annotations: z.record(z.string(), z.string()).nullish() }).optional(),
});

export interface AwsNodeDaemonSet {
  image: string;
  /** The image tag (`v1.9.3`, `v1.9.3-eksbuild.1`); null when pinned by digest only. */
  version: string | null;
  officialImage: boolean;
  /**
   * `{"env":{...},"init":{"env":{...}},"resources":{...},"livenessProbeTimeoutSeconds":N,"readinessProbeTimeoutSeconds":N,"enableNetworkPolicy":"true"}`,
   * as the add-on's (`enableNetworkPolicy` from the agent's `--enable-network-policy` flag, `init.env`
   * from the aws-vpc-cni-init container, `resources` of the aws-node container).
   */
  configurationValues: string;
  /** The network policy agent container (`aws-eks-nodeagent`), when the pod runs one. */
  networkPolicyAgent?: { image: string; version: string | null };
  /** The env settings configurationValues does not carry (names only); empty when there is none. */
  envNotCarried: EnvNotCarried[];
  /** Helm when the DaemonSet carries Helm's labels or annotations; else a manifest (kubectl apply, or EKS at cluster creation). */
  installMethod: 'helm' | 'manifest';
  /** The Helm release, for a Helm install. */
  helmRelease?: HelmRelease;
}

const NODE_AGENT = 'aws-eks-nodeagent';
/** `--enable-network-policy=true`, `-enable-network-policy=false` or the bare flag (true). */
const ENABLE_NETWORK_POLICY = /^--?enable-network-policy(?:=(.*))?$/;

/** The value of the agent's --enable-network-policy flag as written (the bare flag is "true"). */
function networkPolicyFlag(args: readonly string[]): string | undefined {
  let value: string | undefined;
  for (const arg of args) {
    const match = ENABLE_NETWORK_POLICY.exec(arg);
    if (match) value = match[1] ?? 'true'; // the last one wins, as with Go's flag package
  }
  return value;
}

/**
 * How the DaemonSet was installed. Helm marks what it installs: the label
 * `app.kubernetes.io/managed-by: Helm` and `helm.sh/chart: aws-vpc-cni-<chart version>` (the
 * aws-vpc-cni chart's labels), and the annotations `meta.helm.sh/release-name` and
 * `meta.helm.sh/release-namespace` (Helm 3 ownership). The upstream manifest has none of them.
 */
export function installMethodOf(metadata: z.infer<typeof metadataSchema> | undefined): Pick<AwsNodeDaemonSet, 'installMethod' | 'helmRelease'> {
  const labels = metadata?.labels ?? {};
  const annotations = metadata?.annotations ?? {};
  const chart = labels['helm.sh/chart'];
  const helm = labels['app.kubernetes.io/managed-by'] === 'Helm' || chart !== undefined || annotations['meta.helm.sh/release-name'] !== undefined;
  if (!helm) return { installMethod: 'manifest' };
  const chartVersion = chart?.startsWith('aws-vpc-cni-') ? chart.slice('aws-vpc-cni-'.length) : null;
  return {
    installMethod: 'helm',
    helmRelease: {
      name: annotations['meta.helm.sh/release-name'] ?? labels['app.kubernetes.io/instance'] ?? null,
      namespace: annotations['meta.helm.sh/release-namespace'] ?? metadata?.namespace ?? null,
      chartVersion,
    },
  };
}

/** The container's requests and limits (quantities as written), as the add-on's `resources`; undefined when none. */
function resourcesOf(value: unknown): Record<string, Record<string, string>> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, Record<string, string>> = {};
  for (const key of ['limits', 'requests'] as const) {
    const quantities = (value as Record<string, unknown>)[key];
    if (quantities === null || typeof quantities !== 'object') continue;
    const kept = Object.entries(quantities).filter((entry): entry is [string, string | number] => typeof entry[1] === 'string' || typeof entry[1] === 'number');
    if (kept.length) out[key] = Object.fromEntries(kept.map(([name, quantity]) => [name, String(quantity)]));
  }
  return Object.keys(out).length ? out : undefined;
}

/** The aws-node container of the DaemonSet; rejects what is not an aws-node DaemonSet. */
export function awsNodeFromDaemonSet(body: unknown, clusterName: string): AwsNodeDaemonSet {
  const parsed = daemonSetSchema.safeParse(body);
  const malformed = (what: string) =>
    new KubernetesApiError(`kube-system/aws-node of cluster ${clusterName}: ${what}`, { failure: 'malformed', code: 'MalformedDaemonSet' });
  if (!parsed.success) throw malformed('not a DaemonSet with containers');
  const containers = parsed.data.spec.template.spec.containers;
  // Since v1.14 the pod also runs the network policy agent: pick the CNI's own container.
  const container =
    containers.find((c) => c.name === 'aws-node') ??
    containers.find((c) => c.image !== undefined && parseImage(c.image).repository.endsWith('amazon-k8s-cni'));
  if (!container?.image) throw malformed('no aws-node container with an image');

  const config: Record<string, unknown> = { env: settingsOf(container.env, isCniSetting) };
  const init = parsed.data.spec.template.spec.initContainers?.find((c) => c.name === 'aws-vpc-cni-init');
  const initEnv = settingsOf(init?.env, (name) => INIT_ENV_NAMES.has(name));
  const notCarried = [...envNotCarried(container, isCniSetting), ...envNotCarried(init, (name) => INIT_ENV_NAMES.has(name))];
  if (Object.keys(initEnv).length) config.init = { env: initEnv };
  const resources = resourcesOf(container.resources);
  if (resources) config.resources = resources;
  if (container.livenessProbe?.timeoutSeconds !== undefined) config.livenessProbeTimeoutSeconds = container.livenessProbe.timeoutSeconds;
  if (container.readinessProbe?.timeoutSeconds !== undefined) config.readinessProbeTimeoutSeconds = container.readinessProbe.timeoutSeconds;

  const agent =
    containers.find((c) => c.name === NODE_AGENT) ??
    containers.find((c) => c.image !== undefined && parseImage(c.image).repository.endsWith('aws-network-policy-agent'));
  const networkPolicy = agent ? networkPolicyFlag(agent.args ?? []) : undefined;
  if (networkPolicy !== undefined) config.enableNetworkPolicy = networkPolicy;

  return {
    image: container.image,
    version: parseImage(container.image).tag,
    officialImage: isOfficialCniImage(container.image),
    configurationValues: JSON.stringify(config),
    ...(agent?.image ? { networkPolicyAgent: { image: agent.image, version: parseImage(agent.image).tag } } : {}),
    envNotCarried: notCarried,
    ...installMethodOf(parsed.data.metadata),
  };
}

/** The IRSA role of the aws-node service account; null without the annotation (or the account). */
export function roleArnFromServiceAccount(body: unknown): string | null {
  if (body === null) return null;
  const parsed = serviceAccountSchema.safeParse(body);
  const arn = parsed.success ? parsed.data.metadata?.annotations?.[IRSA_ANNOTATION]?.trim() : undefined;
  return arn ? arn : null;
}

/** The CniFacts of a self-managed CNI read from its DaemonSet. */
export function selfManagedCniFacts(
  daemonSet: AwsNodeDaemonSet,
  serviceAccountRoleArn: string | null,
  podIdentityAssociations: PodIdentityAssociation[],
): CniFacts {
  return {
    managed: false,
    source: 'daemonset',
    installMethod: daemonSet.installMethod,
    ...(daemonSet.helmRelease ? { helmRelease: daemonSet.helmRelease } : {}),
    version: daemonSet.version,
    image: daemonSet.image,
    officialImage: daemonSet.officialImage,
    status: null,
    healthIssues: [],
    configurationValues: daemonSet.configurationValues,
    serviceAccountRoleArn,
    podIdentityAssociations,
    iamRoleKnown: true,
    ...(daemonSet.networkPolicyAgent ? { networkPolicyAgent: daemonSet.networkPolicyAgent } : {}),
    ...(daemonSet.envNotCarried.length ? { envNotCarried: daemonSet.envNotCarried } : {}),
  };
}
