import cliProgress from 'cli-progress';
import type { ScanProgress } from '../collect/scan.js';
import type { RunPhase } from '../run.js';

export interface ProgressSink {
  /** Where phase lines go (standard error). */
  err: (s: string) => unknown;
  /** Standard error is a terminal: draw the bar there. */
  errTty: boolean;
  stream?: NodeJS.WritableStream;
}

export interface ScanProgressDisplay {
  scan(p: ScanProgress): void;
  phase(p: RunPhase): void;
  /** Ends the bar, if drawn (the run failed: no closing line). */
  stop(): void;
  /** Ends the bar (if any) and prints the closing lines, if any. */
  done(lines: string): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Progress of a scan on standard error, whatever --out says: on a terminal a bar of selected
 * accounts done/total with clusters, errors so far and an ETA; elsewhere (CI logs) only the phase
 * lines; at the end the report's coverage line. Standard output keeps the report alone.
 */
export function scanProgress(sink: ProgressSink, clock: () => number = Date.now): ScanProgressDisplay {
  const started = clock();
  const bar = sink.errTty
    ? new cliProgress.SingleBar(
        {
          format: 'scanning [{bar}] {value}/{total} selected accounts{listing} | {clusters} clusters | {failures} errors | ETA {eta_formatted}',
          stream: sink.stream ?? process.stderr,
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let barStarted = false;
  let last: ScanProgress | undefined;
  let scanReported = false;

  const stopBar = () => {
    if (barStarted) bar?.stop();
    barStarted = false;
  };
  const reportScan = () => {
    if (scanReported || !last) return;
    scanReported = true;
    stopBar();
    // Errors, not failed accounts: a region or a cluster that failed counts too. The closing
    // coverage line (the report's own) says how many accounts were scanned and failed.
    sink.err(`scanned ${last.accountsDone}/${plural(last.accountsTotal, 'selected account')} in ${seconds(clock() - started)}: ${plural(last.clustersScanned, 'cluster')}, ${plural(last.failures, 'error')}\n`);
  };

  sink.err('scanning the organization…\n');
  return {
    scan(p) {
      last = p;
      // A full bar would read as the end of the scan: more accounts may still be listed.
      const listing = p.listed ? '' : ' so far, still listing';
      if (bar && !barStarted && !scanReported) {
        bar.start(p.accountsTotal, 0, { clusters: 0, failures: 0, listing });
        barStarted = true;
      }
      // The total grows while the organization is still being listed.
      if (barStarted) bar?.setTotal(p.accountsTotal);
      if (barStarted) bar?.update(p.accountsDone, { clusters: p.clustersScanned, failures: p.failures, listing });
      if (p.listed && p.accountsDone === p.accountsTotal) reportScan();
    },
    phase(p) {
      reportScan();
      sink.err(p.phase === 'security-hub' ? 'Security Hub: importing findings, archiving fixed ones…\n' : 'delivering: notification and run history…\n');
    },
    stop: stopBar,
    done(lines) {
      reportScan();
      stopBar();
      if (lines) sink.err(`${lines}\n`);
    },
  };
}
