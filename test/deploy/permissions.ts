/**
 * The IAM actions the auditor's code needs, and a reader of the code that finds the AWS calls it
 * actually makes, so serverless.yml and member-role.yml cannot silently drift from lib/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Called with the audit role's credentials in every member account (and with the functions' own in the management account). */
export const MEMBER_ACCOUNT_ACTIONS = [
  'eks:ListClusters',
  'eks:DescribeCluster',
  'eks:DescribeAddon',
  'eks:DescribeAddonVersions',
  'eks:ListPodIdentityAssociations',
  'securityhub:BatchImportFindings',
  'securityhub:GetFindings',
  'account:ListRegions',
] as const;

/** Called only from the management account, with the functions' role. */
export const MANAGEMENT_ACCOUNT_ACTIONS = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
  'organizations:DescribeOrganization',
  'sts:AssumeRole',
  'sns:Publish',
  's3:GetObject',
  's3:PutObject',
  'states:StartExecution',
] as const;

/** SDK calls that every identity may make: no IAM action to grant. */
export const UNAUTHORIZED_CALLS = ['sts:GetCallerIdentity'] as const;

/**
 * Granted to the functions' role though no SDK call of ours names them: what the platform or a
 * call's side needs (logs, tracing, the failure destination, the encrypted topic, 404 vs 403).
 */
export const SUPPORTING_ACTIONS = [
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'logs:TagResource',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'sqs:SendMessage',
  'kms:GenerateDataKey',
  'kms:Decrypt',
  's3:ListBucket',
] as const;

/** The functions' role: everything above but the calls that need no permission. */
export const FUNCTION_ROLE_ACTIONS = [...MANAGEMENT_ACCOUNT_ACTIONS, ...MEMBER_ACCOUNT_ACTIONS, ...SUPPORTING_ACTIONS];

/** `@aws-sdk/client-<name>` → the IAM service prefix of its operations. */
const IAM_PREFIX: Record<string, string> = {
  account: 'account',
  eks: 'eks',
  organizations: 'organizations',
  s3: 's3',
  securityhub: 'securityhub',
  sfn: 'states',
  sns: 'sns',
  sts: 'sts',
};

/** One AWS call found in the source: `eks:DescribeCluster` and the file that makes it. */
export interface SdkCall {
  action: string;
  file: string;
}

export class SdkCallScanError extends Error {
  override readonly name = 'SdkCallScanError';
}

async function typescriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** The names the file imports from `@aws-sdk/client-*`: local name → {client, exported name}. */
function sdkImports(source: string): Map<string, { client: string; name: string }> {
  const imported = new Map<string, { client: string; name: string }>();
  for (const match of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([\w-]+)'/g)) {
    for (const specifier of (match[1] ?? '').split(',')) {
      const [name, local = name] = specifier.trim().replace(/^type\s+/, '').split(/\s+as\s+/).map((s) => s.trim());
      if (name && local) imported.set(local, { client: match[2] ?? '', name });
    }
  }
  return imported;
}

/** `DescribeClusterCommand` → `DescribeCluster`, `paginateListClusters` → `ListClusters`; undefined for anything else. */
function operationOf(exported: string): string | undefined {
  if (/^paginate[A-Z]/.test(exported)) return exported.slice('paginate'.length);
  if (/^[A-Z]\w*Command$/.test(exported)) return exported.slice(0, -'Command'.length);
  return undefined;
}

/**
 * Every SDK command constructed (`new XxxCommand(`) and paginator called (`paginateXxx(`) under
 * the given directories, aliases included, as the IAM action it needs. A call to a client
 * package without a known IAM prefix is an error, not a silent skip.
 */
export async function sdkCallsIn(dirs: readonly string[]): Promise<SdkCall[]> {
  const calls: SdkCall[] = [];
  for (const file of (await Promise.all(dirs.map(typescriptFiles))).flat().sort()) {
    const source = await readFile(file, 'utf8');
    const imports = sdkImports(source);
    for (const match of source.matchAll(/(?<![.\w])(new\s+)?(\w+)\s*\(/g)) {
      const imported = imports.get(match[2] ?? '');
      const operation = imported && operationOf(imported.name);
      if (!imported || !operation || Boolean(match[1]) !== imported.name.endsWith('Command')) continue;
      const prefix = IAM_PREFIX[imported.client];
      if (!prefix) throw new SdkCallScanError(`${file}: ${imported.name} comes from @aws-sdk/client-${imported.client}, whose IAM prefix permissions.ts does not know`);
      calls.push({ action: `${prefix}:${operation}`, file });
    }
  }
  return calls;
}
