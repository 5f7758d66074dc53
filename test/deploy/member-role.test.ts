import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { actionsOf, allowedActions, cfnLint, parameterProblems, parseCloudFormationYaml, resourcesOfType, statementsOf, type Resource, type Statement, type Template } from './cloudformation.js';
import { MEMBER_ACCOUNT_ACTIONS } from './permissions.js';

const TEMPLATE = 'member-role.yml';
const template = parseCloudFormationYaml(await readFile(TEMPLATE, 'utf8')) as Template;

function auditRole(): Resource {
  const roles = resourcesOfType(template, 'AWS::IAM::Role');
  expect(roles).toHaveLength(1);
  return roles[0]![1];
}

describe('member-role.yml', () => {
  it('lets only the auditor roles (audit and scan worker, one comma list) assume it, with the ExternalId when one is given', () => {
    // Act
    const trust = auditRole().Properties.AssumeRolePolicyDocument as { Statement: Statement[] };

    // Assess
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'AuditorRoleArn' } },
        Action: 'sts:AssumeRole',
        Condition: { 'Fn::If': ['HasExternalId', { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } }, { Ref: 'AWS::NoValue' }] },
      },
    ]);
    expect(template.Conditions?.HasExternalId).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] });
    expect(template.Parameters?.ExternalId).toMatchObject({ Default: '', NoEcho: true });
    expect(template.Parameters?.AuditorRoleArn).toMatchObject({ Type: 'CommaDelimitedList' });
    // Each ARN of the list matches, as CloudFormation checks a list's items; an ExternalId STS would refuse does not
    const arn = new RegExp(`^${String(template.Parameters?.AuditorRoleArn?.AllowedPattern)}$`);
    expect(['arn:aws:iam::111111111111:role/eks-fleet-auditor-prod-AuditRole-1A2B', 'arn:aws-us-gov:iam::111111111111:role/x'].every((a) => arn.test(a))).toBe(true);
    const externalId = new RegExp(`^${String(template.Parameters?.ExternalId?.AllowedPattern)}$`);
    expect(['', 'a1b2c3d4', 'Ab_0+=,.@:/-'].every((v) => externalId.test(v))).toBe(true);
    expect(['x', 'has space', 'a;b'].some((v) => externalId.test(v))).toBe(false);
  });

  it('refuses an empty ExternalId unless the operator sets AllowNoExternalId=true', () => {
    // Prepare
    const auditor = { AuditorRoleArn: 'arn:aws:iam::111111111111:role/eks-fleet-auditor-prod-us-east-1-lambdaRole' };

    // Act
    const omitted = parameterProblems(template, auditor);
    const empty = parameterProblems(template, { ...auditor, ExternalId: '' });
    const allowed = parameterProblems(template, { ...auditor, ExternalId: '', AllowNoExternalId: 'true' });
    const given = parameterProblems(template, { ...auditor, ExternalId: '5f0c3e8a9b1d2c4e6f708192a3b4c5d6' });
    const malformed = parameterProblems(template, { ...auditor, ExternalId: 'has spaces' });

    // Assess
    expect(omitted).toEqual([expect.stringMatching(/^ExternalId is empty\. Pass the auditor's ExternalId .*ParameterKey=AllowNoExternalId,ParameterValue=true/)]);
    expect(empty).toEqual(omitted);
    expect(allowed).toEqual([]);
    expect(given).toEqual([]);
    expect(malformed).toEqual([expect.stringContaining('Parameter ExternalId failed to satisfy constraint')]);
  });

  it('grants exactly the member-account calls of the code, and no wildcard action', () => {
    // Act
    const role = auditRole();

    // Assess
    expect(allowedActions(role)).toEqual([...MEMBER_ACCOUNT_ACTIONS].sort());
    expect(statementsOf(role).flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
    expect(statementsOf(role).every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('scopes every action that has a resource type to this account', () => {
    // Prepare: only these two have no resource-level permissions
    const unscoped = ['eks:DescribeAddonVersions', 'eks:ListClusters'];

    // Act
    const onAnyResource = statementsOf(auditRole())
      .filter((s) => s.Resource === '*')
      .flatMap(actionsOf)
      .sort();
    const securityHubImport = statementsOf(auditRole()).find((s) => actionsOf(s).includes('securityhub:BatchImportFindings'));

    // Assess
    expect(onAnyResource).toEqual(unscoped);
    expect(securityHubImport?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default' });
  });

  it('is named by the RoleName parameter, lasts an hour at most and outputs its ARN', () => {
    // Act
    const { RoleName, MaxSessionDuration } = auditRole().Properties;

    // Assess
    expect(RoleName).toEqual({ Ref: 'RoleName' });
    expect(template.Parameters?.RoleName?.Default).toBe('EksFleetAuditRole');
    expect(MaxSessionDuration).toBe(3600);
    expect(template.Outputs?.AuditRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['AuditRole', 'Arn'] });
  });

  it('passes cfn-lint (IAM action names, properties), where the machine has it', async (context) => {
    // Act
    const lint = await cfnLint(TEMPLATE);
    if (!lint.available) context.skip('cfn-lint is not installed');

    // Assess
    expect(lint.output).toBe('');
    expect(lint.exitCode).toBe(0);
  }, 120_000); // cfn-lint loads every resource spec: tens of seconds on a busy machine
});
