import { createHash } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { NotifyError } from './errors.js';
import type { NotificationMessage } from './message.js';

export { NotifyError };

/** Where notifications go. */
export interface Notifier {
  publish(message: NotificationMessage): Promise<{ messageId: string }>;
}

/** The message group of a FIFO topic: the auditor's notifications are one ordered stream. */
export const FIFO_MESSAGE_GROUP = 'eks-fleet-auditor';

/**
 * Publishes to one SNS topic; the client (and its retry strategy) is the caller's. A FIFO topic
 * (`.fifo`) requires a message group, and a deduplication id unless content-based deduplication is
 * on: the digest of the message, so a retried publish of the same news is delivered once.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: NotificationMessage): Promise<{ messageId: string }> {
    try {
      const response = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: message.subject,
          Message: message.message,
          MessageStructure: message.messageStructure,
          MessageAttributes: message.attributes,
          ...(this.topicArn.endsWith('.fifo')
            ? { MessageGroupId: FIFO_MESSAGE_GROUP, MessageDeduplicationId: createHash('sha256').update(message.message).digest('hex') }
            : {}),
        }),
      );
      return { messageId: response.MessageId ?? '' };
    } catch (error) {
      const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new NotifyError(`publish to ${this.topicArn} failed: ${cause}`, { cause: error });
    }
  }
}
