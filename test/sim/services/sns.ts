/** SNS (awsQuery): Publish with the real size and subject limits; every publish is recorded decoded. */
import { randomUUID } from 'node:crypto';
import type { SnsPublish, SimState } from '../state.js';
import { queryResponse, SimError } from '../wire.js';
import type { ServiceFactory, SimRequest } from './service.js';
import { queryParams, unknownAction } from './sts.js';

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):[\w-]{1,256}(\.fifo)?$/;
export const SNS_MAX_BYTES = 262_144;
export const SNS_MAX_SUBJECT = 100;

export const snsService: ServiceFactory = (state) => ({
  protocol: 'awsQuery',
  route(req) {
    const params = queryParams(req);
    const action = params.get('Action');
    if (action === 'Publish') return { name: action, run: () => publish(state, req, params) };
    throw unknownAction(action, '2010-03-31');
  },
});

function invalid(what: string): SimError {
  return new SimError('InvalidParameter', 400, `Invalid parameter: ${what}`);
}

/** `MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue,Value.BinaryValue}` → a map. */
function messageAttributes(params: URLSearchParams): SnsPublish['messageAttributes'] {
  const out: SnsPublish['messageAttributes'] = {};
  for (let n = 1; params.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    const name = params.get(`${prefix}.Name`) ?? '';
    const dataType = params.get(`${prefix}.Value.DataType`);
    const stringValue = params.get(`${prefix}.Value.StringValue`) ?? undefined;
    const binaryValue = params.get(`${prefix}.Value.BinaryValue`) ?? undefined;
    if (!dataType) throw new SimError('ParameterValueInvalid', 400, `The message attribute '${name}' must contain a non-empty message attribute type.`);
    if (stringValue === undefined && binaryValue === undefined) {
      throw new SimError('ParameterValueInvalid', 400, `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`);
    }
    out[name] = { DataType: dataType, ...(stringValue !== undefined && { StringValue: stringValue }), ...(binaryValue !== undefined && { BinaryValue: binaryValue }) };
  }
  return out;
}

function checkJsonStructure(message: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('Message Structure - JSON message body failed to parse');
  const entries = Object.entries(parsed);
  if (!entries.some(([k, v]) => k === 'default' && typeof v === 'string')) throw invalid('Message Structure - No default entry in JSON message body');
  if (entries.some(([, v]) => typeof v !== 'string')) throw invalid('Message Structure - JSON message body values must be strings');
}

function publish(state: SimState, req: SimRequest, params: URLSearchParams) {
  const topicArn = params.get('TopicArn') ?? params.get('TargetArn') ?? '';
  const arn = TOPIC_ARN.exec(topicArn);
  if (!arn || arn[1] !== req.region) throw invalid('TopicArn');
  if (!state.org.topics.includes(topicArn)) throw new SimError('NotFound', 404, 'Topic does not exist');
  const message = params.get('Message');
  if (message === null || message === '') throw invalid('Empty message');
  const subject = params.get('Subject') ?? undefined;
  // eslint-disable-next-line no-control-regex
  if (subject !== undefined && ([...subject].length > SNS_MAX_SUBJECT || /[\u0000-\u001f\u007f]/.test(subject) || subject.trim() === '')) {
    throw invalid('Subject');
  }
  const messageStructure = params.get('MessageStructure') ?? undefined;
  if (messageStructure !== undefined && messageStructure !== 'json') throw invalid('MessageStructure');
  if (messageStructure === 'json') checkJsonStructure(message);
  const attributes = messageAttributes(params);
  let bytes = Buffer.byteLength(message, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue ?? value.BinaryValue ?? '');
  }
  if (bytes > SNS_MAX_BYTES) throw invalid('Message too long');

  const messageId = randomUUID();
  state.records.sns.push({ accountId: req.caller.accountId, region: req.region, topicArn, subject, message, messageStructure, messageAttributes: attributes, messageId });
  return queryResponse('Publish', NS, { MessageId: messageId }, req.requestId);
}
