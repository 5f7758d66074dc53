/** The contract between the HTTP server and one simulated AWS service. */
import type { IncomingHttpHeaders } from 'node:http';
import type { FailFindings } from '../faults.js';
import type { SimService } from '../schema.js';
import type { IssuedCredentials, SimState } from '../state.js';
import { SimError, type Protocol, type SimResponse } from '../wire.js';

export interface Caller {
  accountId: string;
  /** The caller's principal ARN, as AccessDenied messages and GetCallerIdentity show it. */
  arn: string;
  issued: IssuedCredentials | undefined;
}

export interface SimRequest {
  service: SimService;
  region: string;
  method: string;
  /** Raw (still percent-encoded) path. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  caller: Caller;
  requestId: string;
}

/** Faults that change what an operation answers, not whether it answers (see FaultDecision). */
export interface OperationFaults {
  failFindings?: FailFindings;
}

/** A request recognised as one operation: fault rules match on its name (and cluster) before it runs. */
export interface RoutedOperation {
  name: string;
  cluster?: string;
  /** The S3 object key an object operation is on. */
  key?: string;
  run(faults: OperationFaults): SimResponse;
}

export interface ServiceHandler {
  protocol: Protocol;
  /** Throws SimError for a request that is not a known operation. */
  route(req: SimRequest): RoutedOperation;
}

export type ServiceFactory = (state: SimState) => ServiceHandler;

/** The JSON body of a restJson/awsJson request (`{}` when empty). */
export function jsonBody(req: SimRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new SimError('SerializationException', 400, 'Request body is not a JSON object');
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Path segments, percent-decoded: `/clusters/a%2Fb/addons` → ['clusters', 'a/b', 'addons']. */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}

export function epochSeconds(iso: string | undefined, fallback: number): number {
  return iso ? Date.parse(iso) / 1000 : fallback;
}

/** A stable pseudo-random hex string derived from text (ids that survive restarts). */
export function stableHex(text: string, length: number): string {
  let h1 = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (let i = 0; i < text.length; i++) h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h1 = Math.imul(h1 ^ round, 0x01000193) >>> 0;
    out += h1.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

export function pageSize(state: SimState, operation: string, fallback: number): number {
  return state.org.pageSize[operation] ?? fallback;
}
