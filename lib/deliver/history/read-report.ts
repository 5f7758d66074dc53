import { z } from 'zod';
import type { Finding } from '../../types.js';
import type { StoredRunReport } from './delta.js';
import { HistoryError } from './errors.js';
import { arrayElements, objectMembers, utf8, type MemberSpan } from './report-json.js';
import { runReportSchema } from './schema.js';

/** A member of a saved report. */
export type ReportMember = keyof StoredRunReport;

/** Read from every report, whatever else is asked: what names and dates the run. */
const ALWAYS = ['schemaVersion', 'runId', 'startedAt', 'finishedAt', 'tool', 'baseline'] as const satisfies readonly ReportMember[];

/** The members of a report a reader asked for, and those every read gives (ALWAYS). */
export type ReportPart<M extends ReportMember> = Pick<StoredRunReport, M | (typeof ALWAYS)[number]>;

/** The members that list findings, of which a reader may keep only some (ReadOptions.where). */
const FINDING_LISTS: ReadonlySet<string> = new Set(['findings', 'carriedOver', 'archivePending'] satisfies ReportMember[]);

export interface ReadOptions {
  /**
   * The findings kept of the members that list them (findings, carriedOver, archivePending); the
   * others are let go as they are parsed: the plan of a distributed run needs the few findings of
   * accounts that left, of the ~40,000 a report holds at 10,000 accounts.
   */
  where?: (finding: Finding) => boolean;
}

const SHAPE = runReportSchema.shape as Record<string, z.ZodType>;
/** The issues named in an error: the first few say what is wrong. */
const ISSUES_NAMED = 5;

/** A report's UTF-8 bytes with where its top-level members are (scanReport). */
export interface ScannedReport {
  bytes: Uint8Array;
  spans: Map<string, MemberSpan>;
}

/**
 * Finds the members of a saved report's bytes without parsing them. Throws HistoryError
 * CorruptReport when the text is not one JSON object (a body cut short, an error page).
 */
export function scanReport(bytes: Uint8Array, location: string): ScannedReport {
  const spans = new Map<string, MemberSpan>();
  try {
    // A member written twice counts as JSON.parse counts it: the last one.
    for (const span of objectMembers(bytes)) spans.set(span.name, span);
  } catch (error) {
    throw corrupt(location, error);
  }
  return { bytes, spans };
}

/**
 * The members `members` (default: all) of a saved report (scanReport), validated as
 * runReportSchema validates a whole report. Members not asked for are not parsed (their brackets
 * only are followed); an array member is parsed and validated an element at a time, so the bytes
 * and what is kept are all that is held.
 * Throws HistoryError: CorruptReport (not one JSON object, or a member not as the schema says),
 * UnsupportedSchemaVersion (schemaVersion other than 1). `location` names the report in messages.
 */
export function parseReport<M extends ReportMember = ReportMember>({ bytes, spans }: ScannedReport, location: string, members?: readonly M[], options: ReadOptions = {}): ReportPart<M> {
  const version = spans.get('schemaVersion');
  const versionValue: unknown = version === undefined ? undefined : parseJson(utf8(bytes, version.start, version.end), location);
  if (versionValue !== 1) throw new HistoryError('UnsupportedSchemaVersion', `${location}: schemaVersion ${JSON.stringify(versionValue)} is not 1`);

  const wanted = members === undefined ? Object.keys(SHAPE) : [...new Set<string>([...ALWAYS, ...members])];
  const report: Record<string, unknown> = {};
  const issues: string[] = [];
  for (const name of wanted) {
    const schema = SHAPE[name];
    if (schema === undefined) continue;
    const keep = FINDING_LISTS.has(name) ? options.where : undefined;
    const value = parseMember(bytes, spans.get(name), name, schema, location, issues, keep as ((element: unknown) => boolean) | undefined);
    if (value !== undefined) report[name] = value;
  }
  if (issues.length) throw new HistoryError('CorruptReport', `${location} is not a valid run report: ${issues.slice(0, ISSUES_NAMED).join('; ')}`);
  return report as ReportPart<M>;
}

function parseMember(bytes: Uint8Array, span: MemberSpan | undefined, name: string, schema: z.ZodType, location: string, issues: string[], keep?: (element: unknown) => boolean): unknown {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (span !== undefined && inner instanceof z.ZodArray && bytes[span.start] === 0x5b) {
    const element = inner.element as z.ZodType;
    const values: unknown[] = [];
    let index = 0;
    try {
      for (const [start, end] of arrayElements(bytes, span.start, span.end)) {
        const value = checked(element, parseJson(utf8(bytes, start, end), location), [name, index++], issues);
        if (value !== undefined && (keep === undefined || keep(value))) values.push(value);
      }
    } catch (error) {
      if (error instanceof HistoryError) throw error;
      throw corrupt(location, error);
    }
    return values;
  }
  return checked(schema, span === undefined ? undefined : parseJson(utf8(bytes, span.start, span.end), location), [name], issues);
}

function checked(schema: z.ZodType, value: unknown, path: readonly PropertyKey[], issues: string[]): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (issues.length < ISSUES_NAMED) for (const issue of parsed.error.issues) issues.push(`${[...path, ...issue.path].map(String).join('.')}: ${issue.message}`);
  return undefined;
}

function parseJson(text: string, location: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw corrupt(location, error);
  }
}

function corrupt(location: string, error: unknown): HistoryError {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new HistoryError('CorruptReport', `${location} is not JSON: ${message}`, { cause: error });
}
