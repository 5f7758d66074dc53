/** Account (restJson1): the regions of the calling account and whether each is enabled. */
import type { SimAccount } from '../schema.js';
import type { SimState } from '../state.js';
import { jsonResponse, paginate, SimError } from '../wire.js';
import { jsonBody, num, pageSize, str, type ServiceFactory, type SimRequest } from './service.js';

/** Regions that are off until an account opts in (ENABLED, not ENABLED_BY_DEFAULT, once on). */
const OPT_IN_REGIONS = new Set([
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6',
  'ap-southeast-7', 'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
]);

/** A region the org file does not list is enabled unless it is an opt-in region. */
export function regionEnabled(account: SimAccount, name: string): boolean {
  return account.regions[name]?.enabled ?? !OPT_IN_REGIONS.has(name);
}

export function regionOptStatus(account: SimAccount, name: string): string {
  if (!regionEnabled(account, name)) return 'DISABLED';
  return OPT_IN_REGIONS.has(name) ? 'ENABLED' : 'ENABLED_BY_DEFAULT';
}

/** What AWS answers for a call into an opt-in region the account has not enabled. */
export function regionDisabledError(): SimError {
  return new SimError('UnrecognizedClientException', 403, 'The security token included in the request is invalid');
}

export const accountService: ServiceFactory = (state) => ({
  protocol: 'restJson',
  route(req) {
    if (req.method === 'POST' && req.path === '/listRegions') return { name: 'ListRegions', run: () => listRegions(state, req) };
    if (req.method === 'POST' && req.path === '/getRegionOptStatus') return { name: 'GetRegionOptStatus', run: () => getRegionOptStatus(state, req) };
    throw new SimError('UnknownOperationException', 404, `No Account operation for ${req.method} ${req.path}`);
  },
});

/** The account asked about: the caller's own, or (for the management account) any member's. */
function targetAccount(state: SimState, req: SimRequest, input: Record<string, unknown>): SimAccount {
  const requested = str(input['AccountId']);
  const id = requested ?? req.caller.accountId;
  if (requested && requested !== req.caller.accountId && req.caller.accountId !== state.org.managementAccountId) {
    throw new SimError('AccessDeniedException', 403, `User: ${req.caller.arn} is not authorized to perform: account:ListRegions on account ${requested}`);
  }
  const account = state.account(id);
  if (!account) throw new SimError('ResourceNotFoundException', 404, `Account ${id} not found`);
  return account;
}

function listRegions(state: SimState, req: SimRequest) {
  const input = jsonBody(req);
  const account = targetAccount(state, req, input);
  const wanted = Array.isArray(input['RegionOptStatusContains']) ? (input['RegionOptStatusContains'] as unknown[]).map(String) : undefined;
  const regions = Object.keys(account.regions)
    .map((name) => ({ RegionName: name, RegionOptStatus: regionOptStatus(account, name) }))
    .filter((r) => !wanted || wanted.includes(r.RegionOptStatus));
  const { page, nextToken } = paginate(regions, str(input['NextToken']), num(input['MaxResults']), pageSize(state, 'ListRegions', 50), () =>
    new SimError('ValidationException', 400, 'Invalid NextToken'),
  );
  return jsonResponse({ Regions: page, NextToken: nextToken });
}

function getRegionOptStatus(state: SimState, req: SimRequest) {
  const input = jsonBody(req);
  const account = targetAccount(state, req, input);
  const name = str(input['RegionName']) ?? '';
  return jsonResponse({ RegionName: name, RegionOptStatus: regionOptStatus(account, name) });
}
