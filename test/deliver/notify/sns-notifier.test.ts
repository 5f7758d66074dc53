import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildNotification } from '../../../lib/deliver/notify/message.js';
import { FIFO_MESSAGE_GROUP, NotifyError, SnsNotifier } from '../../../lib/deliver/notify/sns-notifier.js';
import { aFinding } from '../fixtures.js';
import { anInput } from './input-fixture.js';

const sns = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:eu-west-1:999988887777:fleet-audit';

beforeEach(() => sns.reset());

describe('sns-notifier.ts', () => {
  it('publishes one json-structured message with subject and attributes to the topic', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const message = buildNotification(anInput([aFinding()], undefined));
    const notifier = new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), topicArn);

    // Act
    const result = await notifier.publish(message);

    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: message.subject,
      Message: message.message,
      MessageStructure: 'json',
      MessageAttributes: message.attributes,
    });
  });

  it('gives a FIFO topic its message group and a deduplication id made from the message', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const fifo = 'arn:aws:sns:eu-west-1:999988887777:fleet-audit.fifo';
    const message = buildNotification(anInput([aFinding()], undefined));
    const notifier = new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), fifo);

    // Act
    await notifier.publish(message);
    await notifier.publish(message);

    // Assess: the same news twice is one deduplication id
    const sent = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(sent[0]).toMatchObject({ TopicArn: fifo, MessageGroupId: FIFO_MESSAGE_GROUP, MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(sent[1]?.MessageDeduplicationId).toBe(sent[0]?.MessageDeduplicationId);
  });

  it('turns a failed publish into a NotifyError naming the topic', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(Object.assign(new Error('User is not authorized to perform SNS:Publish'), { name: 'AuthorizationErrorException' }));
    const notifier = new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), topicArn);

    // Act
    const publish = notifier.publish(buildNotification(anInput([aFinding()], undefined)));

    // Assess
    await expect(publish).rejects.toThrow(NotifyError);
    await expect(publish).rejects.toThrow(`publish to ${topicArn} failed: AuthorizationErrorException`);
  });
});
