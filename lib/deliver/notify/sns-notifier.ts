import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { NotificationMessage } from './message.js';

/** Where notifications go. */
export interface Notifier {
  publish(message: NotificationMessage): Promise<{ messageId: string }>;
}

export class NotifyError extends Error {
  override name = 'NotifyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Publishes to one SNS topic; the client (and its retry strategy) is the caller's. */
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
        }),
      );
      return { messageId: response.MessageId ?? '' };
    } catch (error) {
      const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new NotifyError(`publish to ${this.topicArn} failed: ${cause}`, { cause: error });
    }
  }
}
