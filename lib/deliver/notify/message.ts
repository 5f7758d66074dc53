import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { highestSeverity } from '../../severity.js';
import { renderEmail } from './email.js';
import { viewOf } from './input.js';
import type { NotificationInput } from './input.js';
import { EVENT_TYPE, renderSlack } from './slack.js';

/** SNS refuses a message (body and attributes) over 256 KiB. */
export const SNS_MAX_BYTES = 262_144;
/** Room left for what the limit may count and we do not measure exactly. */
const SAFETY_BYTES = 1_024;

/** One SNS publish, ready to send. */
export interface NotificationMessage {
  subject: string;
  /** A JSON object of bodies per protocol (MessageStructure 'json'). */
  message: string;
  messageStructure: 'json';
  attributes: Record<string, MessageAttributeValue>;
}

/**
 * Builds the one publish that serves every subscriber.
 *
 * One topic and one publish with a json MessageStructure, rather than a topic per audience:
 * Amazon Q Developer in chat applications subscribes to the topic with the `https` protocol, so it
 * gets the `https` body (the custom notification JSON), while email, SQS and Lambda subscribers
 * get `default` (the email digest). No separate `email` key: it would carry the same text twice
 * and halve the room under the size limit. Subscribers choose with filter policies on the
 * attributes (severity, newFindings, resolvedFindings, hasErrors, eventType).
 *
 * A message over 256 KiB is never refused: the email's longest lists are cut, pointing to the
 * full report.
 */
export function buildNotification(input: NotificationInput): NotificationMessage {
  const view = viewOf(input);
  const attributes: Record<string, MessageAttributeValue> = {
    severity: { DataType: 'String', StringValue: highestSeverity(view.open) ?? 'none' },
    newFindings: { DataType: 'Number', StringValue: String(view.new.length) },
    resolvedFindings: { DataType: 'Number', StringValue: String(view.resolved.length) },
    hasErrors: { DataType: 'String', StringValue: String(input.errors.length > 0) },
    eventType: { DataType: 'String', StringValue: EVENT_TYPE },
  };
  const https = JSON.stringify(renderSlack(input));
  // What the body weighs with an empty email: the email may use the rest.
  const fixed = Buffer.byteLength(JSON.stringify({ default: '', https }), 'utf8') + attributeBytes(attributes);
  const email = renderEmail(input, { max: SNS_MAX_BYTES - SAFETY_BYTES - fixed, cost: jsonStringBytes });
  return {
    subject: email.subject,
    message: JSON.stringify({ default: email.body, https }),
    messageStructure: 'json',
    attributes,
  };
}

/** What a message weighs against the SNS limit: the body plus every attribute's name, type and value. */
export function notificationBytes(message: NotificationMessage): number {
  return Buffer.byteLength(message.message, 'utf8') + attributeBytes(message.attributes);
}

function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name + (value.DataType ?? '') + (value.StringValue ?? ''), 'utf8'),
    0,
  );
}

/** Bytes of a text once inside a JSON string (escapes included, quotes not). */
export function jsonStringBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}
