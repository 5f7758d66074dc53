/**
 * Values from outside (cluster names, regions, role ARNs from a ServiceAccount annotation any
 * cluster admin can write, image tags, Helm release names) enter pasted commands only after they
 * match the shape AWS or Kubernetes gives them, and always shell-quoted. A value that fails is
 * named as invalid and its command is left out. Pure.
 */

/** Characters a POSIX shell never interprets inside a word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * A shell word for `value`: as is when it holds no character a shell interprets, else in single
 * quotes (a quote inside becomes `'\''`). Safe in bash, zsh and sh.
 */
export function shellQuote(value: string): string {
  if (value !== '' && PLAIN_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What a value must look like to enter a command. */
export type ValueKind =
  | 'cluster name'
  | 'region'
  | 'account id'
  | 'partition'
  | 'IAM role ARN'
  | 'add-on version'
  | 'image tag'
  | 'Helm release name'
  | 'namespace'
  | 'Kubernetes version';

const SHAPES: Record<ValueKind, RegExp> = {
  // CreateCluster: 1-100 characters, a letter or digit first, then letters, digits, - and _.
  'cluster name': /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
  region: /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/,
  'account id': /^\d{12}$/,
  partition: /^aws(?:-[a-z]+)*$/,
  // IAM: role paths and names use letters, digits and +=,.@_- (paths also /), 64 characters a name.
  'IAM role ARN': /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
  // What DescribeAddonVersions returns: v1.18.6-eksbuild.1.
  'add-on version': /^v\d+\.\d+\.\d+(?:-eksbuild\.\d+)?$/,
  // An OCI tag: 128 characters of letters, digits, _ . -, not starting with . or -.
  'image tag': /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
  // Helm: a DNS-1123 subdomain of at most 53 characters.
  'Helm release name': /^(?=.{1,53}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  // Kubernetes: a DNS-1123 label.
  namespace: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  'Kubernetes version': /^\d+\.\d+$/,
};

export function isValid(kind: ValueKind, value: string | null | undefined): value is string {
  return typeof value === 'string' && SHAPES[kind].test(value);
}

/** A value kept out of the commands, for the plan to name: never the value itself in a command. */
export interface InvalidValue {
  /** What the value is: `IAM role ARN (aws-node ServiceAccount annotation)`. */
  what: string;
  /** Why it was refused. */
  reason: string;
}

/**
 * Names a refused value without reproducing it: it is whatever someone wrote into the cluster, and
 * the note goes into every output (a person could copy it, a chat could link it).
 */
export function describeInvalid(kind: ValueKind, source: string, value: string): InvalidValue {
  return { what: `${kind} (${source})`, reason: `the value (${value.length} characters) is not a valid ${kind}: it is left out of every command` };
}
