/** STS (awsQuery): AssumeRole into member accounts, GetCallerIdentity. */
import { queryResponse, SimError } from '../wire.js';
import { stableHex, type ServiceFactory, type SimRequest } from './service.js';
import type { SimState } from '../state.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const MAX_SESSION_SECONDS = 3600;

/** The form fields of a query-protocol request (body, plus the URL query for GET). */
export function queryParams(req: SimRequest): URLSearchParams {
  const params = new URLSearchParams(req.body.toString('utf8'));
  for (const [k, v] of req.query) if (!params.has(k)) params.set(k, v);
  return params;
}

export function unknownAction(action: string | null, version: string): SimError {
  return new SimError('InvalidAction', 400, `Could not find operation ${action ?? '(none)'} for version ${version}`);
}

export const stsService: ServiceFactory = (state) => ({
  protocol: 'awsQuery',
  route(req) {
    const params = queryParams(req);
    const action = params.get('Action');
    if (action === 'AssumeRole') return { name: action, run: () => assumeRole(state, req, params) };
    if (action === 'GetCallerIdentity') {
      return {
        name: action,
        run: () =>
          queryResponse(
            action,
            NS,
            { UserId: userId(req), Account: req.caller.accountId, Arn: req.caller.arn },
            req.requestId,
          ),
      };
    }
    throw unknownAction(action, '2011-06-15');
  },
});

function userId(req: SimRequest): string {
  const issued = req.caller.issued;
  if (issued) return `AROA${stableHex(issued.roleArn, 16).toUpperCase()}:${issued.sessionName}`;
  return `AIDA${stableHex(req.caller.arn, 16).toUpperCase()}`;
}

function validation(message: string): SimError {
  return new SimError('ValidationError', 400, message);
}

function assumeRole(state: SimState, req: SimRequest, params: URLSearchParams) {
  const roleArn = params.get('RoleArn') ?? '';
  const sessionName = params.get('RoleSessionName') ?? '';
  const externalId = params.get('ExternalId') ?? undefined;
  const duration = Number(params.get('DurationSeconds') ?? MAX_SESSION_SECONDS);
  const arn = ROLE_ARN.exec(roleArn);
  const accountId = arn?.[1];
  const roleName = arn?.[2] ?? '';
  state.records.assumeRoles.push({ callerAccountId: req.caller.accountId, roleArn, accountId, roleSessionName: sessionName, externalId, granted: false });
  const record = state.records.assumeRoles[state.records.assumeRoles.length - 1]!;

  if (!arn || !accountId) throw validation(`1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must be a valid IAM role ARN`);
  if (!SESSION_NAME.test(sessionName)) {
    throw validation(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  if (!Number.isInteger(duration) || duration < 900) throw validation(`1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
  if (duration > MAX_SESSION_SECONDS) throw validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

  const account = state.account(accountId);
  const denied =
    !account ||
    !account.auditRole ||
    account.state !== 'ACTIVE' ||
    roleName !== state.org.auditRoleName ||
    (account.externalId !== undefined && account.externalId !== externalId);
  if (denied) {
    throw new SimError('AccessDenied', 403, `User: ${req.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  }

  record.granted = true;
  const creds = state.issue(accountId, roleArn, sessionName, duration);
  return queryResponse(
    'AssumeRole',
    NS,
    {
      Credentials: {
        AccessKeyId: creds.accessKeyId,
        SecretAccessKey: creds.secretAccessKey,
        SessionToken: creds.sessionToken,
        Expiration: new Date(creds.expiresAt),
      },
      AssumedRoleUser: {
        AssumedRoleId: `AROA${stableHex(roleArn, 16).toUpperCase()}:${sessionName}`,
        Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      },
      PackedPolicySize: params.has('Policy') ? 6 : undefined,
    },
    req.requestId,
  );
}
