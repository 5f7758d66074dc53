import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, importGraph, MANAGEMENT_ACCOUNT_ACTIONS, MEMBER_ACCOUNT_ACTIONS, NOT_CALLED, sdkCallsIn, sdkCallsInFiles, UNAUTHORIZED_CALLS, type FunctionName } from './permissions.js';

/** The services called with the member accounts' credentials (the rest run in the management account). */
const MEMBER_SERVICES = new Set(['eks', 'securityhub', 'account']);

const unique = (actions: readonly string[]) => [...new Set(actions)].sort();

describe('permissions.ts', () => {
  it('declares exactly the AWS calls the code makes', async () => {
    // Act
    const called = unique((await sdkCallsIn(['lib', 'functions'])).map((c) => c.action));

    // Assess: a new call fails here until permissions.ts (and so both templates) grant it
    expect(called).toEqual(unique([...MEMBER_ACCOUNT_ACTIONS, ...MANAGEMENT_ACCOUNT_ACTIONS, ...UNAUTHORIZED_CALLS]));
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])('declares for %s exactly the calls its handler\'s imports make, less those it is shown never to make', async (name) => {
    // Prepare
    const { entry, calls } = FUNCTIONS[name];
    const notCalled = Object.keys(NOT_CALLED[name] ?? {});

    // Act
    const reached = unique((await sdkCallsInFiles(await importGraph(entry))).map((c) => c.action));

    // Assess: no grant for a call the function cannot make, no call it makes without a grant
    expect(reached.filter((a) => !notCalled.includes(a) && !(UNAUTHORIZED_CALLS as readonly string[]).includes(a))).toEqual(unique(calls));
    expect(notCalled.filter((a) => !reached.includes(a))).toEqual([]);
  });

  it('keeps the scan worker and the aggregate apart from what they do not do', () => {
    // Assess: the aggregate assumes no role and scans nothing; neither starts the state machine nor reads the organization
    expect(FUNCTIONS.aggregate.calls.filter((a) => /^(sts|eks|organizations|securityhub|account|ssm):/.test(a))).toEqual([]);
    expect([...FUNCTIONS.scanWorker.calls, ...FUNCTIONS.aggregate.calls].filter((a) => a === 'states:StartExecution' || a.startsWith('organizations:'))).toEqual([]);
    expect(FUNCTIONS.scanWorker.calls).not.toContain('sns:Publish');
  });

  it('follows value imports and re-exports, not type-only imports', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'graph-'));
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'entry.ts'), "import type { T } from './lib/typed.js';\nimport { type U } from './lib/typed-too.js';\nimport {\n  a,\n} from './lib/a.js';\nexport { b } from './lib/b.js';\n");
    for (const f of ['typed', 'typed-too', 'a', 'b']) await writeFile(join(dir, 'lib', `${f}.ts`), f === 'a' ? "export const a = 1;\nexport * from './c.js';\n" : 'export const x = 1;\n');
    await writeFile(join(dir, 'lib', 'c.ts'), 'export const c = 1;\n');

    try {
      // Act
      const files = await importGraph(join(dir, 'entry.ts'));

      // Assess
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['entry.ts', 'lib/a.ts', 'lib/b.ts', 'lib/c.ts']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('puts in the member role every call of lib/collect and lib/deliver/securityhub to a member-account service', async () => {
    // Act
    const memberCalls = (await sdkCallsIn(['lib/collect', 'lib/deliver/securityhub'])).filter((c) => MEMBER_SERVICES.has(c.action.split(':')[0]!));

    // Assess
    expect(memberCalls.length).toBeGreaterThan(0);
    expect(unique(memberCalls.map((c) => c.action))).toEqual(unique(MEMBER_ACCOUNT_ACTIONS));
  });

  it('maps commands and paginators to actions by the client they are imported from', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'permissions-'));
    await mkdir(join(dir, 'nested'));
    await writeFile(
      join(dir, 'nested', 'calls.ts'),
      [
        "import { DescribeAddonCommand, paginateListClusters as listAll, type EKSClient } from '@aws-sdk/client-eks';",
        "import { StartExecutionCommand } from '@aws-sdk/client-sfn';",
        "import { getParameter } from '@aws-lambda-powertools/parameters/ssm';",
        'class LocalCommand {}',
        'new DescribeAddonCommand({}); listAll({}); new StartExecutionCommand({}); new LocalCommand(); client.paginateLater(); getParameter("/x");',
      ].join('\n'),
    );
    await writeFile(join(dir, 'other.ts'), "import { ListQueuesCommand } from '@aws-sdk/client-sqs';\nnew ListQueuesCommand({});\n");

    try {
      // Act
      const nested = await sdkCallsIn([join(dir, 'nested')]);
      const unknownClient = sdkCallsIn([dir]);

      // Assess
      expect(nested.map((c) => c.action)).toEqual(['eks:DescribeAddon', 'eks:ListClusters', 'states:StartExecution', 'ssm:GetParameter']);
      await expect(unknownClient).rejects.toThrow(/ListQueuesCommand comes from @aws-sdk\/client-sqs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
