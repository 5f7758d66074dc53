import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildNotification } from '../../../lib/deliver/notify/message.js';
import { NotifyError, SnsNotifier } from '../../../lib/deliver/notify/sns-notifier.js';
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
