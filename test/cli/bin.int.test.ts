/**
 * bin/fleet-audit.js as a process: what only a real process has (a pipe whose reader went away,
 * signals). It runs from the checkout (through tsx), against the simulator.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator, type Simulator } from '../sim/server.js';
import { DEMO_BUCKET } from '../support/local-lambda.js';

const BIN = fileURLToPath(new URL('../../bin/fleet-audit.js', import.meta.url));

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ org: 'events/demo-org.json', port: 0 });
});
afterAll(async () => {
  await sim.stop();
});

interface Exited {
  code: number | null;
  err: string;
}

/** Starts fleet-audit with the simulator's keys; `onStart` gets the child once it runs. */
function fleetAudit(args: string[], during: (child: ReturnType<typeof spawn>, err: () => string) => void = () => undefined): Promise<Exited> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: SIM_MANAGEMENT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_MANAGEMENT_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => void (err += chunk.toString('utf8')));
  during(child, () => err);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, err })));
}

async function leaseRecord(): Promise<{ released?: boolean; holder: string }> {
  const s3 = new S3Client({ region: 'us-east-1', endpoint: sim.endpoint, forcePathStyle: true, credentials: SIM_MANAGEMENT_CREDENTIALS });
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: 'fleet-audit/lease.json' }));
    return JSON.parse(await object.Body!.transformToString()) as { released?: boolean; holder: string };
  } finally {
    s3.destroy();
  }
}

describe('bin/fleet-audit.js', () => {
  it('exits quietly with the run\'s own exit code when the reader of standard output has gone (| head -1)', async () => {
    // Act: the reader closes before the report is written
    const { code, err } = await fleetAudit(['scan', '--endpoint', sim.endpoint, '--accounts', '333333333333', '--format', 'json'], (child) => child.stdout!.destroy());

    // Assess
    expect(err).not.toMatch(/EPIPE|Unhandled 'error' event|^\s+at /m);
    expect(err).toMatch(/scanned 1\/1 selected account in/);
    expect(code).toBe(0);
  }, 60_000);

  it('releases the run lease when interrupted during a --security-hub scan, then exits 130', async () => {
    // Prepare: EKS answers slowly, so the scan is still going when the signal comes
    sim.setFaults({ rules: [{ service: 'eks', latencyMs: 1_500 }] });

    try {
      // Act
      const { code, err } = await fleetAudit(
        ['scan', '--endpoint', sim.endpoint, '--history-bucket', DEMO_BUCKET, '--security-hub', '--accounts', '333333333333', '--regions', 'us-east-1'],
        (child, stderr) => {
          const poll = setInterval(() => {
            if (!stderr().includes('scanning the organization')) return;
            clearInterval(poll);
            child.kill('SIGINT');
          }, 50);
        },
      );

      // Assess
      expect(code).toBe(130);
      expect(err).toContain('fleet-audit: SIGINT: releasing the run lease, then stopping');
      expect(await leaseRecord()).toMatchObject({ released: true, holder: expect.stringMatching(/^cli:/) });
    } finally {
      sim.setFaults({});
    }
  }, 60_000);
});
