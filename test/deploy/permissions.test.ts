import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANAGEMENT_ACCOUNT_ACTIONS, MEMBER_ACCOUNT_ACTIONS, sdkCallsIn, UNAUTHORIZED_CALLS } from './permissions.js';

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
        'class LocalCommand {}',
        'new DescribeAddonCommand({}); listAll({}); new StartExecutionCommand({}); new LocalCommand(); client.paginateLater();',
      ].join('\n'),
    );
    await writeFile(join(dir, 'other.ts'), "import { ListQueuesCommand } from '@aws-sdk/client-sqs';\nnew ListQueuesCommand({});\n");

    try {
      // Act
      const nested = await sdkCallsIn([join(dir, 'nested')]);
      const unknownClient = sdkCallsIn([dir]);

      // Assess
      expect(nested.map((c) => c.action)).toEqual(['eks:DescribeAddon', 'eks:ListClusters', 'states:StartExecution']);
      await expect(unknownClient).rejects.toThrow(/ListQueuesCommand comes from @aws-sdk\/client-sqs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
