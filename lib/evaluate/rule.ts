import { z } from 'zod';
import { SEVERITIES, type Severity } from '../types.js';
import { conditionSchema, type Condition } from './conditions.js';
import { isKnownFact } from './facts.js';
import { inRange, isValidRange, isValidVersion, parseCniVersion } from './version.js';

/** Values a remediation or "why" template may use besides the facts. */
export const TEMPLATE_VALUES: Record<string, string> = {
  'fix.target': 'the version to move to (the newest EKS offers, else the first fixed release)',
  'fix.roleArn': 'a suggested role ARN for the CNI in the cluster account',
  'rule.fixed': 'the first fixed release',
  'rule.affected': 'the affected range',
  'cluster.partition': 'the AWS partition',
  'cluster.registry': "the Amazon EKS image registry of the cluster's region (602401143452.dkr.ecr.us-east-1.amazonaws.com)",
  'fix.nodeAgentImage': 'in a command: aws-eks-nodeagent=<EKS registry>/amazon/aws-network-policy-agent:<the tag it runs> when the aws-node pod runs the network policy agent, else nothing',
};

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/**
 * Fills `{{ name }}` placeholders. A value that is not known never renders as "undefined": in
 * prose it reads "unknown" (or "none" for an empty list); in a command it stays a visible `<name>`.
 */
export function renderTemplate(template: string, lookup: (name: string) => unknown, style: 'prose' | 'command' = 'prose'): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = lookup(name);
    if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : 'none';
    if (value === undefined || value === null || value === '') return style === 'command' ? `<${name}>` : 'unknown';
    return String(value);
  });
}

const template = z.string().min(1).superRefine((text, ctx) => {
  for (const name of placeholders(text)) {
    if (!isKnownFact(name) && !Object.hasOwn(TEMPLATE_VALUES, name)) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}}` });
    }
  }
});

/** Remediations the engine knows how to write commands for; a rule names one or gives its own commands. */
export const REMEDIATION_PRESETS = ['upgrade', 'migrate-to-managed', 'iam-role'] as const;
export type RemediationPreset = (typeof REMEDIATION_PRESETS)[number];

/** A setting of the add-on's configuration values: `env.WARM_IP_TARGET`, `livenessProbeTimeoutSeconds`. */
const configurationPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a dotted path of setting names (env.WARM_IP_TARGET)');

/**
 * A rule's configuration fix, as data: the plan merges every fix of a cluster into the
 * configuration it runs. A value is set as written; `{ choose: "..." }` is a value a person picks
 * (the command refuses to run without it); `{ atLeast: N }` raises a number below N.
 */
export const configurationFixSchema = z
  .strictObject({
    set: z.record(configurationPath, z.union([z.string(), z.number(), z.boolean(), z.strictObject({ choose: z.string().min(1).max(120) }), z.strictObject({ atLeast: z.number().int() })])).optional(),
    unset: z.array(configurationPath).min(1).optional(),
  })
  .refine((fix) => fix.set !== undefined || fix.unset !== undefined, 'a configuration fix needs set or unset');
export type ConfigurationFix = z.infer<typeof configurationFixSchema>;

const remediationSchema = z.strictObject({
  text: template,
  /** The text for a cluster that runs the EKS managed add-on, when it differs from `text`. */
  managedText: template.optional(),
  preset: z.enum(REMEDIATION_PRESETS).optional(),
  configuration: configurationFixSchema.optional(),
  managed: z.array(template).optional(),
  selfManaged: z.array(template).optional(),
  url: z.url().optional(),
});

export const SECTION_TITLES = {
  impact: 'Impact',
  rootCause: 'Root cause',
  triggerConditions: 'Trigger conditions',
  remediation: 'Remediation',
  mitigation: 'Mitigation',
} as const;
export type SectionKey = keyof typeof SECTION_TITLES;

export const frontMatterSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'lower-case letters, digits, dots and dashes'),
    title: z.string().min(1).max(200),
    severity: z.enum(SEVERITIES as [Severity, ...Severity[]]),
    addon: z.literal('vpc-cni'),
    affected: z.string().refine(isValidRange, 'not a valid semver range').optional(),
    fixed: z.string().refine(isValidVersion, 'not a valid version (write 1.7.2, without v or -eksbuild)').optional(),
    kubernetes: z.string().refine(isValidRange, 'not a valid semver range').optional(),
    when: conditionSchema.optional(),
    why: template.optional(),
    /** Optional for a version-range rule: it then gets DEFAULT_UPGRADE (the upgrade plan). */
    remediation: remediationSchema.optional(),
    references: z.array(z.url()).default([]),
  })
  .superRefine((rule, ctx) => {
    if (rule.remediation === undefined && rule.affected === undefined) {
      ctx.addIssue({ code: 'custom', path: ['remediation'], message: 'a condition rule needs remediation (text, and a preset or commands); only a version-range rule defaults to the upgrade plan' });
    }
    if ((rule.affected === undefined) !== (rule.fixed === undefined)) {
      ctx.addIssue({ code: 'custom', path: [rule.affected ? 'fixed' : 'affected'], message: 'a version-range rule needs both affected and fixed' });
    }
    if (rule.affected === undefined && rule.when === undefined) {
      ctx.addIssue({ code: 'custom', path: ['when'], message: 'a rule needs affected (a version range) or when (a condition)' });
    }
    const fixed = rule.fixed ? parseCniVersion(rule.fixed) : null;
    if (fixed && rule.affected && inRange(fixed, rule.affected)) {
      ctx.addIssue({ code: 'custom', path: ['fixed'], message: `${rule.fixed} is itself in the affected range ${rule.affected}` });
    }
  });

export type FrontMatter = z.infer<typeof frontMatterSchema>;
export type RuleRemediation = z.infer<typeof remediationSchema>;

/** The remediation of a version-range rule that gives none: the upgrade plan to the first fixed release or later. */
export const DEFAULT_UPGRADE: RuleRemediation = Object.freeze({
  preset: 'upgrade',
  text: 'Upgrade vpc-cni to {{fix.target}} ({{rule.fixed}} is the first release with the fix).',
});

/** The remediation text of a rule for a cluster: `managedText` on the EKS managed add-on when the rule has one. */
export function remediationTemplate(rule: Pick<Rule, 'remediation'>, managed: boolean): string {
  return managed && rule.remediation.managedText ? rule.remediation.managedText : rule.remediation.text;
}

/** A validated rule: its front matter and the prose sections of its document. */
export interface Rule extends Omit<FrontMatter, 'when' | 'remediation'> {
  when?: Condition;
  remediation: RuleRemediation;
  sections: Record<SectionKey, string>;
  /** Where the rule came from (a file path, or `built-in`). */
  source: string;
}
