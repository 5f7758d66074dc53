import type { StoredRunReport } from '../deliver/history/delta.js';
import { compareFindings } from '../severity.js';
import { forCsv } from '../escape.js';
import type { Finding } from '../types.js';

/** The columns, in order: what a spreadsheet of findings is sorted and filtered by. */
export const CSV_COLUMNS = [
  'Severity',
  'Status',
  'Rule',
  'Title',
  'Account ID',
  'Account name',
  'OU',
  'Region',
  'Cluster',
  'Kubernetes version',
  'Installed as',
  'vpc-cni version',
  'Target version',
  'Fixed in',
  'Why',
  'Remediation',
  'Commands',
  'Reference',
  'Finding ID',
  'Run ID',
  'Run started',
  // Added columns go last: a spreadsheet or script that reads columns by position keeps working.
  'Suppression expired',
] as const;

/** Spreadsheets run a cell that starts with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Values a spreadsheet opening the file would turn into a number, a date, a time or a boolean,
 * losing the text: `1.16.2` (a date), `1.30` (the number 1.3), `012345678901` (leading zero
 * lost), `12/05`, `10:30`, `1e5`, `3%`, `TRUE`, and short names with a month (`mar-1`, `1 Jan 24`).
 */
const SPREADSHEET_CONVERTS = [
  /^[\s$€£(]*\d[\d\s.,:/%()-]*$/,
  /^\d+(\.\d+)?e[+-]?\d+$/i,
  /^(true|false)$/i,
  /^(?=.*\d)(?=.*\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)[a-z\d\s./,-]{1,24}$/i,
];

/** Excel's longest text in a formula: a longer value is left as it is (no spreadsheet converts one that long). */
const FORMULA_TEXT_MAX = 255;

export interface CsvOptions {
  /**
   * Write each value a spreadsheet would convert as the formula `="value"` (shown as the text,
   * exactly, by Excel, LibreOffice, Google Sheets and Numbers). Default true. A script reading
   * the file takes a cell that starts with `="` and ends with `"` as the text between.
   */
  spreadsheetText?: boolean;
}

/**
 * One cell as RFC 4180 writes it, made inert first: a value a spreadsheet would read as a formula
 * (`=HYPERLINK(...)`, `+1`, `-2`, `@SUM`, a leading tab or carriage return) gets a leading
 * apostrophe; else a value a spreadsheet would convert to a number or a date is written `="value"`
 * (options.spreadsheetText); then a value with a comma, quote or line break is quoted, its quotes doubled.
 */
export function csvCell(value: string | null | undefined, options: CsvOptions = {}): string {
  const text = value ?? '';
  const inert = FORMULA_START.test(text)
    ? `'${text}`
    : options.spreadsheetText !== false && text.length <= FORMULA_TEXT_MAX && SPREADSHEET_CONVERTS.some((pattern) => pattern.test(text))
      ? `="${text.replace(/"/g, '""')}"`
      : text;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

/** One row; every value one line of plain text (no control character, a line break as a visible `\n`), the commands one per line. */
function rowOf(finding: Finding, status: string, report: Pick<StoredRunReport, 'runId' | 'startedAt'>): string[] {
  const t = forCsv;
  return [
    t(finding.severity),
    t(status),
    t(finding.ruleId),
    t(finding.title),
    t(finding.accountId),
    t(finding.accountName),
    t(finding.ouPath?.join(' / ') ?? finding.ou ?? ''),
    t(finding.region),
    t(finding.clusterName),
    t(finding.kubernetesVersion),
    t(finding.managed ? 'managed add-on' : 'self-managed'),
    t(finding.observedVersion ?? 'unknown'),
    t(finding.targetVersion ?? ''),
    t(finding.fixedIn ?? ''),
    t(finding.why),
    t(finding.remediation.text),
    finding.remediation.commands.map(t).join('\n'),
    t(finding.remediation.url ?? finding.references[0] ?? ''),
    t(finding.id),
    t(report.runId),
    t(report.startedAt),
    t(finding.suppressionExpired ?? ''),
  ];
}

/**
 * The run's findings as CSV (RFC 4180: CRLF between records, a header row): one row per finding
 * believed open, worst first: those observed (Status `new` or `open`) and those carried over
 * without a re-check (`not re-checked: why`). A UTF-8 byte order mark leads, so Excel reads
 * account and cluster names in any script.
 */
export function renderCsv(report: StoredRunReport, options: CsvOptions = {}): string {
  const newIds = new Set(report.newIds ?? []);
  const rows = [
    ...[...report.findings].sort(compareFindings).map((f) => rowOf(f, newIds.has(f.id) ? 'new' : 'open', report)),
    ...[...(report.carriedOver ?? [])].sort(compareFindings).map((f) => rowOf(f, `not re-checked: ${f.carriedBecause}`, report)),
  ];
  return `\uFEFF${[[...CSV_COLUMNS], ...rows].map((row) => row.map((cell) => csvCell(cell, options)).join(',')).join('\r\n')}\r\n`;
}
