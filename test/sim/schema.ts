/**
 * The org file: the typed shape of the organization the simulator serves, validated with zod
 * once on load. Strict objects so that a typo in a hand-written org file fails loudly instead of
 * silently serving a different organization.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export const SIM_SERVICES = ['sts', 'organizations', 'account', 'eks', 'sns', 'securityhub', 's3'] as const;
export type SimService = (typeof SIM_SERVICES)[number];
/** What `calls()` counts: the AWS services, and the Kubernetes API of the clusters (HTTPS, EKS tokens). */
export type SimCallService = SimService | 'kubernetes';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');

const healthIssueSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  resourceIds: z.array(z.string()).default(() => []),
});

const podIdentitySchema = z.strictObject({
  namespace: z.string().default('kube-system'),
  serviceAccount: z.string(),
  roleArn: z.string(),
});

const addonSchema = z.strictObject({
  addonVersion: z.string(),
  status: z.string().default('ACTIVE'),
  configurationValues: z.string().optional(),
  serviceAccountRoleArn: z.string().nullable().optional(),
  podIdentityAssociations: z.array(podIdentitySchema).default(() => []),
  health: z.strictObject({ issues: z.array(healthIssueSchema).default(() => []) }).default(() => ({ issues: [] })),
  createdAt: z.iso.datetime().optional(),
  modifiedAt: z.iso.datetime().optional(),
});

/** The aws-node DaemonSet the cluster's Kubernetes API serves (services/kubernetes.ts). */
const selfManagedCniSchema = z.strictObject({
  image: z.string(),
  env: z.record(z.string(), z.string()).default(() => ({})),
  /** The `eks.amazonaws.com/role-arn` annotation of the aws-node service account. */
  roleArn: z.string().nullable().optional(),
  /** false: the audit role may not read kube-system (403). */
  access: z.boolean().default(true),
  livenessProbeTimeoutSeconds: z.number().int().positive().optional(),
  readinessProbeTimeoutSeconds: z.number().int().positive().optional(),
  /** false: a private endpoint out of the auditor's reach: connections are accepted, never answered (absent: reachable). */
  endpointReachable: z.boolean().optional(),
  /** The `aws-eks-nodeagent` container's image (absent: a pod without the network policy agent, as before v1.14). */
  nodeAgentImage: z.string().optional(),
  /** The agent's `--enable-network-policy` flag (default false, as in the upstream manifests). */
  enableNetworkPolicy: z.boolean().optional(),
  /**
   * How aws-node was installed: `manifest` (kubectl apply of the release manifest, or EKS at
   * cluster creation: its labels) or `helm` (the aws-vpc-cni chart's labels and Helm 3's release annotations).
   */
  installedBy: z.enum(['manifest', 'helm']).default('manifest'),
  /** The Helm release, for `installedBy: helm`. */
  helm: z
    .strictObject({ release: z.string().default('aws-vpc-cni'), namespace: z.string().default('kube-system'), chart: z.string().regex(/^\d+\.\d+\.\d+$/, 'a chart version like 1.18.6') })
    .optional(),
});

const clusterSchema = z.strictObject({
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be a valid EKS cluster name'),
  version: z.string().regex(/^\d+\.\d+$/, 'must be a Kubernetes minor version like 1.29'),
  status: z.string().default('ACTIVE'),
  platformVersion: z.string().default('eks.1'),
  tags: z.record(z.string(), z.string()).default(() => ({})),
  createdAt: z.iso.datetime().optional(),
  authenticationMode: z.string().default('API_AND_CONFIG_MAP'),
  podIdentityAssociations: z.array(podIdentitySchema).default(() => []),
  /** Managed add-ons by name; a cluster without `vpc-cni` here runs a self-managed CNI. */
  addons: z.record(z.string(), addonSchema).default(() => ({})),
  selfManagedCni: selfManagedCniSchema.optional(),
  /** The cluster runs another CNI (cilium, calico, ...): kube-system has no aws-node DaemonSet (404). */
  otherCni: z.string().optional(),
});

const regionSchema = z.strictObject({
  /** false = an opt-in region the account has not enabled. */
  enabled: z.boolean().default(true),
  clusters: z.array(clusterSchema).default(() => []),
});

export const ACCOUNT_STATES = ['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE', 'CLOSED', 'PENDING_ACTIVATION'] as const;

const accountSchema = z.strictObject({
  id: accountId,
  name: z.string(),
  email: z.string().optional(),
  state: z.enum(ACCOUNT_STATES).default('ACTIVE'),
  /** The retired Organizations `Status`; derived from `state` when absent. */
  status: z.enum(['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE']).optional(),
  /** Omit `State` from Organizations answers (an older API shape), for the fallback path. */
  legacyStatusOnly: z.boolean().default(false),
  ou: z.string().optional(),
  auditRole: z.boolean().default(true),
  externalId: z.string().optional(),
  securityHub: z.boolean().default(true),
  securityHubDisabledRegions: z.array(z.string()).default(() => []),
  joinedAt: z.iso.datetime().optional(),
  regions: z.record(z.string(), regionSchema).default(() => ({})),
});

const ouSchema = z.strictObject({
  id: z.string().regex(/^ou-[0-9a-z-]{1,60}$/, 'must look like ou-xxxx-name'),
  name: z.string(),
  parent: z.string().default('r-root'),
});

/** A DescribeAddonVersions `addonVersions` entry, served as written. */
const addonVersionEntrySchema = z.looseObject({
  addonVersion: z.string(),
  architecture: z.array(z.string()).default(() => ['amd64', 'arm64']),
  compatibilities: z
    .array(
      z.looseObject({
        clusterVersion: z.string(),
        platformVersions: z.array(z.string()).default(() => ['*']),
        defaultVersion: z.boolean().default(false),
      }),
    )
    .default(() => []),
  requiresConfiguration: z.boolean().default(false),
});

const faultRuleSchema = z.strictObject({
  service: z.enum(SIM_SERVICES).optional(),
  operation: z.string().optional(),
  accountId: accountId.optional(),
  region: z.string().optional(),
  cluster: z.string().optional(),
  /** A regular expression the S3 object key must match (object operations only). */
  key: z
    .string()
    .refine((pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    }, 'not a regular expression')
    .optional(),
  /** The error code to answer with (ThrottlingException, AccessDeniedException, InternalFailure, ...). */
  error: z.string().optional(),
  status: z.number().int().min(200).max(599).optional(),
  message: z.string().optional(),
  /** Apply this many times, then stop; absent = always. */
  times: z.number().int().positive().optional(),
  /** Answer 200 with a body that is not valid JSON/XML. */
  malformed: z.boolean().optional(),
  /** Cut the connection half way through the body. */
  truncate: z.boolean().optional(),
  /** Extra latency for the matching calls. */
  latencyMs: z.number().nonnegative().optional(),
  /**
   * BatchImportFindings only: answer 200 but list these finding Ids in FailedFindings (ErrorCode
   * `error`, default InternalException) instead of storing them.
   */
  failFindingIds: z.array(z.string()).min(1).optional(),
});

/** A token bucket per account and Region (as AWS meters an API), `perAccountPerSecond` refilling it. */
const rateLimitSchema = z.strictObject({
  perAccountPerSecond: z.number().positive(),
  burst: z.number().positive(),
});

export const faultsSchema = z.strictObject({
  latencyMs: z.number().nonnegative().default(0),
  latencyJitterMs: z.number().nonnegative().default(0),
  throttleRate: z.number().min(0).max(1).default(0),
  errorRate: z.number().min(0).max(1).default(0),
  seed: z.number().int().default(1),
  rateLimits: z.partialRecord(z.enum(SIM_SERVICES), rateLimitSchema).default(() => ({})),
  rules: z.array(faultRuleSchema).default(() => []),
  /** Services the random throttle/error rates and rate limits leave alone (rules still apply). */
  exempt: z.array(z.enum(SIM_SERVICES)).default(() => []),
});

export const simOrgSchema = z.strictObject({
  managementAccountId: accountId,
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/)
    .default('o-exampleorgid'),
  /**
   * The audit role that exists in every account with `auditRole` (AWS refuses AssumeRole of a
   * role that does not exist: AccessDenied).
   */
  auditRoleName: z.string().default('EksFleetAuditRole'),
  /** SNS topics that exist (Publish to any other answers NotFound, as SNS does). */
  topics: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/, 'must be an SNS topic ARN')).default(() => []),
  /** Leave `Paths` out of ListAccounts answers (an older API shape), for the ListParents fallback. */
  omitAccountPaths: z.boolean().default(false),
  ous: z.array(ouSchema).default(() => []),
  accounts: z.array(accountSchema),
  addonVersions: z.record(z.string(), z.array(addonVersionEntrySchema)).default(() => ({})),
  /** Page size per operation name (ListAccounts, ListClusters, ...), capped by the caller's MaxResults. */
  pageSize: z.record(z.string(), z.number().int().positive()).default(() => ({})),
  faults: faultsSchema.default(() => faultsSchema.parse({})),
  buckets: z.array(z.string()).default(() => []),
});

export type SimOrg = z.output<typeof simOrgSchema>;
/** What a test may write: defaults filled in on load. */
export type SimOrgInput = z.input<typeof simOrgSchema>;
export type SimAccount = SimOrg['accounts'][number];
export type SimRegion = SimAccount['regions'][string];
export type SimCluster = SimRegion['clusters'][number];
export type SimAddon = SimCluster['addons'][string];
export type SimPodIdentity = SimCluster['podIdentityAssociations'][number];
export type SimOu = SimOrg['ous'][number];
export type SimAddonVersionEntry = SimOrg['addonVersions'][string][number];
export type SimFaults = z.output<typeof faultsSchema>;
export type SimFaultsInput = z.input<typeof faultsSchema>;
export type SimFaultRule = SimFaults['rules'][number];

export class SimOrgError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimOrgError';
  }
}

/** Validates an org (object or parsed JSON) and fills in defaults; `source` names it in errors. */
export function parseOrg(input: unknown, source = 'org'): SimOrg {
  const result = simOrgSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SimOrgError(`${source} is not a valid simulator org file:\n  ${issues.slice(0, 20).join('\n  ')}`);
  }
  const org = result.data;
  const ids = new Set<string>();
  for (const account of org.accounts) {
    if (ids.has(account.id)) throw new SimOrgError(`${source}: account ${account.id} is listed twice`);
    ids.add(account.id);
  }
  // Organizations always lists the management account; add it when the file leaves it out.
  if (!ids.has(org.managementAccountId)) {
    org.accounts.unshift(accountSchema.parse({ id: org.managementAccountId, name: 'management' }));
  }
  return org;
}

export async function loadOrgFile(path: string): Promise<SimOrg> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SimOrgError(`cannot read org file ${path}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SimOrgError(`org file ${path} is not valid JSON`, { cause: error });
  }
  return parseOrg(json, path);
}

export function parseFaults(input: SimFaultsInput): SimFaults {
  const result = faultsSchema.safeParse(input);
  if (!result.success) {
    throw new SimOrgError(`invalid faults: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}
