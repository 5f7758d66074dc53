import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListParentsCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { assumeInto, clientConfig, MANAGEMENT, NO_HUB, NO_ROLE, PAYMENTS, rejectionOf, smallOrg } from './helpers.js';

describe('organizations.ts', () => {
  let sim: Simulator;
  let orgs: OrganizationsClient;

  beforeAll(async () => {
    sim = await startSimulator({ org: { ...smallOrg(), pageSize: { ListAccounts: 2, ListChildren: 1 } } });
    orgs = new OrganizationsClient(clientConfig(sim));
  });
  afterAll(() => sim.stop());

  it('lists every account across pages with the SDK paginator', async () => {
    // Prepare
    sim.resetCalls();

    // Act
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: orgs }, {})) ids.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));

    // Assess
    expect(ids).toEqual([MANAGEMENT, PAYMENTS, NO_ROLE, NO_HUB, '555555555555', '666666666666']);
    expect(sim.calls()).toEqual([expect.objectContaining({ service: 'organizations', operation: 'ListAccounts', status: 200, count: 3 })]);
  });

  it('gives Status and State, and only Status for a legacyStatusOnly account', async () => {
    // Act
    const out = await orgs.send(new ListAccountsCommand({ MaxResults: 20 }));
    const all = [...(out.Accounts ?? [])];
    for (let token = out.NextToken; token; ) {
      const next = await orgs.send(new ListAccountsCommand({ NextToken: token }));
      all.push(...(next.Accounts ?? []));
      token = next.NextToken;
    }

    // Assess
    const byId = new Map(all.map((a) => [a.Id, a]));
    expect(byId.get(PAYMENTS)).toMatchObject({ Name: 'payments-prod', Status: 'ACTIVE', State: 'ACTIVE', Arn: expect.stringContaining(`/${PAYMENTS}`) });
    expect(byId.get('666666666666')).toMatchObject({ Status: 'SUSPENDED', State: 'SUSPENDED' });
    expect(byId.get(NO_HUB)?.State).toBeUndefined();
    expect(byId.get(NO_HUB)?.Status).toBe('ACTIVE');
  });

  it('walks the OU tree: root, nested OUs, an OU named only by an account, and accounts per parent', async () => {
    // Prepare
    const children = async (ParentId: string, ChildType: 'ACCOUNT' | 'ORGANIZATIONAL_UNIT') => {
      const ids: string[] = [];
      for await (const page of paginateListChildren({ client: orgs }, { ParentId, ChildType })) ids.push(...(page.Children ?? []).map((c) => c.Id ?? ''));
      return ids;
    };

    // Act
    const roots: string[] = [];
    for await (const page of paginateListRoots({ client: orgs }, {})) roots.push(...(page.Roots ?? []).map((r) => r.Id ?? ''));
    const topOus = await children('r-root', 'ORGANIZATIONAL_UNIT');
    const nestedOus = await children('ou-ab12-prod', 'ORGANIZATIONAL_UNIT');
    const rootAccounts = await children('r-root', 'ACCOUNT');
    const inPayments: string[] = [];
    for await (const page of paginateListAccountsForParent({ client: orgs }, { ParentId: 'ou-ab12-payments' })) inPayments.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
    const parents = await orgs.send(new ListParentsCommand({ ChildId: 'ou-ab12-payments' }));

    // Assess
    expect(roots).toEqual(['r-root']);
    expect(topOus).toEqual(['ou-ab12-prod', 'ou-zz99-sandbox']);
    expect(nestedOus).toEqual(['ou-ab12-payments']);
    expect(rootAccounts).toEqual([MANAGEMENT, '555555555555', '666666666666']);
    expect(inPayments).toEqual([PAYMENTS]);
    expect(parents.Parents).toEqual([{ Id: 'ou-ab12-prod', Type: 'ORGANIZATIONAL_UNIT' }]);
  });

  it('gives every account its path from the root, as Organizations writes it', async () => {
    // Act
    const out = await orgs.send(new ListAccountsCommand({ MaxResults: 20 }));
    const withoutPaths = await startSimulator({ org: { ...smallOrg(), omitAccountPaths: true } });
    const legacy = await new OrganizationsClient(clientConfig(withoutPaths)).send(new ListAccountsCommand({}));
    await withoutPaths.stop();

    // Assess
    const paths = Object.fromEntries((out.Accounts ?? []).map((a) => [a.Id, a.Paths]));
    expect(paths[PAYMENTS]).toEqual([`o-exampleorgid/r-root/ou-ab12-prod/ou-ab12-payments/${PAYMENTS}/`]);
    expect(paths[MANAGEMENT]).toEqual([`o-exampleorgid/r-root/${MANAGEMENT}/`]);
    expect(legacy.Accounts?.every((a) => a.Paths === undefined)).toBe(true);
  });

  it('describes the organization with its management account', async () => {
    // Act
    const out = await orgs.send(new DescribeOrganizationCommand({}));

    // Assess
    expect(out.Organization).toMatchObject({ MasterAccountId: MANAGEMENT, FeatureSet: 'ALL', Id: 'o-exampleorgid' });
  });

  it('refuses a member account with AccessDeniedException', async () => {
    // Prepare
    const member = new OrganizationsClient(clientConfig(sim, { credentials: await assumeInto(sim, PAYMENTS) }));

    // Act
    const error = await rejectionOf(member.send(new ListAccountsCommand({})));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
  });

  it('rejects a NextToken it did not issue', async () => {
    // Act
    const error = await rejectionOf(orgs.send(new ListAccountsCommand({ NextToken: 'bogus' })));

    // Assess
    expect(error.name).toBe('InvalidInputException');
  });
});
