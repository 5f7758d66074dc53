import { z } from 'zod';
import { SEVERITIES, type CoverageNoteKind, type ScanStage } from '../../types.js';
import type { StoredRunReport } from './delta.js';

/*
 * The shape of a saved run report, checked on read: a report written by an older or broken run,
 * or edited by hand, must not reach the delta as if it were sound. Unknown keys are dropped
 * (a newer tool may add fields); a different schemaVersion is refused. Open vocabularies (a
 * coverage note's kind, an error's stage) take any text: the writer's lists are lib/types.ts
 * SCAN_STAGES and COVERAGE_NOTE_KINDS, and a value a newer or older tool wrote is kept, never a
 * reason to drop a whole report (which would make the next night a first night).
 */

/** Any text, typed as the vocabulary it belongs to (kept as written when it is not one we know). */
const vocabulary = <T extends string>() => z.string().transform((s) => s as T);

const severity = z.enum(SEVERITIES as [string, ...string[]]).transform((s) => s as (typeof SEVERITIES)[number]);
const nullableString = z.string().nullable();

/** Which cluster, of which account: shared by findings and cluster facts. */
const clusterIdentity = {
  accountId: z.string(),
  accountName: z.string(),
  ou: z.string().optional(),
  ouPath: z.array(z.string()).optional(),
  partition: z.string(),
  region: z.string(),
  clusterName: z.string(),
  clusterArn: z.string(),
  kubernetesVersion: z.string(),
};

const finding = z.object({
  id: z.string().min(1),
  ruleId: z.string(),
  title: z.string(),
  severity,
  ...clusterIdentity,
  managed: z.boolean(),
  observedVersion: nullableString,
  fixedIn: nullableString,
  targetVersion: nullableString,
  why: z.string(),
  remediation: z.object({ text: z.string(), commands: z.array(z.string()), url: z.string().optional(), planId: z.string().optional() }),
  references: z.array(z.string()),
  suppressionExpired: z.string().optional(),
});

const scanError = z.object({
  accountId: z.string(),
  region: z.string().optional(),
  cluster: z.string().optional(),
  stage: vocabulary<ScanStage>(),
  code: z.string(),
  message: z.string(),
});

const coverageNote = z.object({
  accountId: z.string(),
  region: z.string().optional(),
  cluster: z.string().optional(),
  kind: vocabulary<CoverageNoteKind>(),
  message: z.string(),
});

const count = z.number().int().nonnegative();

const coverage = z.object({
  accounts: z.object({ listed: count, excluded: count, scanned: count, failed: count, notReached: count }),
  regions: z.object({ scanned: count, notEnabled: count, failed: count }),
  clusters: z.object({ scanned: count, failed: count, managedAddon: count, selfManaged: count }),
  notes: z.array(coverageNote),
});

const account = z.object({
  id: z.string(),
  name: z.string(),
  ou: z.string().optional(),
  ouPath: z.array(z.string()).optional(),
  email: z.string().optional(),
  state: z.string(),
});

const clusterFacts = z.object({
  ...clusterIdentity,
  clusterStatus: z.string(),
  platformVersion: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  cni: z.object({
    managed: z.boolean(),
    source: vocabulary<'addon' | 'daemonset' | 'none' | 'absent'>(),
    installMethod: vocabulary<'addon' | 'helm' | 'manifest'>().optional(),
    helmRelease: z.object({ name: nullableString, namespace: nullableString, chartVersion: nullableString }).optional(),
    version: nullableString,
    image: z.string().optional(),
    officialImage: z.boolean().optional(),
    status: nullableString,
    healthIssues: z.array(z.object({ code: z.string(), message: z.string(), resourceIds: z.array(z.string()).optional() })),
    configurationValues: nullableString,
    serviceAccountRoleArn: nullableString,
    podIdentityAssociations: z.array(
      z.object({ associationId: z.string().optional(), namespace: z.string().optional(), serviceAccount: z.string(), roleArn: z.string().optional() }),
    ),
    iamRoleKnown: z.boolean().optional(),
    daemonSetVersion: z.string().optional(),
    networkPolicyAgent: z.object({ image: z.string(), version: nullableString }).optional(),
    envNotCarried: z.array(z.object({ container: z.string(), name: z.string(), why: vocabulary<'valueFrom' | 'envFrom' | 'outside-schema'>() })).optional(),
  }),
  offeredVersions: z.array(z.string()).optional(),
  offeredSince: z.string().optional(),
  unread: z.array(z.object({ source: vocabulary<'aws-node' | 'catalog'>(), reason: z.string() })).optional(),
});

const baseline = z.object({
  kind: vocabulary<'first-run' | 'last-notified' | 'fallback' | 'unavailable'>(),
  runId: z.string().optional(),
  message: z.string().optional(),
});

const planStep = z.object({ title: z.string(), commands: z.array(z.string()), fixes: z.array(z.string()), alternative: z.boolean().optional() });

const planPathStep = z.object({ version: z.string(), selfManaged: z.boolean(), why: z.string().optional() });
function pathStepOfText(text: string): z.infer<typeof planPathStep> {
  const selfManaged = text.endsWith(' (self-managed)');
  return { version: selfManaged ? text.slice(0, -' (self-managed)'.length) : text, selfManaged };
}

const clusterPlan = z.object({
  id: z.string(),
  accountId: z.string(),
  accountName: z.string(),
  partition: z.string(),
  region: z.string(),
  clusterName: z.string(),
  kubernetesVersion: z.string(),
  installMethod: vocabulary<'addon' | 'helm' | 'manifest' | 'unknown'>(),
  currentVersion: nullableString,
  target: nullableString,
  targetReason: z.string(),
  // Reports of the first plans wrote each step as a string: `v1.17.1 (self-managed)`.
  path: z.array(z.union([planPathStep, z.string().transform(pathStepOfText)])),
  missingMinors: z.array(z.string()),
  risksCarried: z.array(z.string()),
  releaseFloor: nullableString,
  kubernetesFirst: nullableString,
  configuration: z
    .object({
      source: vocabulary<'addon' | 'daemonset'>(),
      sourceFormat: vocabulary<'json' | 'yaml' | 'empty'>(),
      values: z.string(),
      changes: z.array(z.object({ path: z.string(), from: nullableString, to: nullableString, ruleId: z.string() })),
      withheld: z.array(z.object({ path: z.string(), variable: z.string(), json: z.literal(true).optional() })),
      choices: z.array(z.object({ path: z.string(), variable: z.string(), hint: z.string() })),
      conflicts: z.array(z.string()).optional(),
    })
    .optional(),
  invalid: z.array(z.object({ what: z.string(), reason: z.string() })),
  steps: z.array(planStep),
  fixes: z.array(z.string()),
});

export const runReportSchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string().min(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  findings: z.array(finding),
  suppressed: z.array(z.object({ finding, reason: z.string(), expires: z.string() })),
  coverage,
  errors: z.array(scanError),
  completedScopes: z.array(z.object({ accountId: z.string(), region: z.string() })),
  accounts: z.array(account),
  clusters: z.array(clusterFacts),
  plans: z.array(clusterPlan).optional(),
  // Reports of the first release carried findings without a reason.
  carriedOver: z.array(finding.extend({ carriedBecause: z.string().default('not re-checked') })).optional(),
  resolved: z.array(finding.extend({ resolvedBecause: z.string() })).optional(),
  newIds: z.array(z.string()).optional(),
  securityHubPending: z.array(z.string()).optional(),
  archivePending: z.array(finding).optional(),
  knownScopesUntold: z.literal(true).optional(),
  baseline: baseline.optional(),
  unusedSuppressions: z
    .array(
      z.object({
        entry: z.number().int().nonnegative(),
        matchers: z.object({ rule: z.string(), account: z.string(), ou: z.string(), region: z.string(), cluster: z.string() }).partial(),
        reason: z.string(),
        expires: z.string(),
      }),
    )
    .optional(),
}) satisfies z.ZodType<StoredRunReport>;

/** The pointer objects (`latest.json`, `last-notified.json`): the key of a saved report and when its run started. */
export const pointerSchema = z.object({ key: z.string().min(1), runId: z.string(), startedAt: z.string().optional() });
export type Pointer = z.infer<typeof pointerSchema>;
