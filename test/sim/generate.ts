/**
 * Deterministic synthetic organizations for the benchmark and scale tests: the same options and
 * seed always give the same org, with a realistic mix of CNI setups, versions and failures.
 */
import { seededRandom } from './faults.js';
import type { SimAccount, SimAddon, SimAddonVersionEntry, SimCluster, SimOrg, SimOu, SimRegion } from './schema.js';

export interface GenerateOrgOptions {
  /** Number of accounts, the management account included. */
  accounts: number;
  /** Region names, or how many of a realistic list (us-east-1, eu-west-1, us-west-2, ap-southeast-2, ...). */
  regions?: number | string[];
  /** Average clusters per account, spread over its enabled regions. Give this or clustersPerRegion. */
  clustersPerAccount?: number;
  /** Average clusters per account and enabled region (5,000 accounts × 4 regions × 2.5 = 50,000 clusters). */
  clustersPerRegion?: number;
  seed?: number;
  managementAccountId?: string;
  /** Share of accounts whose audit role is missing (AssumeRole denied). Default 0.01. */
  noAuditRoleRate?: number;
  /** Share of accounts without Security Hub. Default 0.02. */
  noSecurityHubRate?: number;
  /** Share of SUSPENDED accounts. Default 0.01. */
  suspendedRate?: number;
  /** Share of clusters running a self-managed CNI (no vpc-cni add-on). Default 0.15. */
  selfManagedRate?: number;
}

export const DEFAULT_REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2', 'eu-central-1', 'us-east-2', 'ap-northeast-1', 'ca-central-1'];
export const KUBERNETES_VERSIONS = ['1.23', '1.24', '1.25', '1.26', '1.27', '1.28', '1.29', '1.30'];

/** vpc-cni versions per minor, newest first, with the Kubernetes versions each minor supports. */
const CATALOG: { minor: string; patches: string[]; k8s: [string, string] }[] = [
  { minor: '1.18', patches: ['6-eksbuild.1', '5-eksbuild.1', '3-eksbuild.3', '2-eksbuild.1', '1-eksbuild.3', '0-eksbuild.1'], k8s: ['1.25', '1.30'] },
  { minor: '1.17', patches: ['1-eksbuild.1'], k8s: ['1.24', '1.30'] },
  { minor: '1.16', patches: ['4-eksbuild.2', '3-eksbuild.2', '2-eksbuild.1', '0-eksbuild.1'], k8s: ['1.23', '1.30'] },
  { minor: '1.15', patches: ['5-eksbuild.1', '4-eksbuild.1', '1-eksbuild.1'], k8s: ['1.23', '1.29'] },
  { minor: '1.14', patches: ['1-eksbuild.1', '0-eksbuild.3'], k8s: ['1.23', '1.28'] },
  { minor: '1.13', patches: ['4-eksbuild.1', '3-eksbuild.1'], k8s: ['1.23', '1.27'] },
  { minor: '1.12', patches: ['6-eksbuild.2', '5-eksbuild.2', '2-eksbuild.1', '0-eksbuild.1'], k8s: ['1.23', '1.26'] },
  { minor: '1.11', patches: ['5-eksbuild.1', '4-eksbuild.1', '3-eksbuild.1'], k8s: ['1.23', '1.25'] },
  { minor: '1.10', patches: ['4-eksbuild.3', '3-eksbuild.1', '1-eksbuild.1'], k8s: ['1.23', '1.24'] },
];

function k8sRange(from: string, to: string): string[] {
  return KUBERNETES_VERSIONS.filter((v) => minorOf(v) >= minorOf(from) && minorOf(v) <= minorOf(to));
}

function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

/**
 * A realistic DescribeAddonVersions catalog for vpc-cni (v1.10 … v1.18, Kubernetes 1.23 … 1.30),
 * newest first. The default for each Kubernetes version is the newest patch of the second-newest
 * compatible minor, as EKS tends to default to a proven release.
 */
export function vpcCniCatalog(): SimAddonVersionEntry[] {
  const defaults = new Map<string, string>();
  for (const k8s of KUBERNETES_VERSIONS) {
    const minors = CATALOG.filter((m) => k8sRange(...m.k8s).includes(k8s));
    const pick = minors[1] ?? minors[0];
    if (pick) defaults.set(k8s, `v${pick.minor}.${pick.patches[0]}`);
  }
  return CATALOG.flatMap((m) =>
    m.patches.map((p) => {
      const addonVersion = `v${m.minor}.${p}`;
      return {
        addonVersion,
        architecture: ['amd64', 'arm64'],
        compatibilities: k8sRange(...m.k8s).map((clusterVersion) => ({
          clusterVersion,
          platformVersions: ['*'],
          defaultVersion: defaults.get(clusterVersion) === addonVersion,
        })),
        requiresConfiguration: false,
      };
    }),
  );
}

const TEAMS = ['payments', 'checkout', 'search', 'identity', 'ledger', 'catalog', 'media', 'analytics', 'platform', 'risk', 'notifications', 'billing'];
const ENVS = ['prod', 'staging', 'dev'];
const REGION_SHORT: Record<string, string> = {
  'us-east-1': 'use1', 'us-east-2': 'use2', 'us-west-2': 'usw2', 'eu-west-1': 'euw1', 'eu-central-1': 'euc1',
  'ap-southeast-2': 'apse2', 'ap-northeast-1': 'apne1', 'ca-central-1': 'cac1', 'ap-east-1': 'ape1',
};
const OPT_IN = new Set(['ap-east-1', 'af-south-1', 'me-south-1', 'eu-south-1', 'ap-south-2', 'il-central-1']);

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] ?? (items[0] as T);
}

/** A count with the given mean: uniform over 0 … 2·floor(mean), plus one with the fractional part's chance. */
function countAround(random: Random, mean: number): number {
  const whole = Math.floor(mean);
  return Math.floor(random() * (2 * whole + 1)) + (random() < mean - whole ? 1 : 0);
}

function buildOus(): SimOu[] {
  return [
    { id: 'ou-wkld-workloads', name: 'Workloads', parent: 'r-root' },
    { id: 'ou-wkld-prod', name: 'Production', parent: 'ou-wkld-workloads' },
    { id: 'ou-wkld-staging', name: 'Staging', parent: 'ou-wkld-workloads' },
    { id: 'ou-wkld-dev', name: 'Development', parent: 'ou-wkld-workloads' },
    { id: 'ou-infr-shared', name: 'Shared Services', parent: 'r-root' },
    { id: 'ou-sbox-sandbox', name: 'Sandbox', parent: 'r-root' },
  ];
}

const ENV_OU: Record<string, string> = { prod: 'ou-wkld-prod', staging: 'ou-wkld-staging', dev: 'ou-wkld-dev' };

function offered(catalog: SimAddonVersionEntry[], k8s: string): string[] {
  return catalog.filter((e) => e.compatibilities.some((c) => c.clusterVersion === k8s)).map((e) => e.addonVersion);
}

/** A managed vpc-cni add-on: mostly current and healthy, with the failures a real fleet has. */
function managedAddon(random: Random, accountId: string, cluster: string, k8s: string, catalog: SimAddonVersionEntry[]): SimAddon {
  const versions = offered(catalog, k8s);
  const roll = random();
  let addonVersion: string;
  if (roll < 0.55) addonVersion = versions[0] ?? 'v1.18.6-eksbuild.1';
  else if (roll < 0.8) addonVersion = pick(random, versions.slice(1, 8).length > 0 ? versions.slice(1, 8) : versions);
  else if (roll < 0.9) addonVersion = pick(random, ['v1.11.4-eksbuild.1', 'v1.12.0-eksbuild.1', 'v1.12.2-eksbuild.1', 'v1.15.1-eksbuild.1']);
  else if (roll < 0.97) addonVersion = pick(random, versions.slice(-3).length > 0 ? versions.slice(-3) : versions);
  else addonVersion = pick(random, ['v1.7.5-eksbuild.1', 'v1.7.1-eksbuild.1', 'v1.9.3-eksbuild.1']);

  const state = random();
  const status = state < 0.9 ? 'ACTIVE' : state < 0.96 ? 'DEGRADED' : state < 0.98 ? 'UPDATE_FAILED' : 'ACTIVE';
  const issues =
    status === 'DEGRADED'
      ? [{ code: pick(random, ['InsufficientNumberOfReplicas', 'AdmissionRequestDenied', 'ConfigurationConflict']), message: 'The add-on is unhealthy because it does not have the desired number of replicas.', resourceIds: [] }]
      : status === 'UPDATE_FAILED'
        ? [{ code: 'ConfigurationConflict', message: 'Conflicts found when trying to apply. Will not continue due to resolve conflicts mode.', resourceIds: [] }]
        : [];

  const iam = random();
  const role = `arn:aws:iam::${accountId}:role/${cluster}-vpc-cni`;
  const config = random();
  let configurationValues: string | undefined;
  if (config < 0.1) configurationValues = JSON.stringify({ env: { WARM_IP_TARGET: '5' } });
  else if (config < 0.2) configurationValues = JSON.stringify({ env: { WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '10' } });
  else if (config < 0.25) configurationValues = JSON.stringify({ env: { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' } });
  else if (config < 0.28) configurationValues = JSON.stringify({ livenessProbeTimeoutSeconds: 5, readinessProbeTimeoutSeconds: 5 });
  else if (config < 0.29) configurationValues = '{"env": {"WARM_IP_TARGET": "5"';
  return {
    addonVersion,
    status,
    configurationValues,
    serviceAccountRoleArn: iam < 0.7 ? role : null,
    podIdentityAssociations: iam >= 0.7 && iam < 0.85 ? [{ namespace: 'kube-system', serviceAccount: 'aws-node', roleArn: role }] : [],
    health: { issues },
  };
}

function cluster(random: Random, accountId: string, name: string, selfManagedRate: number, catalog: SimAddonVersionEntry[], team: string, env: string): SimCluster {
  const version = pick(random, ['1.23', '1.25', '1.26', '1.27', '1.28', '1.28', '1.29', '1.29', '1.29', '1.30', '1.30', '1.30']);
  const selfManaged = random() < selfManagedRate;
  const c: SimCluster = {
    name,
    version,
    status: random() < 0.98 ? 'ACTIVE' : 'UPDATING',
    platformVersion: `eks.${1 + Math.floor(random() * 12)}`,
    tags: { team, environment: env, 'managed-by': pick(random, ['terraform', 'cdk', 'eksctl']) },
    authenticationMode: 'API_AND_CONFIG_MAP',
    podIdentityAssociations: [],
    addons: {},
  };
  if (selfManaged) {
    const tag = pick(random, ['v1.7.5', 'v1.9.3', 'v1.12.6', 'v1.15.1', 'v1.18.3']);
    c.selfManagedCni = { image: `602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:${tag}`, env: {}, roleArn: null, access: true, installedBy: 'manifest' };
  } else {
    c.addons['vpc-cni'] = managedAddon(random, accountId, name, version, catalog);
  }
  return c;
}

export function generateOrg(options: GenerateOrgOptions): SimOrg {
  if (options.clustersPerAccount !== undefined && options.clustersPerRegion !== undefined) {
    throw new RangeError('generateOrg: give clustersPerAccount or clustersPerRegion, not both');
  }
  const random = seededRandom(options.seed ?? 1);
  const regions = Array.isArray(options.regions) ? options.regions : DEFAULT_REGIONS.slice(0, options.regions ?? 4);
  const managementAccountId = options.managementAccountId ?? '100000000001';
  const catalog = vpcCniCatalog();
  const accounts: SimAccount[] = [];
  for (let i = 0; i < options.accounts; i++) {
    const management = i === 0;
    const id = management ? managementAccountId : String(200000000000 + i * 7).padStart(12, '0');
    const team = management ? 'platform' : pick(random, TEAMS);
    const env = management ? 'prod' : pick(random, ENVS);
    const name = management ? 'management' : `${team}-${env}-${String(i).padStart(4, '0')}`;
    const enabledRegions = regions.filter((r, n) => n === 0 || !OPT_IN.has(r) || random() < 0.2);
    const perRegion = options.clustersPerRegion ?? (options.clustersPerAccount ?? 2.5) / Math.max(1, enabledRegions.length);
    const regionMap: Record<string, SimRegion> = {};
    for (const region of regions) {
      if (!enabledRegions.includes(region)) {
        regionMap[region] = { enabled: false, clusters: [] };
        continue;
      }
      const short = REGION_SHORT[region] ?? region.replace(/-/g, '');
      const count = countAround(random, perRegion);
      const clusters = Array.from({ length: count }, (_, k) =>
        cluster(random, id, `${team}-${env}-${short}${k === 0 ? '' : `-${k + 1}`}`, options.selfManagedRate ?? 0.15, catalog, team, env),
      );
      regionMap[region] = { enabled: true, clusters };
    }
    const roll = random();
    accounts.push({
      id,
      name,
      email: `aws+${name}@example.com`,
      state: !management && roll < (options.suspendedRate ?? 0.01) ? 'SUSPENDED' : 'ACTIVE',
      legacyStatusOnly: false,
      ou: management ? undefined : team === 'platform' ? 'ou-infr-shared' : env === 'dev' && random() < 0.3 ? 'ou-sbox-sandbox' : ENV_OU[env],
      auditRole: management || random() >= (options.noAuditRoleRate ?? 0.01),
      securityHub: random() >= (options.noSecurityHubRate ?? 0.02),
      securityHubDisabledRegions: [],
      regions: regionMap,
    });
  }
  return {
    managementAccountId,
    organizationId: 'o-generated01',
    auditRoleName: 'EksFleetAuditRole',
    topics: [`arn:aws:sns:us-east-1:${managementAccountId}:eks-fleet-audit`],
    omitAccountPaths: false,
    ous: buildOus(),
    accounts,
    addonVersions: { 'vpc-cni': catalog },
    pageSize: {},
    faults: { latencyMs: 0, latencyJitterMs: 0, throttleRate: 0, errorRate: 0, seed: options.seed ?? 1, rateLimits: {}, rules: [], exempt: [] },
    buckets: [],
  };
}
