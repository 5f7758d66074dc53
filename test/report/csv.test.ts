import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvCell, renderCsv } from '../../lib/report/csv.js';
import { aFinding, aReport } from '../deliver/fixtures.js';

/** An RFC 4180 reader, small and strict: what a spreadsheet does with the file. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('csv.ts', () => {
  it('writes one row per finding believed open under a header, RFC 4180 quoted, CRLF between records', () => {
    // Prepare
    const open = aFinding({ clusterName: 'payments, "blue"', why: 'two\nlines' });
    const carried = { ...aFinding({ clusterName: 'unread' }), carriedBecause: 'aws-node unreadable: 403 Forbidden' };
    const report = { ...aReport({ findings: [open] }), newIds: [open.id], carriedOver: [carried] };

    // Act
    const csv = renderCsv(report);

    // Assess
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(csv.slice(1));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    const get = (row: string[], column: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(column)];
    expect(get(rows[1]!, 'Cluster')).toBe('payments, "blue"');
    expect(get(rows[1]!, 'Why')).toBe('two\\nlines'); // one value, one line: the break shown, never a raw control character
    expect(get(rows[1]!, 'Status')).toBe('new');
    expect(get(rows[1]!, 'Commands')).toBe(open.remediation.commands.join('\n'));
    expect(get(rows[2]!, 'Status')).toBe('not re-checked: aws-node unreadable: 403 Forbidden');
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
  });

  it('makes cells a spreadsheet would run as a formula inert with a leading apostrophe', () => {
    // Act
    const cells = ['=HYPERLINK("http://evil.example","x")', '+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1', 'safe = 1', 'v1.18.0'].map(csvCell);

    // Assess
    expect(cells).toEqual([`"'=HYPERLINK(""http://evil.example"",""x"")"`, "'+1", "'-2+3", "'@SUM(A1)", "'\tcmd", `"'\r=1"`, 'safe = 1', 'v1.18.0']);
  });

  it('neutralises a hostile account name in the file', () => {
    // Act
    const csv = renderCsv(aReport({ findings: [aFinding({ accountName: '=cmd|\' /C calc\'!A0' })] }));

    // Assess
    expect(parseCsv(csv.slice(1))[1]![CSV_COLUMNS.indexOf('Account name')]).toBe("'=cmd|' /C calc'!A0");
  });

  it('lets no control character, Unicode line separator or bidi override of an outside value into a cell', () => {
    // Prepare: a cluster name, an image tag and a fix text as a hostile cluster could make them
    const finding = aFinding({ clusterName: 'prod\u202eevil', observedVersion: 'v1.18.0\u2028ALL CLEAR', why: 'a\u0085b\u001b[31m\u0007', remediation: { text: 'x\u2029y', commands: ['aws eks describe-addon\u0000 --cluster-name c'] } });

    // Act
    const row = parseCsv(renderCsv(aReport({ findings: [finding] })).slice(1))[1]!;

    // Assess
    for (const cell of row) expect(cell).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(row[CSV_COLUMNS.indexOf('Cluster')]).toBe('prodevil');
    expect(row[CSV_COLUMNS.indexOf('vpc-cni version')]).toBe('v1.18.0\\nALL CLEAR');
  });
});
