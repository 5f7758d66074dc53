/**
 * Exit 4 (could not run) as a user meets it: the CLI in its own process, with an environment that
 * has no credentials, an expired SSO session, or an endpoint nobody listens on. One line with
 * what to do, never a stack trace.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT, infrastructureProblem } from '../../lib/cli/errors.js';

const BIN = fileURLToPath(new URL('../../bin/fleet-audit.js', import.meta.url));

/** Runs fleet-audit with only these variables (no AWS_* of the machine running the tests). */
function fleetAudit(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env }, timeout: 30_000 }, (error, out, err) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, out, err }),
    );
  });
}

/** A port on which nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const noStackTrace = (err: string) => expect(err).not.toMatch(/^\s+at /m);

// Each test waits on its own process: they run side by side.
describe.concurrent('errors', () => {
  it('exits 4 with the AWS_PROFILE hint when there are no credentials at all', async () => {
    // Prepare
    const home = await mkdtemp(join(tmpdir(), 'no-aws-'));

    // Act
    const { code, err } = await fleetAudit(['scan', '--region', 'us-east-1', '--max-attempts', '1'], { HOME: home });

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err).toContain('fleet-audit: no AWS credentials (Could not load credentials from any providers). Set AWS_PROFILE');
    noStackTrace(err);
  });

  it('exits 4 with `aws sso login` when the SSO session of the profile has expired, the region read from the profile', async () => {
    // Prepare: a profile as `aws configure sso` writes it, and the token cache `aws sso login` left
    const home = await mkdtemp(join(tmpdir(), 'sso-expired-'));
    await mkdir(join(home, '.aws', 'sso', 'cache'), { recursive: true });
    await writeFile(
      join(home, '.aws', 'config'),
      [
        '[profile audit]',
        'sso_session = corp',
        'sso_account_id = 111111111111',
        'sso_role_name = FleetAuditor',
        'region = eu-west-1',
        '',
        '[sso-session corp]',
        'sso_start_url = https://corp.awsapps.com/start',
        'sso_region = eu-west-1',
        'sso_registration_scopes = sso:account:access',
        '',
      ].join('\n'),
    );
    const token = { accessToken: 'expired', expiresAt: '2024-01-01T00:00:00Z', region: 'eu-west-1', startUrl: 'https://corp.awsapps.com/start' };
    await writeFile(join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`), JSON.stringify(token));

    // Act
    const { code, err } = await fleetAudit(['scan', '--max-attempts', '1'], { HOME: home, AWS_PROFILE: 'audit' });

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err).toContain('fleet-audit: the AWS SSO session has expired');
    expect(err).toContain('Run `aws sso login`');
    noStackTrace(err);
  });

  it('exits 4 naming the endpoint when the connection is refused', async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${await closedPort()}`;

    // Act
    const { code, err } = await fleetAudit(['scan', '--endpoint', endpoint, '--max-attempts', '1'], {
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_REGION: 'us-east-1',
    });

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err).toContain(`fleet-audit: cannot reach AWS at ${endpoint} (ECONNREFUSED`);
    noStackTrace(err);
  });

  it('leaves errors that are not about credentials, network or access to the caller', () => {
    // Act
    const problem = infrastructureProblem(new TypeError("Cannot read properties of undefined (reading 'map')"));

    // Assess
    expect(problem).toBeUndefined();
  });
});
