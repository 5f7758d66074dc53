/**
 * What the simulator remembers between requests: the org (with an id index), the temporary
 * credentials it issued, the Security Hub findings and S3 objects stored, and the records tests
 * assert on.
 */
import { randomBytes } from 'node:crypto';
import type { SimAccount, SimCallService, SimOrg } from './schema.js';

export interface SnsPublish {
  accountId: string;
  region: string;
  topicArn: string;
  subject: string | undefined;
  message: string;
  messageStructure: string | undefined;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  messageId: string;
}

/** An ASFF finding as the caller sent it (JSON), keyed by its `Id`. */
export type StoredFinding = Record<string, unknown> & { Id: string };

export interface SecurityHubImport {
  accountId: string;
  region: string;
  findings: StoredFinding[];
  successCount: number;
  failedCount: number;
}

export interface AssumeRoleCall {
  callerAccountId: string;
  roleArn: string;
  /** The account of the role, when the ARN is well formed. */
  accountId: string | undefined;
  roleSessionName: string;
  externalId: string | undefined;
  granted: boolean;
}

export interface CallCount {
  service: SimCallService;
  operation: string;
  accountId: string;
  region: string;
  status: number;
  count: number;
}

export interface IssuedCredentials {
  accessKeyId: string;
  accountId: string;
  roleArn: string;
  roleName: string;
  sessionName: string;
  expiresAt: number;
}

export interface S3Object {
  body: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  etag: string;
  lastModified: Date;
}

export class SimState {
  org: SimOrg;
  readonly records = { sns: [] as SnsPublish[], securityHubImports: [] as SecurityHubImport[], assumeRoles: [] as AssumeRoleCall[] };
  readonly issued = new Map<string, IssuedCredentials>();
  /** `${accountId}|${region}` → findings by Id, in first-import order. */
  readonly findings = new Map<string, Map<string, StoredFinding>>();
  readonly buckets = new Map<string, Map<string, S3Object>>();
  private readonly callCounts = new Map<string, CallCount>();
  private accountIndex = new Map<string, SimAccount>();
  private indexedAccounts: SimAccount[] | undefined;
  private indexedLength = -1;

  constructor(org: SimOrg) {
    this.org = org;
    for (const bucket of org.buckets) this.buckets.set(bucket, new Map());
  }

  /** O(1) by id; re-indexes when a test replaced, grew or shrank `org.accounts` or changed an id. */
  account(id: string): SimAccount | undefined {
    if (this.indexedAccounts !== this.org.accounts || this.indexedLength !== this.org.accounts.length) this.reindex();
    const hit = this.accountIndex.get(id);
    if (hit?.id === id) return hit;
    // A miss is rare (an unknown account), so re-index to catch an id a test changed in place.
    this.reindex();
    return this.accountIndex.get(id);
  }

  private reindex(): void {
    this.accountIndex = new Map(this.org.accounts.map((a) => [a.id, a]));
    this.indexedAccounts = this.org.accounts;
    this.indexedLength = this.org.accounts.length;
  }

  /** Temporary credentials for an assumed role: the key id carries the account (`ASIA` + id + suffix). */
  issue(accountId: string, roleArn: string, sessionName: string, durationSeconds: number): IssuedCredentials & { secretAccessKey: string; sessionToken: string } {
    const accessKeyId = `ASIA${accountId}${randomBytes(3).toString('hex').toUpperCase().slice(0, 4)}`;
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const creds = { accessKeyId, accountId, roleArn, roleName, sessionName, expiresAt: Date.now() + durationSeconds * 1000 };
    this.issued.set(accessKeyId, creds);
    return { ...creds, secretAccessKey: randomBytes(30).toString('base64'), sessionToken: randomBytes(96).toString('base64') };
  }

  findingsOf(accountId: string, region: string): Map<string, StoredFinding> {
    const key = `${accountId}|${region}`;
    let store = this.findings.get(key);
    if (!store) {
      store = new Map();
      this.findings.set(key, store);
    }
    return store;
  }

  countCall(service: SimCallService, operation: string, accountId: string, region: string, status: number): void {
    const key = `${service}|${operation}|${accountId}|${region}|${status}`;
    const entry = this.callCounts.get(key);
    if (entry) entry.count += 1;
    else this.callCounts.set(key, { service, operation, accountId, region, status, count: 1 });
  }

  calls(): CallCount[] {
    return [...this.callCounts.values()].map((c) => ({ ...c }));
  }

  resetCalls(): void {
    this.callCounts.clear();
  }
}
