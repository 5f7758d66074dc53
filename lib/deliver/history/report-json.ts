/**
 * A run report's JSON text, written and read a part at a time. At 1,000 accounts a report is
 * ~22 MB of compact JSON: built as one string, then copied into the request's bytes, it cost
 * twice its size at the end of the run; parsed whole, then validated (zod copies what it
 * validates), three times its size more, though a run needs only some of its members.
 */

/** Bytes per chunk before they are joined: large enough that joining them costs nothing. */
const CHUNK_BYTES = 1 << 20;

/**
 * `JSON.stringify(value) + '\n'` as UTF-8 bytes, byte for byte, without the whole text as one
 * string: a top-level array member is serialised an element at a time. `value` is a plain
 * object of JSON data (no toJSON, as a run report is).
 */
export function jsonBytes(value: Record<string, unknown>): Buffer {
  const chunks: Buffer[] = [];
  let pending: string[] = [];
  let pendingLength = 0;
  const push = (text: string) => {
    pending.push(text);
    pendingLength += text.length;
    if (pendingLength >= CHUNK_BYTES) flush();
  };
  const flush = () => {
    chunks.push(Buffer.from(pending.join(''), 'utf8'));
    pending = [];
    pendingLength = 0;
  };
  let first = true;
  push('{');
  for (const [name, member] of Object.entries(value)) {
    // JSON.stringify leaves out a member it cannot write (undefined, a function).
    const whole = Array.isArray(member) ? undefined : JSON.stringify(member);
    if (!Array.isArray(member) && whole === undefined) continue;
    push(`${first ? '' : ','}${JSON.stringify(name)}:`);
    first = false;
    if (whole !== undefined) {
      push(whole);
      continue;
    }
    push('[');
    (member as unknown[]).forEach((element, i) => push(`${i === 0 ? '' : ','}${JSON.stringify(element) ?? 'null'}`));
    push(']');
  }
  push('}\n');
  flush();
  return Buffer.concat(chunks);
}

/** Thrown for text that is not one JSON object (the history turns it into CorruptReport). */
export class ReportJsonError extends Error {
  override name = 'ReportJsonError';
}

/** One top-level member of a JSON object text: its name and where its value is (`text.slice(start, end)`). */
export interface MemberSpan {
  name: string;
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The top-level members of a JSON object text, in order, without parsing their values: only the
 * brackets and strings are followed (a value's own syntax is checked when it is parsed). Throws
 * ReportJsonError when the text is not one object, is cut short, or has text after it.
 */
export function objectMembers(text: string): MemberSpan[] {
  const members: MemberSpan[] = [];
  let at = skipSpace(text, 0);
  if (text.charCodeAt(at) !== 0x7b) throw new ReportJsonError('expected a JSON object');
  at = skipSpace(text, at + 1);
  if (text.charCodeAt(at) === 0x7d) return finish(text, at + 1, members);
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) throw new ReportJsonError(`expected a member name at position ${at}`);
    const nameEnd = stringEnd(text, at);
    const name = JSON.parse(text.slice(at, nameEnd)) as string;
    at = skipSpace(text, nameEnd);
    if (text.charCodeAt(at) !== 0x3a) throw new ReportJsonError(`expected ':' at position ${at}`);
    const start = skipSpace(text, at + 1);
    const end = valueEnd(text, start);
    members.push({ name, start, end });
    at = skipSpace(text, end);
    const c = text.charCodeAt(at);
    if (c === 0x7d) return finish(text, at + 1, members);
    if (c !== 0x2c) throw new ReportJsonError(`expected ',' or '}' at position ${at}`);
    at = skipSpace(text, at + 1);
  }
}

/** The elements of the JSON array at `text.slice(start, end)`, each as [start, end); throws ReportJsonError when it is not an array. */
export function* arrayElements(text: string, start: number, end: number): Generator<[number, number]> {
  if (text.charCodeAt(start) !== 0x5b) throw new ReportJsonError(`expected an array at position ${start}`);
  let at = skipSpace(text, start + 1);
  if (text.charCodeAt(at) === 0x5d && at === end - 1) return;
  for (;;) {
    const elementEnd = valueEnd(text, at);
    yield [at, elementEnd];
    at = skipSpace(text, elementEnd);
    const c = text.charCodeAt(at);
    if (c === 0x5d && at === end - 1) return;
    if (c !== 0x2c) throw new ReportJsonError(`expected ',' or ']' at position ${at}`);
    at = skipSpace(text, at + 1);
  }
}

function finish(text: string, at: number, members: MemberSpan[]): MemberSpan[] {
  if (skipSpace(text, at) !== text.length) throw new ReportJsonError(`unexpected text after the object at position ${at}`);
  return members;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** The end (exclusive) of the string starting at `at` (a quote). */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new ReportJsonError('the text ends inside a string');
}

/** The end (exclusive) of the value starting at `at`: a string, an object or array (brackets balanced), or a literal. */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first !== 0x7b && first !== 0x5b) {
    let i = at;
    while (i < text.length && !isSpace(text.charCodeAt(i)) && !',]}'.includes(text[i]!)) i++;
    if (i === at) throw new ReportJsonError(`expected a value at position ${at}`);
    return i;
  }
  const closers: number[] = [];
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i) - 1;
    else if (c === 0x7b) closers.push(0x7d);
    else if (c === 0x5b) closers.push(0x5d);
    else if (c === 0x7d || c === 0x5d) {
      if (closers.pop() !== c) throw new ReportJsonError(`unbalanced '${String.fromCharCode(c)}' at position ${i}`);
      if (closers.length === 0) return i + 1;
    }
  }
  throw new ReportJsonError('the text ends inside an object or array');
}
