/**
 * Wire encodings of the four AWS protocols the simulated services speak: answers and errors
 * exactly as the SDK v3 deserialisers expect them.
 */
import { randomUUID } from 'node:crypto';

export type Protocol = 'restJson' | 'awsJson' | 'awsQuery' | 'restXml';

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** An AWS error answer; the server encodes it in the protocol of the service that raised it. */
export class SimError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra members of the modelled error shape (restJson/awsJson body, S3 error XML). */
  readonly extra: Record<string, string> | undefined;
  constructor(code: string, status: number, message: string, extra?: Record<string, string>) {
    super(message);
    this.name = 'SimError';
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

export function newRequestId(): string {
  return randomUUID();
}

export function jsonResponse(body: unknown, protocol: 'restJson' | 'awsJson' = 'restJson', status = 200): SimResponse {
  return {
    status,
    headers: { 'content-type': protocol === 'awsJson' ? 'application/x-amz-json-1.1' : 'application/json' },
    body: JSON.stringify(body),
  };
}

export function xmlResponse(xml: string, status = 200): SimResponse {
  return { status, headers: { 'content-type': 'text/xml' }, body: xml };
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c] ?? c);
}

export type XmlValue = string | number | boolean | Date | null | undefined | XmlValue[] | { [key: string]: XmlValue };

/** `{a: 1, b: [x, y]}` → `<a>1</a><b>x</b><b>y</b>`: arrays are flattened; wrap them yourself (`{member: [...]}`). */
export function toXml(fields: { [key: string]: XmlValue }): string {
  let out = '';
  for (const [name, value] of Object.entries(fields)) out += element(name, value);
  return out;
}

function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join('');
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') return `<${name}>${toXml(value)}</${name}>`;
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** The awsQuery envelope: `<XResponse xmlns><XResult>…</XResult><ResponseMetadata>…` */
export function queryResponse(action: string, namespace: string, result: { [key: string]: XmlValue }, requestId: string): SimResponse {
  return xmlResponse(
    `<${action}Response xmlns="${namespace}"><${action}Result>${toXml(result)}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

/** Encodes an error the way the given protocol carries it. */
export function errorResponse(protocol: Protocol, error: SimError, requestId: string): SimResponse {
  switch (protocol) {
    case 'restJson':
      return {
        status: error.status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${error.code}:` },
        body: JSON.stringify({ ...error.extra, message: error.message }),
      };
    case 'awsJson':
      return {
        status: error.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.code },
        body: JSON.stringify({ __type: error.code, Message: error.message, ...error.extra }),
      };
    case 'awsQuery': {
      const type = error.status >= 500 ? 'Receiver' : 'Sender';
      return xmlResponse(
        `<ErrorResponse><Error><Type>${type}</Type><Code>${xmlEscape(error.code)}</Code>` +
          `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        error.status,
      );
    }
    case 'restXml':
      return {
        status: error.status,
        headers: { 'content-type': 'application/xml' },
        body:
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Error>${toXml({ Code: error.code, Message: error.message, ...error.extra, RequestId: requestId })}</Error>`,
      };
  }
}

/** A 200 answer the SDK cannot parse, for the `malformed` fault. */
export function malformedResponse(protocol: Protocol): SimResponse {
  if (protocol === 'restJson' || protocol === 'awsJson') {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"clusters": ["half-written' };
  }
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: '<Response><Result><Unclosed attr="x></Result>' };
}

/** Opaque page tokens: the offset into the full list, so that paging is stable and cheap. */
export function paginate<T>(
  items: readonly T[],
  token: string | undefined | null,
  requested: number | undefined,
  pageSize: number,
  invalidToken: () => SimError,
): { page: T[]; nextToken: string | undefined } {
  let start = 0;
  if (token) {
    const decoded = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8').replace(/^sim:/, ''), 10);
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw invalidToken();
    start = decoded;
  }
  const size = Math.max(1, Math.min(requested && requested > 0 ? requested : pageSize, pageSize));
  const end = Math.min(items.length, start + size);
  const nextToken = end < items.length ? Buffer.from(`sim:${end}`).toString('base64url') : undefined;
  return { page: items.slice(start, end), nextToken };
}
