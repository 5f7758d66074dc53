/**
 * The IAM actions the auditor's code needs, and a reader of the code that finds the AWS calls it
 * actually makes, so serverless.yml and member-role.yml cannot silently drift from lib/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/** Called only from the management account, with the functions' roles. */
export const MANAGEMENT_ACCOUNT_ACTIONS = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
  'organizations:ListParents',
  'organizations:DescribeOrganization',
  'sts:AssumeRole',
  'sns:Publish',
  's3:GetObject',
  's3:PutObject',
  's3:ListBucket',
  'states:StartExecution',
  'ssm:GetParameter',
] as const;

/** SDK calls that every identity may make: no IAM action to grant. */
export const UNAUTHORIZED_CALLS = ['sts:GetCallerIdentity'] as const;

export type FunctionName = 'audit' | 'scanWorker' | 'aggregate';

const ORGANIZATIONS = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
  'organizations:ListParents',
  'organizations:DescribeOrganization',
] as const;

/**
 * Each function: its handler, the AWS calls its code makes with its own role (in the management
 * account; the member-account calls too, for the management account scanned with the function's
 * own credentials), and the role that grants them (serverless.yml).
 */
export const FUNCTIONS: Record<FunctionName, { entry: string; role: string; calls: readonly string[] }> = {
  audit: {
    entry: 'functions/audit.ts',
    role: 'AuditRole',
    calls: [...ORGANIZATIONS, 'sts:AssumeRole', 'sns:Publish', 's3:GetObject', 's3:PutObject', 's3:ListBucket', 'states:StartExecution', 'ssm:GetParameter', ...MEMBER_ACCOUNT_ACTIONS],
  },
  scanWorker: {
    entry: 'functions/scan-worker.ts',
    role: 'ScanWorkerRole',
    calls: ['sts:AssumeRole', 's3:GetObject', 's3:PutObject', 'ssm:GetParameter', ...MEMBER_ACCOUNT_ACTIONS],
  },
  aggregate: {
    entry: 'functions/aggregate.ts',
    role: 'AggregateRole',
    calls: ['sns:Publish', 's3:GetObject', 's3:PutObject', 's3:ListBucket'],
  },
};

/**
 * Calls a function's imports reach but its code never makes, and why: the reading of imports is
 * per file, and lib/collect/aws.ts builds the account directory every collect port set carries.
 * test/integration/distributed.int.test.ts checks at run time that they are not made.
 */
export const NOT_CALLED: Partial<Record<FunctionName, Record<string, string>>> = {
  scanWorker: Object.fromEntries(
    ORGANIZATIONS.map((action) => [action, 'the plan lists the organization; a worker gets its accounts and the management account id in its event (scanSelection never reads the directory)']),
  ),
};

/** Logs, tracing: what the platform needs of every function, though no SDK call of ours names it. */
const PLATFORM_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/**
 * Granted to a function's role though no SDK call of ours names them: the platform (logs,
 * tracing), the failure destination, the data keys of the encrypted topic, bucket and parameter.
 * (s3:ListBucket is a call: the history lists its reports to fall back on the newest readable one;
 * it also makes a report not written yet a 404, not a 403.)
 */
export const SUPPORTING_ACTIONS: Record<FunctionName, readonly string[]> = {
  audit: [...PLATFORM_ACTIONS, 'sqs:SendMessage', 'kms:GenerateDataKey', 'kms:Decrypt'],
  scanWorker: [...PLATFORM_ACTIONS, 'kms:GenerateDataKey', 'kms:Decrypt'],
  aggregate: [...PLATFORM_ACTIONS, 'kms:GenerateDataKey', 'kms:Decrypt'],
};

/** A function's role: its calls that need a permission, and the supporting actions. */
export function roleActions(name: FunctionName): string[] {
  const unauthorized = new Set<string>(UNAUTHORIZED_CALLS);
  return [...new Set([...FUNCTIONS[name].calls.filter((a) => !unauthorized.has(a)), ...SUPPORTING_ACTIONS[name]])].sort();
}

/** `@aws-sdk/client-<name>` → the IAM service prefix of its operations. */
const IAM_PREFIX: Record<string, string> = {
  account: 'account',
  eks: 'eks',
  organizations: 'organizations',
  s3: 's3',
  securityhub: 'securityhub',
  sfn: 'states',
  sns: 'sns',
  ssm: 'ssm',
  sts: 'sts',
};

/** Calls made through a Powertools utility rather than an SDK command of ours: module → export → action. */
const POWERTOOLS_CALLS: Record<string, Record<string, string>> = {
  '@aws-lambda-powertools/parameters/ssm': { getParameter: 'ssm:GetParameter', getParameters: 'ssm:GetParametersByPath', getParametersByName: 'ssm:GetParameters' },
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

/** `{ a, b as c, type D }` → [[a, a], [b, c]]: exported name and local name of each value import. */
function specifiers(list: string): [string, string][] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('type '))
    .map((s) => {
      const [name = '', local = name] = s.split(/\s+as\s+/).map((p) => p.trim());
      return [name, local];
    });
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

/** The Powertools utilities the file imports that call AWS: local name → action. */
function powertoolsImports(source: string): Map<string, string> {
  const imported = new Map<string, string>();
  for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-lambda-powertools\/[\w/-]+)'/g)) {
    const calls = POWERTOOLS_CALLS[match[2] ?? ''];
    if (!calls) continue;
    for (const [name, local] of specifiers(match[1] ?? '')) if (calls[name]) imported.set(local, calls[name]);
  }
  return imported;
}

/** Operations whose IAM action has another name than the operation. */
const ACTION_OF_OPERATION: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket' };

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
  return sdkCallsInFiles((await Promise.all(dirs.map(typescriptFiles))).flat());
}

/** sdkCallsIn for a list of files (a function's import graph); Powertools utility calls included. */
export async function sdkCallsInFiles(files: readonly string[]): Promise<SdkCall[]> {
  const calls: SdkCall[] = [];
  for (const file of [...files].sort()) {
    const source = await readFile(file, 'utf8');
    const imports = sdkImports(source);
    const utilities = powertoolsImports(source);
    for (const match of source.matchAll(/(?<![.\w])(new\s+)?(\w+)\s*\(/g)) {
      const utility = utilities.get(match[2] ?? '');
      if (utility && !match[1]) calls.push({ action: utility, file });
      const imported = imports.get(match[2] ?? '');
      const operation = imported && operationOf(imported.name);
      if (!imported || !operation || Boolean(match[1]) !== imported.name.endsWith('Command')) continue;
      const prefix = IAM_PREFIX[imported.client];
      if (!prefix) throw new SdkCallScanError(`${file}: ${imported.name} comes from @aws-sdk/client-${imported.client}, whose IAM prefix permissions.ts does not know`);
      const action = `${prefix}:${operation}`;
      calls.push({ action: ACTION_OF_OPERATION[action] ?? action, file });
    }
  }
  return calls;
}

/**
 * The TypeScript files a handler loads: its relative imports (and re-exports, and dynamic
 * imports), followed transitively. Type-only imports load nothing and are left out.
 */
export async function importGraph(entry: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    const statements = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'(\.{1,2}\/[^']+)'/g;
    const targets: string[] = [];
    for (const match of source.matchAll(statements)) {
      if (match[2]) continue;
      const names = /^\{([^}]*)\}$/.exec((match[3] ?? '').trim());
      if (names && specifiers(names[1] ?? '').length === 0) continue; // `import { type A, type B }`
      targets.push(match[4] ?? '');
    }
    for (const match of source.matchAll(/(?:^|[;\n])\s*import\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) targets.push(match[1] ?? match[2] ?? '');
    for (const target of targets) pending.push(join(dirname(file), target.replace(/\.js$/, '.ts')));
  }
  return [...seen].sort();
}
