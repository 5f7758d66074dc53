import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { clientConfig, MANAGEMENT, rejectionOf, smallOrg } from './helpers.js';

const TOPIC = `arn:aws:sns:us-east-1:${MANAGEMENT}:fleet-audit-findings`;

describe('sns.ts', () => {
  let sim: Simulator;
  let sns: SNSClient;

  beforeAll(async () => {
    sim = await startSimulator({ org: smallOrg() });
    sns = new SNSClient(clientConfig(sim));
  });
  afterAll(() => sim.stop());

  it('records every publish decoded, attributes included', async () => {
    // Prepare
    const message = JSON.stringify({ default: '3 critical findings', email: 'Fleet audit: 3 critical findings' });

    // Act
    const out = await sns.send(
      new PublishCommand({
        TopicArn: TOPIC,
        Subject: 'Fleet audit: 3 critical findings',
        Message: message,
        MessageStructure: 'json',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'critical' }, count: { DataType: 'Number', StringValue: '3' } },
      }),
    );

    // Assess
    expect(sim.records.sns).toEqual([
      {
        accountId: MANAGEMENT,
        region: 'us-east-1',
        topicArn: TOPIC,
        subject: 'Fleet audit: 3 critical findings',
        message,
        messageStructure: 'json',
        messageAttributes: { severity: { DataType: 'String', StringValue: 'critical' }, count: { DataType: 'Number', StringValue: '3' } },
        messageId: out.MessageId,
      },
    ]);
  });

  it.each([
    ['a message over 262144 bytes', { Message: 'é'.repeat(131_073) }],
    ['a subject over 100 characters', { Message: 'x', Subject: 's'.repeat(101) }],
    ['a subject with a line break', { Message: 'x', Subject: 'Fleet audit\nfindings' }],
    ['a json structure without a default entry', { Message: '{"email":"x"}', MessageStructure: 'json' }],
    ['a topic in another region', { Message: 'x', TopicArn: `arn:aws:sns:eu-west-1:${MANAGEMENT}:fleet-audit-findings` }],
  ])('refuses %s with InvalidParameter', async (_label, input) => {
    // Prepare
    const before = sim.records.sns.length;

    // Act
    const error = await rejectionOf(sns.send(new PublishCommand({ TopicArn: TOPIC, ...input })));

    // Assess
    expect(error.name).toBe('InvalidParameterException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sim.records.sns).toHaveLength(before);
  });

  it('accepts a message of exactly 262144 bytes and a 100-character subject', async () => {
    // Act
    const out = await sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x'.repeat(262_144), Subject: 's'.repeat(100) }));

    // Assess
    expect(out.MessageId).toBeTruthy();
  });
});
