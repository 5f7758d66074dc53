import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { SEVERITIES } from '../types.js';
import { CouldNotRunError, EXIT, infrastructureProblem, UsageError } from './errors.js';
import { registerRulesCommands } from './rules.js';
import { forTerminal } from '../escape.js';
import { SIGNAL_EXIT } from './interrupt.js';
import { DEFAULT_TREND_RUNS } from '../report/html/model.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface CliIo {
  out: (s: string) => unknown;
  err: (s: string) => unknown;
  /** Standard output is a terminal (colours). */
  isTty: boolean;
  /** Standard error is a terminal (the scan's progress bar); default false. */
  errTty?: boolean;
}

/** The package's version, from its package.json (lib/cli and dist/cli are both two levels below it). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * The commands. Each action imports its module when it runs: `--help` and `--version` load
 * commander alone, not the AWS SDK (start-up is measured by `npm run bench -- --startup`).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('fleet-audit')
    .description('Audit the Amazon VPC CNI of every EKS cluster in an AWS Organization.')
    .version(packageVersion(), '-V, --version', 'print the version of fleet-audit')
    // `check --version V` is the add-on version: program options only before the command name.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('check')
    .description('Which known vpc-cni risks apply to one cluster (what-if: no AWS calls).')
    .requiredOption('--version <version>', 'vpc-cni version, e.g. v1.18.0-eksbuild.1, v1.9.3 or an image reference')
    .option('--k8s <x.y>', 'the cluster Kubernetes version, e.g. 1.29')
    .option('--config <values>', 'the add-on configuration values (JSON or YAML, as EKS accepts them)')
    .addOption(new Option('--managed <bool>', 'EKS managed add-on (true) or self-managed (false)').default('true'))
    .option('--role-arn <arn>', 'the IAM role of the aws-node service account, or "none"')
    .option('--catalog <file>', 'a saved `aws eks describe-addon-versions --addon-name vpc-cni` response')
    .option('--rules <dir>', 'a directory of extra rule files (repeatable)', collect)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices(SEVERITIES))
    .option('--cluster <name>', 'cluster name to fill into the commands', '<cluster>')
    .option('--region <region>', 'region to fill into the commands', '<region>')
    .action(async (options) => {
      const { runCheck } = await import('./check.js');
      const result = await runCheck(options, io.isTty);
      io.out(`${result.output}\n`);
      process.exitCode = result.exitCode;
    });

  program
    .command('scan')
    .description('Audit every EKS cluster of the organization with your own credentials (the Lambda\'s engine).')
    .option('--regions <list>', 'comma list of regions, or "all" (the regions enabled in each account)', 'all')
    .option('--role-name <name>', 'the audit role in member accounts', 'EksFleetAuditRole')
    .option('--external-id <id>', 'the ExternalId the audit role requires')
    .option('--accounts <list>', 'only these account ids (comma list)')
    .option('--exclude-accounts <list>', 'skip these account ids')
    .option('--ou <list>', 'only accounts under these OUs (comma list of OU ids)')
    .option('--exclude-ou <list>', 'skip accounts under these OUs')
    .option('--concurrency <n>', 'accounts scanned at once', '32')
    .option('--max-attempts <n>', 'attempts per AWS call, retries of throttling and network errors included (default 8)')
    .option('--rules <dir>', 'a directory of extra rule files (repeatable)', collect)
    .addOption(new Option('--format <format>', 'output format (html: the fleet page; csv: one row per finding)').choices(['text', 'json', 'markdown', 'html', 'csv']).default('text'))
    .option('--out <file>', 'write the report to a file instead of standard output (its directory must exist)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices(SEVERITIES))
    .option('--region <region>', 'home region for Organizations and STS (default AWS_REGION)')
    .option('--history-dir <dir>', 'keep run reports here; the previous one gives NEW and RESOLVED')
    .option('--history-bucket <name>', "the deployed stack's history bucket: NEW and RESOLVED against the nightly runs, and the same run lease")
    .option('--history-prefix <prefix>', 'key prefix in the history bucket (default fleet-audit/)')
    .option('--suppressions <file>', 'a suppressions file (JSON or YAML)')
    .option('--security-hub', 'also import the findings into Security Hub (and archive fixed ones)')
    .option('--topic-arn <arn>', 'also publish the email/Slack notification to this SNS topic')
    .addOption(new Option('--notify <mode>', 'when to publish to --topic-arn (default always)').choices(['always', 'on-change', 'never']))
    .addOption(new Option('--min-severity <severity>', 'lowest severity published to --topic-arn').choices(SEVERITIES))
    .option('--endpoint <url>', 'send every AWS call to this endpoint (the local simulator)')
    .action(async (options) => {
      const { runScan } = await import('./scan.js');
      process.exitCode = await runScan(options, { out: io.out, err: io.err, isTty: io.isTty, errTty: io.errTty ?? false });
    });

  program
    .command('report')
    .description('Render the latest saved run of a run history again, with its trend, without scanning.')
    .option('--history-dir <dir>', 'the run history kept by scan --history-dir')
    .option('--history-bucket <name>', "the deployed stack's history bucket")
    .option('--history-prefix <prefix>', 'key prefix in the history bucket (default fleet-audit/)')
    .addOption(new Option('--format <format>', 'html: the fleet page; csv: one row per finding; json: the run report').choices(['html', 'csv', 'json']).default('html'))
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--runs <n>', `runs in the trend (default ${DEFAULT_TREND_RUNS})`)
    .option('--rules <dir>', 'a directory of extra rule files, for their affected ranges (repeatable)', collect)
    .option('--region <region>', "the history bucket's Region (default AWS_REGION)")
    .option('--endpoint <url>', 'send S3 calls to this endpoint (the local simulator)')
    .action(async (options) => {
      // Imported when it runs: the page's script is 275 KiB of text.
      const { runReport } = await import('./report.js');
      process.exitCode = await runReport(options, { out: io.out, err: io.err });
    });

  registerRulesCommands(program, io);
  program.addHelpText(
    'after',
    `\nExit codes: ${EXIT.ok} clean, ${EXIT.findings} findings at or above --fail-on, ${EXIT.usage} bad input, ` +
      `${EXIT.incomplete} partial coverage or failed delivery (scan), ${EXIT.failed} could not run (credentials, network, access, the run lease held), ` +
      `${SIGNAL_EXIT.SIGINT}/${SIGNAL_EXIT.SIGTERM} interrupted (the run lease released first).`,
  );
  return program;
}

/** Each line of a message made safe for a terminal (the line breaks are ours). */
const terminalLines = (message: string) => message.split('\n').map(forTerminal).join('\n');

const processIo = (): CliIo => ({
  out: (s: string) => process.stdout.write(s),
  err: (s: string) => process.stderr.write(s),
  isTty: Boolean(process.stdout.isTTY),
  errTty: Boolean(process.stderr.isTTY),
});

/** Runs the CLI; returns the exit code (EXIT in errors.ts, the README's table). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  process.exitCode = 0;
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      io.err(`fleet-audit: ${terminalLines(error.message)}\n`);
      return EXIT.usage;
    }
    const known = error instanceof CouldNotRunError ? error.message : infrastructureProblem(error);
    // AWS's messages and the values in ours come from outside: no escape sequence reaches the terminal.
    const problem = known === undefined ? undefined : terminalLines(known);
    // An error of ours with no known cause keeps its stack: it is a bug to report.
    io.err(`fleet-audit: ${problem ?? (error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}
