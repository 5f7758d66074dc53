/**
 * `npm run sim -- --org FILE --port N`: the simulator as a standalone process, for the demo and
 * for trying the CLI by hand. Stops on SIGINT/SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { SIM_MANAGEMENT_CREDENTIALS, startSimulator } from './server.js';

const DEFAULT_ORG = fileURLToPath(new URL('../../events/demo-org.json', import.meta.url));

const program = new Command()
  .name('sim')
  .description('Local AWS simulator (Organizations, STS, Account, EKS, SNS, Security Hub, S3)')
  .option('--org <file>', 'org file (JSON)', DEFAULT_ORG)
  .option('--port <n>', 'port (0 = any free port)', '4566')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .parse();

const opts = program.opts<{ org: string; port: string; host: string }>();
const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`sim: --port must be an integer 0-65535, not ${opts.port}`);
  process.exit(2);
}

try {
  const sim = await startSimulator({ org: opts.org, port, host: opts.host });
  const region = Object.keys(sim.org.accounts.find((a) => a.id === sim.org.managementAccountId)?.regions ?? {})[0] ?? 'us-east-1';
  console.log(`simulator listening on ${sim.endpoint}`);
  console.log(`org: ${opts.org} (${sim.org.accounts.length} accounts, management ${sim.org.managementAccountId})`);
  console.log('export these to point the AWS SDK (and fleet-audit) at it:');
  console.log(`  export AWS_ENDPOINT_URL=${sim.endpoint}`);
  console.log(`  export AWS_ACCESS_KEY_ID=${SIM_MANAGEMENT_CREDENTIALS.accessKeyId}`);
  console.log(`  export AWS_SECRET_ACCESS_KEY=${SIM_MANAGEMENT_CREDENTIALS.secretAccessKey}`);
  console.log(`  export AWS_REGION=${region}`);
  const shutdown = (signal: string): void => {
    console.log(`sim: ${signal}, stopping`);
    sim.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('sim: stop failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  console.error(`sim: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
