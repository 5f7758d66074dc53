/**
 * A local AWS: one node:http server answering the real requests of the AWS SDK v3 clients
 * (Organizations, STS, Account, EKS, SNS, Security Hub, S3), routed by the SigV4 credential scope.
 * Signatures are not verified; the access key decides which account is calling.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultEngine, type FaultDecision } from './faults.js';
import { loadOrgFile, parseFaults, parseOrg, SIM_SERVICES, type SimFaultsInput, type SimOrg, type SimOrgInput, type SimService } from './schema.js';
import { accountService } from './services/account.js';
import { eksService } from './services/eks.js';
import { startKubernetesApi } from './services/kubernetes.js';
import { organizationsService } from './services/organizations.js';
import { s3Service } from './services/s3.js';
import { securityHubService } from './services/securityhub.js';
import type { Caller, RoutedOperation, ServiceFactory, ServiceHandler, SimRequest } from './services/service.js';
import { snsService } from './services/sns.js';
import { stsService } from './services/sts.js';
import { SimState, type AssumeRoleCall, type CallCount, type S3Object, type SecurityHubImport, type SnsPublish, type StoredFinding } from './state.js';
import { errorResponse, malformedResponse, newRequestId, SimError, type Protocol, type SimResponse } from './wire.js';

export type { SimOrg, SimOrgInput, SimFaultsInput } from './schema.js';
export type { AssumeRoleCall, CallCount, S3Object, SecurityHubImport, SnsPublish, StoredFinding } from './state.js';

export interface SimulatorOptions {
  /** The organization, or the path of an org file (JSON). */
  org: SimOrgInput | string;
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
}

export interface Simulator {
  /** `http://127.0.0.1:PORT`: give it to clients as `endpoint` or AWS_ENDPOINT_URL. */
  endpoint: string;
  port: number;
  /** `https://127.0.0.1:PORT2`: the clusters' Kubernetes API (DescribeCluster gives each its endpoint under it). */
  kubernetesOrigin: string;
  records: { sns: SnsPublish[]; securityHubImports: SecurityHubImport[]; assumeRoles: AssumeRoleCall[] };
  /** The Security Hub findings stored for an account in a region. */
  findings(accountId: string, region: string): StoredFinding[];
  /** The objects of an S3 bucket (empty when the bucket does not exist). */
  objects(bucket: string): ReadonlyMap<string, S3Object>;
  /** Calls answered so far, counted by service, operation, account, region and HTTP status. */
  calls(): CallCount[];
  resetCalls(): void;
  /** Replaces every fault setting (validated) and restarts the PRNG, rule counters and token buckets. */
  setFaults(faults: SimFaultsInput): void;
  /** The served organization: tests may change it between two runs (assigning validates it). */
  get org(): SimOrg;
  set org(value: SimOrgInput);
  stop(): Promise<void>;
}

/** Fake credentials for the management account: any key the simulator did not issue acts as it. */
export const SIM_MANAGEMENT_CREDENTIALS = { accessKeyId: 'AKIASIMULATOR0000000', secretAccessKey: 'simulator-secret-not-checked' } as const;

const FACTORIES: Record<SimService, ServiceFactory> = {
  sts: stsService,
  organizations: organizationsService,
  account: accountService,
  eks: eksService,
  sns: snsService,
  securityhub: securityHubService,
  s3: s3Service,
};

/** `GET` it for `calls()` as JSON, from outside the simulator's process. */
export const CALLS_PATH = '/__sim/calls';
/**
 * Unsigned admin endpoints beside CALLS_PATH, for tests and for anyone scripting scenarios against
 * `npm run sim` (documented in test/sim/README.md).
 */
export const ADMIN_PATHS = {
  /** PUT an org file (JSON): replaces the organization, keeping Security Hub, SNS and S3 state. */
  org: '/__sim/org',
  /** GET every stored Security Hub finding with its RecordState, by account and region. */
  securityHub: '/__sim/securityhub',
  /** GET every SNS publish received. */
  sns: '/__sim/sns',
  /** PUT the fault settings (JSON), as setFaults. */
  faults: '/__sim/faults',
} as const;

const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

interface Scope {
  accessKeyId: string;
  region: string;
  service: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/eks/aws4_request, ...` (or a presigned URL's X-Amz-Credential). */
export function parseCredentialScope(authorization: string | undefined, query: URLSearchParams): Scope | undefined {
  const match = CREDENTIAL_SCOPE.exec(authorization ?? '') ?? CREDENTIAL_SCOPE.exec(`Credential=${query.get('X-Amz-Credential') ?? ''}`);
  if (!match) return undefined;
  return { accessKeyId: match[1]!, region: match[2]!, service: match[3]! };
}

function isService(name: string): name is SimService {
  return (SIM_SERVICES as readonly string[]).includes(name);
}

function resolveCaller(state: SimState, accessKeyId: string, protocol: Protocol): Caller {
  const issued = state.issued.get(accessKeyId);
  if (!issued) return { accountId: state.org.managementAccountId, arn: `arn:aws:iam::${state.org.managementAccountId}:user/sim-operator`, issued: undefined };
  if (issued.expiresAt < Date.now()) {
    const code = protocol === 'restJson' || protocol === 'awsJson' ? 'ExpiredTokenException' : 'ExpiredToken';
    throw new SimError(code, 403, 'The security token included in the request is expired');
  }
  return { accountId: issued.accountId, arn: `arn:aws:sts::${issued.accountId}:assumed-role/${issued.roleName}/${issued.sessionName}`, issued };
}

/** Injected latency; it never keeps a finished test process alive (a hung call is minutes long). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function send(res: ServerResponse, response: SimResponse, requestId: string, protocol: Protocol, truncate: boolean): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  const idHeaders: Record<string, string> = protocol === 'restXml' ? { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId } : { 'x-amzn-requestid': requestId };
  if (truncate && body.length === 0) {
    res.socket?.destroy();
    return;
  }
  res.writeHead(response.status, { ...response.headers, ...idHeaders, 'content-length': String(body.length) });
  if (!truncate) {
    res.end(body);
    return;
  }
  // The full Content-Length is promised, half is sent, then the connection drops.
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

class SimServer {
  readonly state: SimState;
  readonly faults: FaultEngine;
  private readonly handlers: Record<SimService, ServiceHandler>;

  constructor(org: SimOrg) {
    this.state = new SimState(org);
    this.faults = new FaultEngine(org.faults);
    this.handlers = Object.fromEntries(SIM_SERVICES.map((s) => [s, FACTORIES[s](this.state)])) as Record<SimService, ServiceHandler>;
  }

  /** Replaces the organization; Security Hub, SNS and S3 state stay, new buckets are created. */
  replaceOrg(org: SimOrg): void {
    this.state.org = org;
    for (const bucket of org.buckets) if (!this.state.buckets.has(bucket)) this.state.buckets.set(bucket, new Map());
    this.faults.set(org.faults);
  }

  setFaults(faults: SimFaultsInput): void {
    const parsed = parseFaults(faults);
    this.state.org.faults = parsed;
    this.faults.set(parsed);
  }

  /** The admin endpoints: true when the request was one. */
  private admin(req: IncomingMessage, res: ServerResponse, body: Buffer): boolean {
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const route = `${req.method} ${req.url}`;
    try {
      switch (route) {
        // The call counts for a process that runs the simulator as a child (the benchmark).
        case `GET ${CALLS_PATH}`:
          json(200, this.state.calls());
          return true;
        case `GET ${ADMIN_PATHS.securityHub}`:
          json(200, [...this.state.findings].map(([key, findings]) => {
            const [accountId, region] = key.split('|');
            return { accountId, region, findings: [...findings.values()] };
          }));
          return true;
        case `GET ${ADMIN_PATHS.sns}`:
          json(200, this.state.records.sns);
          return true;
        case `PUT ${ADMIN_PATHS.org}`:
          this.replaceOrg(parseOrg(JSON.parse(body.toString('utf8')), 'PUT /__sim/org'));
          json(200, { accounts: this.state.org.accounts.length });
          return true;
        case `PUT ${ADMIN_PATHS.faults}`:
          this.setFaults(JSON.parse(body.toString('utf8')) as SimFaultsInput);
          json(200, this.state.org.faults);
          return true;
        default:
          if (req.url?.startsWith('/__sim/')) {
            json(404, { message: `no admin endpoint ${route}` });
            return true;
          }
          return false;
      }
    } catch (error) {
      json(400, { message: error instanceof Error ? error.message : String(error) });
      return true;
    }
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('error', () => undefined); // a client that hangs up mid-request is not the simulator's failure
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (this.admin(req, res, body)) return;
      this.serve(req, res, body).catch((error: unknown) => {
        console.error('simulator: unexpected failure', error);
        if (!res.headersSent) send(res, errorResponse('restJson', internal(), 'none'), 'none', 'restJson', false);
      });
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = newRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const scope = parseCredentialScope(req.headers.authorization, query);
    if (!scope || !isService(scope.service)) {
      const error = scope
        ? new SimError('UnknownServiceException', 400, `The simulator does not serve the service ${scope.service}`)
        : new SimError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
      send(res, errorResponse('restJson', error, requestId), requestId, 'restJson', false);
      return;
    }
    const service = scope.service;
    const handler = this.handlers[service];
    let caller: Caller | undefined;
    let op: RoutedOperation;
    try {
      caller = resolveCaller(this.state, scope.accessKeyId, handler.protocol);
      op = handler.route({ service, region: scope.region, method: req.method ?? 'GET', path, query, headers: req.headers, body, caller, requestId } satisfies SimRequest);
    } catch (error) {
      const accountId = caller?.accountId ?? this.state.org.managementAccountId;
      this.answer(res, service, 'Unknown', accountId, scope.region, handler.protocol, requestId, { delayMs: 0, error: asSimError(error) });
      return;
    }
    const decision = this.faults.decide({ service, operation: op.name, accountId: caller.accountId, region: scope.region, cluster: op.cluster, key: op.key });
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    this.answer(res, service, op.name, caller.accountId, scope.region, handler.protocol, requestId, decision, op);
  }

  private answer(
    res: ServerResponse,
    service: SimService,
    operation: string,
    accountId: string,
    region: string,
    protocol: Protocol,
    requestId: string,
    decision: FaultDecision,
    op?: RoutedOperation,
  ): void {
    let response: SimResponse;
    if (decision.error) response = errorResponse(protocol, decision.error, requestId);
    else if (decision.malformed) response = malformedResponse(protocol);
    else {
      try {
        response = op ? op.run(decision.failFindings ? { failFindings: decision.failFindings } : {}) : errorResponse(protocol, internal(), requestId);
      } catch (error) {
        response = errorResponse(protocol, asSimError(error), requestId);
      }
    }
    this.state.countCall(service, operation, accountId, region, response.status);
    send(res, response, requestId, protocol, decision.truncate === true);
  }
}

function internal(): SimError {
  return new SimError('InternalFailure', 500, 'The simulator failed to process the request');
}

function asSimError(error: unknown): SimError {
  if (error instanceof SimError) return error;
  console.error('simulator: handler failure', error);
  return internal();
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const org = typeof opts.org === 'string' ? await loadOrgFile(opts.org) : parseOrg(opts.org);
  const sim = new SimServer(org);
  const server: Server = createServer(sim.listener);
  // Clients keep connections alive for the whole scan; never be the side that drops them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // server.maxConnections stays unset: unlimited.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const state = sim.state;
  const kubernetes = await startKubernetesApi(state, opts.host ?? '127.0.0.1', new Map([[SIM_MANAGEMENT_CREDENTIALS.accessKeyId, SIM_MANAGEMENT_CREDENTIALS.secretAccessKey]]));
  return {
    endpoint: `http://${host}:${port}`,
    port,
    kubernetesOrigin: kubernetes.origin,
    records: state.records,
    findings: (accountId, region) => [...state.findingsOf(accountId, region).values()],
    objects: (bucket) => state.buckets.get(bucket) ?? new Map(),
    calls: () => state.calls(),
    resetCalls: () => state.resetCalls(),
    setFaults: (faults) => sim.setFaults(faults),
    get org(): SimOrg {
      return state.org;
    },
    set org(value: SimOrgInput) {
      sim.replaceOrg(parseOrg(value));
    },
    stop: async () => {
      await Promise.all([
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        }),
        kubernetes.stop(),
      ]);
    },
  };
}
