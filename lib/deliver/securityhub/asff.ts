import { createHash } from 'node:crypto';
import type { AwsSecurityFinding, Partition, SeverityLabel } from '@aws-sdk/client-securityhub';
import { forAsff, forCommand } from '../../escape.js';
import { isDowngrade } from '../../finding-text.js';
import type { Finding, Severity } from '../../types.js';
import type { FindingKey } from '../lifecycle.js';
import { ELLIPSIS, cutText } from '../text.js';

export const ASFF_SCHEMA_VERSION = '2018-10-08';
export const PROVIDER_NAME = 'eks-fleet-auditor';
/** Every GeneratorId we write starts with this: GetFindings finds ours with a PREFIX filter. */
export const GENERATOR_PREFIX = `${PROVIDER_NAME}/`;

/** ASFF field limits (BatchImportFindings rejects a finding over any of them). */
export const ASFF_LIMITS = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  recommendationText: 512,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  tags: 50,
  tagKey: 128,
  tagValue: 256,
} as const;

const SEVERITY_LABELS: Record<Severity, SeverityLabel> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  informational: 'INFORMATIONAL',
};

/*
 * Types, from the ASFF Types taxonomy (namespace/category[/classifier]):
 * - a version rule (the finding names a fixed-in version) reports a known defect of the software
 *   version that runs, fixed by upgrading: `Software and Configuration Checks/Vulnerabilities`,
 *   with the `CVE` classifier only when the finding references a CVE id (an availability bug is
 *   a weakness of the version, but claiming a CVE it does not have would mislead triage);
 * - any other rule reports a configuration that departs from AWS guidance:
 *   `Software and Configuration Checks/AWS Security Best Practices`.
 * "Availability Risks" is no category of the taxonomy, and `Industry and Regulatory Standards`
 * is for controls of a named standard, which these rules are not.
 */
const TYPE_VULNERABILITY = 'Software and Configuration Checks/Vulnerabilities';
const TYPE_CVE = 'Software and Configuration Checks/Vulnerabilities/CVE';
const TYPE_BEST_PRACTICE = 'Software and Configuration Checks/AWS Security Best Practices';
const CVE_ID = /\bCVE-\d{4}-\d{4,}\b/i;

export function findingTypes(finding: Finding): string[] {
  if (finding.fixedIn === null) return [TYPE_BEST_PRACTICE];
  return [finding.references.some((r) => CVE_ID.test(r)) ? TYPE_CVE : TYPE_VULNERABILITY];
}

export interface AsffContext {
  /** The time of this run's observation: UpdatedAt and LastObservedAt. */
  now: string;
  /** Kept from the finding already in Security Hub, else `now`. */
  firstObservedAt: string;
  /** Kept from the finding already in Security Hub, else `now`. */
  createdAt?: string;
  /** This tool's version (ProductFields.ProviderVersion). */
  productVersion: string;
  /** The cluster's status (ACTIVE, UPDATING, ...) when the caller has it: the Finding does not carry it. */
  clusterStatus?: string;
  /** The cluster's tags when the caller has them. */
  clusterTags?: Record<string, string>;
}

/** Security Hub's default product ARN of an account: the only one a custom integration may import into. */
export function defaultProductArn(partition: string, region: string, accountId: string): string {
  return `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/**
 * One Finding as an ASFF finding for BatchImportFindings.
 *
 * `Workflow` is not sent: Security Hub sets Workflow.Status NEW on creation and, after import, the
 * workflow belongs to the customer (BatchImportFindings ignores it on update), so sending it would
 * at best do nothing. `Region`, `CompanyName` and `ProductName` are filled in by Security Hub.
 */
export function toAsff(finding: Finding, ctx: AsffContext): AwsSecurityFinding {
  const severity = { Label: SEVERITY_LABELS[finding.severity], Original: finding.severity };
  const types = findingTypes(finding);
  const recommendationUrl = finding.remediation.url ?? finding.references[0];
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: cutIdentifier(finding.id, ASFF_LIMITS.id),
    ProductArn: defaultProductArn(finding.partition, finding.region, finding.accountId),
    GeneratorId: cutIdentifier(`${GENERATOR_PREFIX}${finding.ruleId}`, ASFF_LIMITS.generatorId),
    AwsAccountId: finding.accountId,
    Types: types,
    CreatedAt: ctx.createdAt ?? ctx.now,
    UpdatedAt: ctx.now,
    FirstObservedAt: ctx.firstObservedAt,
    LastObservedAt: ctx.now,
    Severity: severity,
    FindingProviderFields: { Severity: { ...severity }, Types: [...types] },
    Title: cutText(forAsff(finding.title), ASFF_LIMITS.title),
    Description: cutText(forAsff(describe(finding)), ASFF_LIMITS.description),
    Resources: [
      {
        Type: 'AwsEksCluster',
        Id: finding.clusterArn,
        Partition: finding.partition as Partition,
        Region: finding.region,
        Details: {
          AwsEksCluster: {
            Name: finding.clusterName,
            Arn: finding.clusterArn,
            Version: finding.kubernetesVersion,
            ...(ctx.clusterStatus === undefined ? {} : { ClusterStatus: ctx.clusterStatus }),
          },
        },
        ...(ctx.clusterTags === undefined ? {} : { Tags: limitTags(ctx.clusterTags) }),
      },
    ],
    Remediation: {
      Recommendation: {
        Text: recommendationText(finding, ASFF_LIMITS.recommendationText),
        ...(recommendationUrl === undefined ? {} : { Url: recommendationUrl }),
      },
    },
    ProductFields: productFields(finding, ctx.productVersion),
    RecordState: 'ACTIVE',
  };
}

/** The Description: the facts that matched, then what to do. */
function describe(finding: Finding): string {
  const version = finding.observedVersion ?? 'unknown';
  const target = finding.targetVersion === null ? '' : ` Target version: ${finding.targetVersion}${isDowngrade(finding.observedVersion, finding.targetVersion) ? ` (a downgrade from ${version})` : ''}.`;
  return `${finding.why} Cluster ${finding.clusterName} runs vpc-cni ${version}.${target} Remediation: ${finding.remediation.text}`;
}

/** A command that deletes or takes over something: never shown without every command after it. */
const DESTRUCTIVE = /\bdelete-addon\b|\bdelete secret\b|\buninstall\b|--resolve-conflicts OVERWRITE/;

/**
 * What to do, then the commands of the cluster's plan that fix this finding, in order and each
 * whole or not at all (half a command pasted on a cluster is worse than none). The finding's
 * commands start with what makes them work (the kubeconfig context, the Helm repository, the
 * backup), so any first part of them runs on its own; a command that deletes or takes over is
 * shown only with everything after it. What does not fit is counted and the full plan named: it
 * is in the run report (`plans`, by id).
 */
export function recommendationText(finding: Finding, max: number): string {
  const text = forAsff(finding.remediation.text);
  const commands = finding.remediation.commands.map(forCommand);
  const plan = finding.remediation.planId;
  const rest = (n: number) => (plan ? ` Full plan: ${forAsff(plan)} in the run report (plans)${n ? `, ${n} more command(s)` : ''}.` : n ? ` ${ELLIPSIS} ${n} more command(s) in the run report.` : '');
  if (commands.length === 0) return cutText(`${text}${plan ? rest(0) : ''}`, max);
  const withCommands = (kept: number) => `${text} Run: ${commands.slice(0, kept).join(' ; ')}${rest(commands.length - kept)}`;
  let kept = 0;
  while (kept < commands.length && withCommands(kept + 1).length <= max) kept += 1;
  // Stop before the first command that deletes or takes over, unless all of them fit.
  if (kept < commands.length) {
    const destructive = commands.slice(0, kept).findIndex((c) => DESTRUCTIVE.test(c));
    if (destructive >= 0) kept = destructive;
  }
  const result = kept > 0 ? withCommands(kept) : `${text}${rest(commands.length)}`;
  return result.length <= max ? result : cutText(`${text}${rest(commands.length)}`, max);
}

function productFields(finding: Finding, productVersion: string): Record<string, string> {
  const fields: Record<string, string> = {
    ProviderName: PROVIDER_NAME,
    ProviderVersion: productVersion,
    [`${PROVIDER_NAME}/RuleId`]: finding.ruleId,
    [`${PROVIDER_NAME}/AddonVersion`]: finding.observedVersion ?? 'unknown',
    [`${PROVIDER_NAME}/Managed`]: String(finding.managed),
    [`${PROVIDER_NAME}/AccountName`]: forAsff(finding.accountName),
    [`${PROVIDER_NAME}/ClusterName`]: forAsff(finding.clusterName),
    [`${PROVIDER_NAME}/KubernetesVersion`]: finding.kubernetesVersion,
  };
  if (finding.fixedIn !== null) fields[`${PROVIDER_NAME}/FixedIn`] = finding.fixedIn;
  if (finding.targetVersion !== null) fields[`${PROVIDER_NAME}/TargetVersion`] = finding.targetVersion;
  if (finding.remediation.planId !== undefined) fields[`${PROVIDER_NAME}/PlanId`] = forAsff(finding.remediation.planId);
  if (finding.ou !== undefined) fields[`${PROVIDER_NAME}/OrganizationalUnit`] = finding.ou;
  if (finding.suppressionExpired !== undefined) fields[`${PROVIDER_NAME}/SuppressionExpired`] = finding.suppressionExpired;
  // Every value may come from outside (a self-managed image tag is the observed version): no control character reaches Security Hub.
  return limitMap(mapText(fields), ASFF_LIMITS.productFields, ASFF_LIMITS.productFieldKey, ASFF_LIMITS.productFieldValue);
}

/** Cluster tags (any cluster admin writes them): keys and values as ASFF text. */
function limitTags(tags: Record<string, string>): Record<string, string> {
  return limitMap(mapText(tags), ASFF_LIMITS.tags, ASFF_LIMITS.tagKey, ASFF_LIMITS.tagValue);
}

function mapText(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [forAsff(key), forAsff(value)]));
}

/** Keeps the first `maxPairs` pairs whose key fits (a cut key could collide), cutting long values. */
function limitMap(map: Record<string, string>, maxPairs: number, maxKey: number, maxValue: number): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of Object.entries(map)) {
    if (count >= maxPairs) break;
    if (key.length === 0 || key.length > maxKey) continue;
    out[key] = cutText(value, maxValue);
    count += 1;
  }
  return out;
}

/**
 * An identifier over the limit keeps its start and gains a hash of the whole, so it stays both
 * deterministic and unique (an ellipsis would make two long ids collide).
 */
export function cutIdentifier(id: string, max: number): string {
  if (id.length <= max) return id;
  const digest = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `${id.slice(0, max - digest.length - 1)}~${digest}`;
}

/** Fields Security Hub fills in or the customer owns: never sent back when re-importing a read finding. */
const NOT_PROVIDER_OWNED = [
  'ProcessedAt',
  'Region',
  'CompanyName',
  'ProductName',
  'AwsAccountName',
  'Workflow',
  'WorkflowState',
  'Note',
  'UserDefinedFields',
  'VerificationState',
] as const;

/**
 * A finding read from Security Hub, re-imported as no longer observed: RecordState ARCHIVED and
 * UpdatedAt now; FirstObservedAt, LastObservedAt and CreatedAt stay as they were.
 */
export function archived(finding: AwsSecurityFinding, now: string): AwsSecurityFinding {
  const copy: AwsSecurityFinding = { ...finding };
  for (const field of NOT_PROVIDER_OWNED) delete copy[field];
  if (copy.ProductFields !== undefined) {
    // Security Hub adds `aws/securityhub/*` keys on import; they are its own, not ours to send.
    copy.ProductFields = Object.fromEntries(Object.entries(copy.ProductFields).filter(([key]) => !key.startsWith('aws/')));
  }
  if (copy.Severity !== undefined) {
    // Label alone is authoritative; the deprecated Normalized/Product scores are derived from it.
    const { Label, Original } = copy.Severity;
    copy.Severity = { ...(Label === undefined ? {} : { Label }), ...(Original === undefined ? {} : { Original }) };
  }
  return { ...copy, RecordState: 'ARCHIVED', UpdatedAt: now };
}

const field = (finding: AwsSecurityFinding, name: string): string | undefined => {
  const fields = finding.ProductFields ?? {};
  const key = `${PROVIDER_NAME}/${name}`;
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
};

/**
 * The rule and cluster of one of our findings read from Security Hub (ProductFields, else the
 * GeneratorId and the resource); undefined when it cannot be told (edited by hand, another tool).
 */
export function keyOfAsff(finding: AwsSecurityFinding, scope: { accountId: string; region: string }): FindingKey | undefined {
  const generated = finding.GeneratorId?.startsWith(GENERATOR_PREFIX) ? finding.GeneratorId.slice(GENERATOR_PREFIX.length) : undefined;
  const ruleId = field(finding, 'RuleId') ?? generated;
  const clusterName = field(finding, 'ClusterName') ?? finding.Resources?.[0]?.Details?.AwsEksCluster?.Name;
  if (!ruleId || !clusterName) return undefined;
  return { ruleId, accountId: scope.accountId, region: scope.region, clusterName };
}

const SEVERITY_OF_LABEL: Record<string, Severity> = Object.fromEntries(Object.entries(SEVERITY_LABELS).map(([severity, label]) => [label, severity as Severity]));

/**
 * One of our findings as Security Hub holds it, back as a Finding (for RESOLVED when no run
 * history can be read): what ASFF keeps of it; the commands are not kept there.
 */
export function findingFromAsff(finding: AwsSecurityFinding, scope: { accountId: string; region: string; partition: string }): Finding {
  const key = keyOfAsff(finding, scope);
  const resource = finding.Resources?.[0];
  const original = finding.Severity?.Original;
  const severity: Severity = original !== undefined && original in SEVERITY_LABELS ? (original as Severity) : (SEVERITY_OF_LABEL[finding.Severity?.Label ?? ''] ?? 'informational');
  const ou = field(finding, 'OrganizationalUnit');
  return {
    id: finding.Id ?? '',
    ruleId: key?.ruleId ?? '',
    title: finding.Title ?? '',
    severity,
    accountId: scope.accountId,
    accountName: field(finding, 'AccountName') ?? scope.accountId,
    ...(ou === undefined ? {} : { ou }),
    partition: scope.partition,
    region: scope.region,
    clusterName: key?.clusterName ?? '',
    clusterArn: resource?.Id ?? '',
    kubernetesVersion: field(finding, 'KubernetesVersion') ?? resource?.Details?.AwsEksCluster?.Version ?? '',
    managed: field(finding, 'Managed') === 'true',
    observedVersion: field(finding, 'AddonVersion') ?? null,
    fixedIn: field(finding, 'FixedIn') ?? null,
    targetVersion: field(finding, 'TargetVersion') ?? null,
    why: finding.Description ?? '',
    remediation: { text: finding.Remediation?.Recommendation?.Text ?? '', commands: [] },
    references: [],
  };
}
