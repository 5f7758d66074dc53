import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { catalogFor, vpcCniEntries, type AddonVersionsResponse } from '../evaluate/catalog.js';
import { evaluateClusterWithPlan } from '../evaluate/evaluate.js';
import { isRegionName, partitionOfRegion } from '../evaluate/plan/registry.js';
import { isValid } from '../evaluate/plan/shell.js';
import { parseCniVersion } from '../evaluate/version.js';
import { forTerminal } from '../escape.js';
import { planTextLines } from '../report/render.js';
import { loadRules, RuleValidationError } from '../rules/load.js';
import { SEVERITIES, type ClusterFacts, type ClusterPlan, type Finding, type Severity } from '../types.js';
import { asUsageError, UsageError } from './errors.js';
import { compareFindings, countBySeverity, isAtOrAbove } from '../severity.js';
import { formatFinding, painter } from './format.js';

export interface CheckOptions {
  version: string;
  k8s?: string;
  config?: string;
  managed: string;
  roleArn?: string;
  catalog?: string;
  rules?: string[];
  format: string;
  failOn?: string;
  cluster: string;
  region: string;
}

const catalogSchema = z.object({
  addons: z.array(
    z.object({
      addonName: z.string().optional(),
      addonVersions: z.array(z.object({ addonVersion: z.string(), compatibilities: z.array(z.object({ clusterVersion: z.string() })).default([]) })),
    }),
  ),
});

async function readCatalog(file: string, k8s: string | undefined): Promise<{ offered: string[]; since?: string }> {
  if (!k8s) throw new UsageError('--catalog needs --k8s: the offered versions depend on the Kubernetes version');
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--catalog ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = catalogSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--catalog ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message} (expected the output of aws eks describe-addon-versions)`);
  }
  const catalog = catalogFor(vpcCniEntries(parsed.data as AddonVersionsResponse), k8s);
  if (!catalog.covered) {
    const listed = catalog.versions.length ? `Kubernetes ${catalog.versions.join(', ')}` : 'no Kubernetes version (no compatibilities)';
    throw new UsageError(
      `--catalog ${file} lists vpc-cni builds for ${listed}, not for --k8s ${k8s}: it cannot tell what EKS offers for ${k8s}. ` +
        `Save it again with aws eks describe-addon-versions --addon-name vpc-cni --kubernetes-version ${k8s} (or without --kubernetes-version, for every version)`,
    );
  }
  return { offered: catalog.offered, ...(catalog.since ? { since: catalog.since } : {}) };
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

/** Commander's defaults for --cluster and --region: no value given, so no command can name them. */
const UNSET = new Set(['<cluster>', '<region>']);

/**
 * Without --cluster or --region the plan is built for stand-ins the planner accepts (a valid
 * cluster name, a Region of the same partition), then every stand-in in it is replaced by the
 * placeholder `<cluster>` or `<region>`: the commands are whole, and none runs as pasted (the
 * shell reads `<cluster>` as a redirection from a file named cluster, and stops).
 */
const STAND_IN = { cluster: 'fleetauditplaceholdercluster', region: 'us-east-2' } as const;

/** `value` with each stand-in replaced by its placeholder, in every string it holds. */
function withPlaceholders<T>(value: T, used: { cluster: boolean; region: boolean }): T {
  const swap = (text: string) => {
    let out = used.cluster ? text.replaceAll(STAND_IN.cluster, '<cluster>') : text;
    if (used.region) out = out.replaceAll(STAND_IN.region, '<region>');
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return swap(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** The facts of the what-if cluster, from the flags. */
export async function whatIfFacts(options: CheckOptions): Promise<ClusterFacts> {
  if (!UNSET.has(options.region) && !isRegionName(options.region)) throw new UsageError(`--region "${options.region}" is not an AWS Region (e.g. us-east-1, cn-northwest-1, us-gov-west-1)`);
  if (!UNSET.has(options.cluster) && !isValid('cluster name', options.cluster)) {
    throw new UsageError(`--cluster "${options.cluster}" is not an EKS cluster name (1-100 letters, digits, - and _, starting with a letter or digit)`);
  }
  const partition = partitionOfRegion(options.region) ?? 'aws';
  if (!parseCniVersion(options.version)) {
    throw new UsageError(`--version "${options.version}" is not a vpc-cni version (expected e.g. v1.18.0-eksbuild.1, v1.9.3 or an image reference)`);
  }
  if (options.k8s !== undefined && !/^\d+\.\d+$/.test(options.k8s)) throw new UsageError(`--k8s "${options.k8s}" must look like 1.29`);
  const managed = choice('--managed', options.managed, ['true', 'false'] as const) === 'true';
  const role = options.roleArn === 'none' ? null : (options.roleArn ?? null);
  if (role !== null && !isValid('IAM role ARN', role)) throw new UsageError(`--role-arn "${role}" is not an IAM role ARN (or "none")`);
  if (role !== null && role.split(':')[1] !== partition && !UNSET.has(options.region)) {
    throw new UsageError(`--role-arn is in the ${role.split(':')[1]} partition, but --region ${options.region} is in ${partition}`);
  }
  const account = role?.split(':')[4] ?? '<account>';
  const catalog = options.catalog ? await readCatalog(options.catalog, options.k8s) : undefined;
  return {
    accountId: account,
    accountName: account,
    partition,
    region: options.region,
    clusterName: options.cluster,
    clusterArn: `arn:${partition}:eks:${options.region}:${account}:cluster/${options.cluster}`,
    kubernetesVersion: options.k8s ?? '',
    clusterStatus: 'ACTIVE',
    tags: {},
    cni: {
      managed,
      source: managed ? 'addon' : 'daemonset',
      version: options.version,
      status: managed ? 'ACTIVE' : null,
      healthIssues: [],
      configurationValues: options.config ?? null,
      serviceAccountRoleArn: role,
      podIdentityAssociations: [],
      iamRoleKnown: options.roleArn !== undefined,
    },
    ...(catalog ? { offeredVersions: catalog.offered, ...(catalog.since ? { offeredSince: catalog.since } : {}) } : {}),
  };
}

export interface CheckResult {
  output: string;
  exitCode: number;
}

/** `fleet-audit check`: which known risks apply to one (hypothetical) cluster. */
export async function runCheck(options: CheckOptions, isTty: boolean): Promise<CheckResult> {
  const format = choice('--format', options.format, ['text', 'json'] as const);
  const failOn = options.failOn === undefined ? undefined : choice<Severity>('--fail-on', options.failOn, SEVERITIES);
  const used = { cluster: UNSET.has(options.cluster), region: UNSET.has(options.region) };
  const facts = await whatIfFacts({
    ...options,
    ...(used.cluster ? { cluster: STAND_IN.cluster } : {}),
    ...(used.region ? { region: STAND_IN.region } : {}),
  });
  const rules = await asUsageError(() => loadRules(options.rules ?? []), [RuleValidationError]);
  const evaluated = withPlaceholders(evaluateClusterWithPlan(rules, facts), used);
  const plan = evaluated.plan;
  const findings = evaluated.findings.sort(compareFindings);
  const failed = failOn !== undefined && findings.some((f) => isAtOrAbove(f.severity, failOn));
  const shown = withPlaceholders(facts, used);
  const output =
    format === 'json' ? JSON.stringify({ input: describeInput(shown), findings, plan: plan ?? null }, null, 2) : renderText(shown, findings, plan, options, isTty);
  return { output, exitCode: failed ? 1 : 0 };
}

function describeInput(facts: ClusterFacts) {
  return {
    version: facts.cni.version,
    upstreamVersion: parseCniVersion(facts.cni.version)?.upstream,
    kubernetesVersion: facts.kubernetesVersion || null,
    partition: facts.partition,
    managed: facts.cni.managed,
    offeredVersions: facts.offeredVersions ?? null,
  };
}

function renderText(facts: ClusterFacts, findings: Finding[], plan: ClusterPlan | undefined, options: CheckOptions, isTty: boolean): string {
  const paint = painter(isTty);
  const version = parseCniVersion(facts.cni.version)!;
  const header = [
    `vpc-cni ${facts.cni.version} (release ${version.upstream})`,
    facts.kubernetesVersion ? `on Kubernetes ${facts.kubernetesVersion}` : 'Kubernetes version not given (--k8s)',
    facts.cni.managed ? 'managed add-on' : 'self-managed',
  ].join(', ');
  const notes: string[] = [];
  if (!facts.kubernetesVersion) notes.push('Rules limited to some Kubernetes versions were not checked: give --k8s.');
  if (!facts.offeredVersions) notes.push('"Behind the newest version" was not checked: give --catalog (aws eks describe-addon-versions --addon-name vpc-cni output).');
  if (!facts.cni.iamRoleKnown) notes.push('The IAM role rule was not checked: give --role-arn ARN (or none).');
  const placeholders = [UNSET.has(options.cluster) ? '<cluster> (--cluster)' : '', UNSET.has(options.region) ? '<region> (--region)' : ''].filter(Boolean);
  if (plan && placeholders.length) {
    notes.push(
      `The commands hold the placeholder${placeholders.length > 1 ? 's' : ''} ${placeholders.join(' and ')}: they do not run as printed. Give ${placeholders.length > 1 ? 'both flags' : 'the flag'} for commands ready to paste` +
        (UNSET.has(options.region) && !facts.cni.managed ? ' ; for a self-managed aws-node give --region rather than fill in <region> by hand: the image registry\'s account differs in some Regions' : '') +
        '.',
    );
  }
  const body = findings.length
    ? findings.map((f) => formatFinding(f, paint, '', plan !== undefined)).join('\n\n')
    : paint('green', 'No known risk applies.');
  const planLines = plan ? ['', paint('bold', 'Plan (one for the cluster, for every finding above):'), ...planTextLines(plan, paint, '')] : [];
  return [forTerminal(header), `${findings.length} finding(s): ${countBySeverity(findings)}`, '', body, ...planLines, '', ...notes.map((n) => paint('gray', n))].join('\n').trimEnd();
}
