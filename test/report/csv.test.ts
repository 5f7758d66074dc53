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
    const cells = ['=HYPERLINK("http://evil.example","x")', '+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1', 'safe = 1', 'v1.18.0'].map((cell) => csvCell(cell));

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

  it('writes values a spreadsheet would turn into a date or a number as text formulas, and leaves them plain when asked', () => {
    // Prepare: versions and ids as EKS and Organizations give them, as Excel and LibreOffice would mangle them
    const finding = aFinding({ accountId: '012345678901', kubernetesVersion: '1.30', fixedIn: '1.16.2', observedVersion: 'v1.16.0-eksbuild.1', clusterName: 'mar-1' });
    const report = aReport({ findings: [finding] });

    // Act
    const safe = parseCsv(renderCsv(report).slice(1))[1]!;
    const plain = parseCsv(renderCsv(report, { spreadsheetText: false }).slice(1))[1]!;

    // Assess
    const get = (row: string[], column: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(column)];
    expect(get(safe, 'Account ID')).toBe('="012345678901"');
    expect(get(safe, 'Kubernetes version')).toBe('="1.30"');
    expect(get(safe, 'Fixed in')).toBe('="1.16.2"');
    expect(get(safe, 'Cluster')).toBe('="mar-1"');
    expect(get(safe, 'vpc-cni version')).toBe('v1.16.0-eksbuild.1');
    expect(get(safe, 'Account name')).toBe(finding.accountName);
    expect(get(safe, 'Why')).toBe(finding.why);
    expect([get(plain, 'Account ID'), get(plain, 'Kubernetes version'), get(plain, 'Fixed in'), get(plain, 'Cluster')]).toEqual(['012345678901', '1.30', '1.16.2', 'mar-1']);
  });

  it('keeps formula-looking values inert before it forces text, so no value becomes a formula of its own', () => {
    // Act
    const cells = ['-1.30', '+012', '1,5', '10:30', '1e5', '3%', 'TRUE', '1 Jan 2024', 'payments prod', 'v1.16.2'].map((cell) => csvCell(cell));

    // Assess
    expect(cells).toEqual(["'-1.30", "'+012", '"=""1,5"""', '"=""10:30"""', '"=""1e5"""', '"=""3%"""', '"=""TRUE"""', '"=""1 Jan 2024"""', 'payments prod', 'v1.16.2']);
  });

  it('names the expiry of a lapsed suppression in a last column, after the columns it had before', () => {
    // Prepare
    const lapsed = aFinding({ suppressionExpired: '2026-01-31' });
    const plain = aFinding({ clusterName: 'other' });

    // Act
    const rows = parseCsv(renderCsv(aReport({ findings: [lapsed, plain] }), { spreadsheetText: false }).slice(1));

    // Assess
    expect(CSV_COLUMNS.at(-1)).toBe('Suppression expired');
    expect(CSV_COLUMNS[20]).toBe('Run started');
    const expired = rows.slice(1).map((r) => [r[CSV_COLUMNS.indexOf('Cluster')], r.at(-1)]);
    expect(expired).toContainEqual([lapsed.clusterName, '2026-01-31']);
    expect(expired).toContainEqual(['other', '']);
  });
});
