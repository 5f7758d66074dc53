/** Organizations (awsJson1_1): the account directory and the OU tree, for the management account only. */
import type { SimAccount, SimOrg } from '../schema.js';
import type { SimState } from '../state.js';
import { jsonResponse, paginate, SimError } from '../wire.js';
import { epochSeconds, jsonBody, num, pageSize, str, type ServiceFactory, type SimRequest } from './service.js';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
export const ROOT_ID = 'r-root';
const DEFAULT_PAGE = 20;
const JOINED_FALLBACK = Date.parse('2021-03-01T00:00:00Z') / 1000;

type Handler = (state: SimState, input: Record<string, unknown>) => unknown;

const OPERATIONS: Record<string, Handler> = {
  ListAccounts: (state, input) => page(state, 'ListAccounts', state.org.accounts, input, 'Accounts', (a) => accountShape(state.org, a)),
  ListAccountsForParent: (state, input) => {
    const parent = requireParent(state, input);
    const accounts = state.org.accounts.filter((a) => parentOfAccount(state.org, a) === parent);
    return page(state, 'ListAccountsForParent', accounts, input, 'Accounts', (a) => accountShape(state.org, a));
  },
  ListRoots: (state, input) => page(state, 'ListRoots', [ROOT_ID], input, 'Roots', () => rootShape(state.org)),
  ListChildren: (state, input) => {
    const parent = requireParent(state, input);
    const type = str(input['ChildType']);
    if (type !== 'ACCOUNT' && type !== 'ORGANIZATIONAL_UNIT') throw invalidInput('ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT');
    const ids =
      type === 'ACCOUNT'
        ? state.org.accounts.filter((a) => parentOfAccount(state.org, a) === parent).map((a) => a.id)
        : ouIds(state.org).filter((id) => parentOfOu(state.org, id) === parent);
    return page(state, 'ListChildren', ids, input, 'Children', (id) => ({ Id: id, Type: type }));
  },
  ListOrganizationalUnitsForParent: (state, input) => {
    const parent = requireParent(state, input);
    const ids = ouIds(state.org).filter((id) => parentOfOu(state.org, id) === parent);
    return page(state, 'ListOrganizationalUnitsForParent', ids, input, 'OrganizationalUnits', (id) => ouShape(state.org, id));
  },
  DescribeOrganizationalUnit: (state, input) => {
    const id = str(input['OrganizationalUnitId']) ?? '';
    if (!ouIds(state.org).includes(id)) throw new SimError('OrganizationalUnitNotFoundException', 400, `You specified an OU that doesn't exist: ${id}`);
    return { OrganizationalUnit: ouShape(state.org, id) };
  },
  ListParents: (state, input) => {
    const child = str(input['ChildId']) ?? '';
    const account = state.account(child);
    let parent: string | undefined;
    if (account) parent = parentOfAccount(state.org, account);
    else if (ouIds(state.org).includes(child)) parent = parentOfOu(state.org, child);
    else throw new SimError('ChildNotFoundException', 400, `We can't find a child with the ID ${child}`);
    return page(state, 'ListParents', [parent], input, 'Parents', (id) => ({ Id: id, Type: id === ROOT_ID ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }));
  },
  DescribeAccount: (state, input) => {
    const id = str(input['AccountId']) ?? '';
    const account = state.account(id);
    if (!account) throw new SimError('AccountNotFoundException', 400, `You specified an account that doesn't exist: ${id}`);
    return { Account: accountShape(state.org, account) };
  },
  DescribeOrganization: (state) => {
    const org = state.org;
    const management = org.accounts.find((a) => a.id === org.managementAccountId);
    return {
      Organization: {
        Id: org.organizationId,
        Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${org.organizationId}`,
        FeatureSet: 'ALL',
        MasterAccountArn: `arn:aws:organizations::${org.managementAccountId}:account/${org.organizationId}/${org.managementAccountId}`,
        MasterAccountId: org.managementAccountId,
        MasterAccountEmail: management ? emailOf(management) : undefined,
        AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
      },
    };
  },
};

export const organizationsService: ServiceFactory = (state) => ({
  protocol: 'awsJson',
  route(req: SimRequest) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const handler = OPERATIONS[name];
    if (!handler) throw new SimError('UnknownOperationException', 400, `Unknown operation ${target || '(no X-Amz-Target)'}`);
    return {
      name,
      run: () => {
        if (req.caller.accountId !== state.org.managementAccountId) {
          throw new SimError(
            'AccessDeniedException',
            400,
            `You don't have permissions to access this resource. Account ${req.caller.accountId} is not the management account of the organization.`,
          );
        }
        return jsonResponse(handler(state, jsonBody(req)), 'awsJson');
      },
    };
  },
});

function invalidInput(message: string): SimError {
  return new SimError('InvalidInputException', 400, message, { Reason: 'INVALID_INPUT' });
}

function page<T>(state: SimState, operation: string, items: readonly T[], input: Record<string, unknown>, key: string, shape: (item: T) => unknown) {
  const { page: slice, nextToken } = paginate(items, str(input['NextToken']), num(input['MaxResults']), pageSize(state, operation, DEFAULT_PAGE), () =>
    invalidInput('The NextToken is not valid'),
  );
  return { [key]: slice.map(shape), NextToken: nextToken };
}

function ouIds(org: SimOrg): string[] {
  // OUs named by accounts but absent from `ous` hang off the root.
  const ids = new Set(org.ous.map((o) => o.id));
  for (const a of org.accounts) if (a.ou && a.ou !== ROOT_ID) ids.add(a.ou);
  return [...ids];
}

function parentOfOu(org: SimOrg, id: string): string {
  return org.ous.find((o) => o.id === id)?.parent ?? ROOT_ID;
}

function parentOfAccount(_org: SimOrg, account: SimAccount): string {
  return account.ou ?? ROOT_ID;
}

function requireParent(state: SimState, input: Record<string, unknown>): string {
  const id = str(input['ParentId']) ?? '';
  if (id === ROOT_ID || ouIds(state.org).includes(id)) return id;
  throw new SimError('ParentNotFoundException', 400, `We can't find a root or OU with the ParentId that you specified: ${id}`);
}

function emailOf(account: SimAccount): string {
  return account.email ?? `aws+${account.name.replace(/[^\w.-]/g, '-')}@example.com`;
}

const LEGACY_STATUS: Record<SimAccount['state'], 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE'> = {
  ACTIVE: 'ACTIVE',
  PENDING_ACTIVATION: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  CLOSED: 'SUSPENDED',
  PENDING_CLOSURE: 'PENDING_CLOSURE',
};

function accountShape(org: SimOrg, a: SimAccount) {
  return {
    Id: a.id,
    Arn: `arn:aws:organizations::${org.managementAccountId}:account/${org.organizationId}/${a.id}`,
    Email: emailOf(a),
    Name: a.name,
    Status: a.status ?? LEGACY_STATUS[a.state],
    State: a.legacyStatusOnly ? undefined : a.state,
    JoinedMethod: a.id === org.managementAccountId ? 'INVITED' : 'CREATED',
    JoinedTimestamp: epochSeconds(a.joinedAt, JOINED_FALLBACK),
    Paths: org.omitAccountPaths ? undefined : [accountPath(org, a)],
  };
}

/** `o-xxx/r-xxx/ou-a/ou-b/111122223333/`, root first, as Organizations writes an account's path. */
function accountPath(org: SimOrg, a: SimAccount): string {
  const chain: string[] = [];
  for (let id = parentOfAccount(org, a); id !== ROOT_ID && !chain.includes(id); id = parentOfOu(org, id)) chain.unshift(id);
  return `${[org.organizationId, ROOT_ID, ...chain, a.id].join('/')}/`;
}

function rootShape(org: SimOrg) {
  return {
    Id: ROOT_ID,
    Arn: `arn:aws:organizations::${org.managementAccountId}:root/${org.organizationId}/${ROOT_ID}`,
    Name: 'Root',
    PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
  };
}

function ouShape(org: SimOrg, id: string) {
  return {
    Id: id,
    Arn: `arn:aws:organizations::${org.managementAccountId}:ou/${org.organizationId}/${id}`,
    Name: org.ous.find((o) => o.id === id)?.name ?? id.replace(/^ou-[0-9a-z]+-/, ''),
  };
}
