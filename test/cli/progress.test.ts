import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scanProgress } from '../../lib/cli/progress.js';

/** A terminal as cli-progress sees one: a TTY stream with a width. */
function fakeTerminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('progress', () => {
  it('draws selected accounts done/total (the total growing while the organization is listed), clusters, errors and an ETA, then the phase lines', () => {
    // Prepare
    const terminal = fakeTerminal();
    const lines: string[] = [];
    let now = 0;
    const progress = scanProgress({ err: (s) => lines.push(s), errTty: true, stream: terminal.stream }, () => now);

    // Act
    progress.scan({ accountsDone: 1, accountsTotal: 2, listed: false, clustersScanned: 2, failures: 0 });
    progress.scan({ accountsDone: 2, accountsTotal: 2, listed: false, clustersScanned: 3, failures: 0 });
    now = 2_000;
    progress.scan({ accountsDone: 4, accountsTotal: 4, listed: true, clustersScanned: 9, failures: 1 });
    progress.phase({ phase: 'security-hub' });
    progress.phase({ phase: 'deliver' });
    progress.done('wrote audit.md');

    // Assess
    expect(terminal.text()).toMatch(/scanning \[.*\] 4\/4 selected accounts \| 9 clusters \| 1 errors \| ETA \d+s/);
    // A full bar while the organization is still listed says so: more accounts may come.
    expect(terminal.text()).toMatch(/scanning \[.*\] \d\/2 selected accounts so far, still listing \| \d clusters/);
    expect(terminal.text()).not.toMatch(/4\/4 selected accounts so far/);
    expect(lines).toEqual([
      'scanning the organization…\n',
      'scanned 4/4 selected accounts in 2.0 s: 9 clusters, 1 error\n',
      'Security Hub: importing findings, archiving fixed ones…\n',
      'delivering: notification and run history…\n',
      'wrote audit.md\n',
    ]);
  });

  it('draws no bar when standard error is not a terminal, and reports a scan that ends without a phase', () => {
    // Prepare
    const terminal = fakeTerminal();
    const lines: string[] = [];
    const progress = scanProgress({ err: (s) => lines.push(s), errTty: false, stream: terminal.stream }, () => 0);

    // Act
    progress.scan({ accountsDone: 1, accountsTotal: 1, listed: true, clustersScanned: 1, failures: 0 });
    progress.done('');

    // Assess
    expect(terminal.text()).toBe('');
    expect(lines).toEqual(['scanning the organization…\n', 'scanned 1/1 selected account in 0.0 s: 1 cluster, 0 errors\n']);
  });
});
