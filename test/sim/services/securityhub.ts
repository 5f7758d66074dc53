/** Security Hub (restJson1): BatchImportFindings and GetFindings over per account+region finding stores. */
import type { SimAccount } from '../schema.js';
import type { SimState, StoredFinding } from '../state.js';
import { jsonResponse, paginate, SimError } from '../wire.js';
import { regionDisabledError, regionEnabled } from './account.js';
import { jsonBody, num, pathSegments, str, type OperationFaults, type ServiceFactory, type SimRequest } from './service.js';

export const MAX_IMPORT = 100;
const MAX_FINDING_BYTES = 240 * 1024;
const REQUIRED = ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description'] as const;

export const securityHubService: ServiceFactory = (state) => ({
  protocol: 'restJson',
  route(req) {
    const path = pathSegments(req.path).join('/');
    const run = (op: (faults: OperationFaults) => ReturnType<typeof jsonResponse>) => (faults: OperationFaults) => {
      subscribedAccount(state, req);
      return op(faults);
    };
    if (req.method === 'POST' && path === 'findings/import') return { name: 'BatchImportFindings', run: run((faults) => batchImport(state, req, faults)) };
    if (req.method === 'POST' && path === 'findings') return { name: 'GetFindings', run: run(() => getFindings(state, req)) };
    if (req.method === 'GET' && path === 'accounts') return { name: 'DescribeHub', run: run(() => describeHub(req)) };
    throw new SimError('UnknownOperationException', 404, `No Security Hub operation for ${req.method} ${req.path}`);
  },
});

function hubError(code: string, status: number, message: string): SimError {
  return new SimError(code, status, message, { Code: code, Message: message });
}

function invalidInput(message: string): SimError {
  return hubError('InvalidInputException', 400, message);
}

function subscribedAccount(state: SimState, req: SimRequest): SimAccount {
  const id = req.caller.accountId;
  const account = state.account(id);
  if (account && !regionEnabled(account, req.region)) throw regionDisabledError();
  if (!account || !account.securityHub || account.securityHubDisabledRegions.includes(req.region)) {
    throw hubError('InvalidAccessException', 401, `Account ${id} is not subscribed to AWS Security Hub`);
  }
  return account;
}

export function defaultProductArn(region: string, accountId: string): string {
  return `arn:aws:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/** Why Security Hub would refuse this finding, or undefined when it is acceptable. */
function refusal(f: Record<string, unknown>, req: SimRequest): { code: string; message: string } | undefined {
  const missing = REQUIRED.filter((k) => f[k] === undefined || f[k] === null || f[k] === '');
  if (missing.length > 0) return { code: 'InvalidInput', message: `Finding is missing required field(s): ${missing.join(', ')}` };
  const types = f['Types'];
  if (!Array.isArray(types) || types.length === 0) return { code: 'InvalidInput', message: 'Finding must have at least one entry in Types' };
  const resources = f['Resources'];
  if (!Array.isArray(resources) || resources.length === 0 || resources.some((r: Record<string, unknown>) => !r?.['Id'] || !r['Type'])) {
    return { code: 'InvalidInput', message: 'Finding must have at least one resource with Id and Type' };
  }
  if (String(f['Title']).length > 256) return { code: 'InvalidInput', message: 'Title exceeds the maximum length of 256' };
  if (String(f['Description']).length > 1024) return { code: 'InvalidInput', message: 'Description exceeds the maximum length of 1024' };
  if (f['AwsAccountId'] !== req.caller.accountId) {
    return { code: 'AccessDeniedException', message: `Account ${req.caller.accountId} cannot import findings for account ${String(f['AwsAccountId'])}` };
  }
  if (f['ProductArn'] !== defaultProductArn(req.region, req.caller.accountId)) {
    return { code: 'AccessDeniedException', message: `ProductArn ${String(f['ProductArn'])} is not the default product of account ${req.caller.accountId} in ${req.region}` };
  }
  if (Buffer.byteLength(JSON.stringify(f)) > MAX_FINDING_BYTES) return { code: 'FindingSizeExceeded', message: 'Finding exceeds the 240 KB size limit' };
  return undefined;
}

function batchImport(state: SimState, req: SimRequest, faults: OperationFaults) {
  const findings = jsonBody(req)['Findings'];
  if (!Array.isArray(findings) || findings.length === 0) throw invalidInput('Findings must contain between 1 and 100 findings');
  if (findings.length > MAX_IMPORT) throw invalidInput(`Findings: ${findings.length} findings were sent; the maximum per request is ${MAX_IMPORT}`);
  const store = state.findingsOf(req.caller.accountId, req.region);
  const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
  for (const raw of findings as Record<string, unknown>[]) {
    const failing = faults.failFindings?.ids.has(String(raw['Id'])) ? faults.failFindings : undefined;
    const why = failing ? { code: failing.code, message: failing.message } : refusal(raw, req);
    if (why) {
      failed.push({ Id: String(raw['Id'] ?? ''), ErrorCode: why.code, ErrorMessage: why.message });
      continue;
    }
    const id = String(raw['Id']);
    const previous = store.get(id);
    // Security Hub keeps the workflow that analysts set when the provider re-imports.
    store.set(id, { Region: req.region, RecordState: 'ACTIVE', Workflow: previous?.['Workflow'] ?? { Status: 'NEW' }, ...raw, Id: id });
  }
  const successCount = findings.length - failed.length;
  state.records.securityHubImports.push({
    accountId: req.caller.accountId,
    region: req.region,
    findings: findings as StoredFinding[],
    successCount,
    failedCount: failed.length,
  });
  return jsonResponse({ FailedCount: failed.length, SuccessCount: successCount, FailedFindings: failed });
}

type Accessor = (f: StoredFinding) => unknown;
const at =
  (...path: string[]): Accessor =>
  (f) =>
    path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), f);
const eachResource =
  (key: string): Accessor =>
  (f) =>
    Array.isArray(f['Resources']) ? (f['Resources'] as Record<string, unknown>[]).map((r) => r[key]) : [];

const STRING_FILTERS: Record<string, Accessor> = {
  Id: at('Id'),
  GeneratorId: at('GeneratorId'),
  ProductArn: at('ProductArn'),
  AwsAccountId: at('AwsAccountId'),
  RecordState: at('RecordState'),
  Region: at('Region'),
  Title: at('Title'),
  Description: at('Description'),
  Type: at('Types'),
  SeverityLabel: at('Severity', 'Label'),
  WorkflowStatus: at('Workflow', 'Status'),
  ComplianceStatus: at('Compliance', 'Status'),
  ResourceId: eachResource('Id'),
  ResourceType: eachResource('Type'),
};
const MAP_FILTERS: Record<string, Accessor> = {
  ProductFields: at('ProductFields'),
  UserDefinedFields: at('UserDefinedFields'),
};

interface Condition {
  Value?: unknown;
  Key?: unknown;
  Comparison?: unknown;
}

function compare(actual: unknown, c: Condition): boolean {
  const values = (Array.isArray(actual) ? actual : [actual]).filter((v): v is string => typeof v === 'string');
  const want = String(c.Value ?? '');
  switch (c.Comparison) {
    case 'EQUALS':
      return values.includes(want);
    case 'PREFIX':
      return values.some((v) => v.startsWith(want));
    case 'CONTAINS':
      return values.some((v) => v.includes(want));
    case 'NOT_EQUALS':
      return !values.includes(want);
    case 'PREFIX_NOT_EQUALS':
      return !values.some((v) => v.startsWith(want));
    case 'NOT_CONTAINS':
      return !values.some((v) => v.includes(want));
    default:
      throw invalidInput(`Comparison ${String(c.Comparison)} is not supported`);
  }
}

/** Positive comparisons on one field are OR'ed, negative ones AND'ed (as Security Hub documents). */
function fieldMatches(conditions: Condition[], actualOf: (c: Condition) => unknown): boolean {
  const positive = conditions.filter((c) => !String(c.Comparison).startsWith('NOT_') && c.Comparison !== 'PREFIX_NOT_EQUALS');
  const negative = conditions.filter((c) => !positive.includes(c));
  return (positive.length === 0 || positive.some((c) => compare(actualOf(c), c))) && negative.every((c) => compare(actualOf(c), c));
}

/** GetFindings: "You can filter by up to 10 finding attributes. For each attribute, you can provide up to 20 filter values." */
const MAX_FILTER_ATTRIBUTES = 10;
const MAX_FILTER_VALUES = 20;

function filterPredicate(filters: Record<string, unknown>): (f: StoredFinding) => boolean {
  const checks: ((f: StoredFinding) => boolean)[] = [];
  const fields = Object.entries(filters);
  if (fields.length > MAX_FILTER_ATTRIBUTES) throw invalidInput(`Filters may name at most ${MAX_FILTER_ATTRIBUTES} attributes (got ${fields.length})`);
  for (const [field, raw] of fields) {
    if (!Array.isArray(raw)) throw invalidInput(`Filters.${field} must be a list`);
    if (raw.length > MAX_FILTER_VALUES) throw invalidInput(`Filters.${field} may hold at most ${MAX_FILTER_VALUES} values (got ${raw.length})`);
    const conditions = raw as Condition[];
    const stringAccessor = STRING_FILTERS[field];
    const mapAccessor = MAP_FILTERS[field];
    if (stringAccessor) {
      checks.push((f) => fieldMatches(conditions, () => stringAccessor(f)));
    } else if (mapAccessor) {
      const keys = [...new Set(conditions.map((c) => String(c.Key)))];
      checks.push((f) => {
        const map = (mapAccessor(f) ?? {}) as Record<string, unknown>;
        return keys.every((key) => fieldMatches(conditions.filter((c) => String(c.Key) === key), () => map[key]));
      });
    } else {
      throw invalidInput(`Filters.${field} is not supported by the simulator`);
    }
    for (const c of conditions) compare(undefined, c); // rejects an unknown Comparison even when no finding is stored
  }
  return (f) => checks.every((check) => check(f));
}

function getFindings(state: SimState, req: SimRequest) {
  const input = jsonBody(req);
  const max = num(input['MaxResults']);
  if (max !== undefined && (max < 1 || max > 100)) throw invalidInput('MaxResults must be between 1 and 100');
  const filters = (input['Filters'] ?? {}) as Record<string, unknown>;
  const matches = filterPredicate(filters);
  const all = [...state.findingsOf(req.caller.accountId, req.region).values()].filter(matches);
  const { page, nextToken } = paginate(all, str(input['NextToken']), max, 100, () => invalidInput('The NextToken is not valid'));
  return jsonResponse({ Findings: page, NextToken: nextToken });
}

function describeHub(req: SimRequest) {
  return jsonResponse({
    HubArn: `arn:aws:securityhub:${req.region}:${req.caller.accountId}:hub/default`,
    SubscribedAt: '2023-01-01T00:00:00.000Z',
    AutoEnableControls: true,
    ControlFindingGenerator: 'SECURITY_CONTROL',
  });
}
