/**
 * A run report's JSON text, written and read a part at a time. At 1,000 accounts a report is
 * ~30 MB of compact JSON: built as one string, then copied into the request's bytes, it cost
 * twice its size at the end of the run; parsed whole, then validated (zod copies what it
 * validates), three times its size more, though a run needs only some of its members.
 */

import type { StreamedBody } from './store.js';

/** The bytes of a body made on demand (see StreamedBody): this many per chunk. */
export const CHUNK_BYTES = 1 << 20;

/**
 * `JSON.stringify(value) + '\n'` as UTF-8, byte for byte, as a StreamedBody: its length, counted
 * first, then its bytes in chunks of `chunkBytes` (the last one shorter), made again each time they
 * are asked for. A top-level array member is serialised an element at a time: never the whole text
 * as one string, nor one buffer (a report is hundreds of MB at 10,000 accounts), only the chunks a
 * request has not sent yet. `value` is a plain object of JSON data (no toJSON, as a run report is).
 */
export function jsonBody(value: Record<string, unknown>, chunkBytes = CHUNK_BYTES): StreamedBody {
  return textBody(() => jsonPieces(value), chunkBytes);
}

/**
 * The UTF-8 of the text `pieces()` yields, as a StreamedBody: its length counted on a first pass,
 * its bytes made again, in chunks of `chunkBytes`, each time they are asked for. `pieces` must
 * yield the same text each time.
 */
export function textBody(pieces: () => Iterable<string>, chunkBytes = CHUNK_BYTES): StreamedBody {
  let length = 0;
  for (const piece of pieces()) length += Buffer.byteLength(piece, 'utf8');
  return { length, chunks: () => chunksOf(pieces(), chunkBytes) };
}

/** Pieces of text as UTF-8 chunks of `size` bytes, a piece split across two chunks where it falls. */
function* chunksOf(pieces: Iterable<string>, size: number): Generator<Buffer> {
  let chunk = Buffer.allocUnsafe(size);
  let at = 0;
  for (const piece of pieces) {
    // A UTF-16 unit is at most 3 UTF-8 bytes: a piece that surely fits is written in place.
    if (piece.length * 3 <= size - at) {
      at += chunk.write(piece, at, 'utf8');
      continue;
    }
    const bytes = Buffer.from(piece, 'utf8');
    for (let from = 0; from < bytes.length; ) {
      const copied = bytes.copy(chunk, at, from);
      from += copied;
      at += copied;
      if (at === size) {
        yield chunk;
        chunk = Buffer.allocUnsafe(size);
        at = 0;
      }
    }
  }
  if (at > 0) yield chunk.subarray(0, at);
}

/** The text of `JSON.stringify(value) + end`, in pieces: a top-level array an element at a time. */
export function* jsonPieces(value: Record<string, unknown>, end = '\n'): Generator<string> {
  let first = true;
  yield '{';
  for (const [name, member] of Object.entries(value)) {
    const elements: unknown[] | undefined = Array.isArray(member) ? member : undefined;
    // JSON.stringify leaves out a member it cannot write (undefined, a function).
    const whole = elements ? undefined : (JSON.stringify(member) as string | undefined);
    if (!elements && whole === undefined) continue;
    yield `${first ? '' : ','}${JSON.stringify(name)}:`;
    first = false;
    if (!elements) {
      yield whole!;
      continue;
    }
    yield '[';
    // An element JSON cannot write is written null, as JSON.stringify writes it in an array.
    for (let i = 0; i < elements.length; i++) yield `${i === 0 ? '' : ','}${(JSON.stringify(elements[i]) as string | undefined) ?? 'null'}`;
    yield ']';
  }
  yield `}${end}`;
}

/** Thrown for text that is not one JSON object (the history turns it into CorruptReport). */
export class ReportJsonError extends Error {
  override name = 'ReportJsonError';
}

/** One top-level member of a JSON object: its name and where its value's bytes are ([start, end)). */
export interface MemberSpan {
  name: string;
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** A byte that ends a literal (number, true, false, null): space, `,`, `]`, `}`. */
const endsLiteral = (c: number | undefined) => isSpace(c) || c === 0x2c || c === 0x5d || c === 0x7d;

/** The UTF-8 text of `bytes[start, end)`. */
export function utf8(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
}

/**
 * The top-level members of a JSON object's UTF-8 bytes, in order, without parsing their values:
 * only brackets and strings are followed (a value's own syntax is checked when it is parsed; a
 * multi-byte character's bytes are never ASCII, so they are never taken for a bracket or a
 * quote). Throws ReportJsonError when the bytes are not one object, are cut short, or go on after it.
 */
export function objectMembers(bytes: Uint8Array): MemberSpan[] {
  const members: MemberSpan[] = [];
  let at = skipSpace(bytes, 0);
  if (bytes[at] !== 0x7b) throw new ReportJsonError('expected a JSON object');
  at = skipSpace(bytes, at + 1);
  if (bytes[at] === 0x7d) return finish(bytes, at + 1, members);
  for (;;) {
    if (bytes[at] !== QUOTE) throw new ReportJsonError(`expected a member name at byte ${at}`);
    const nameEnd = stringEnd(bytes, at);
    const name = JSON.parse(utf8(bytes, at, nameEnd)) as string;
    at = skipSpace(bytes, nameEnd);
    if (bytes[at] !== 0x3a) throw new ReportJsonError(`expected ':' at byte ${at}`);
    const start = skipSpace(bytes, at + 1);
    const end = valueEnd(bytes, start);
    members.push({ name, start, end });
    at = skipSpace(bytes, end);
    if (bytes[at] === 0x7d) return finish(bytes, at + 1, members);
    if (bytes[at] !== 0x2c) throw new ReportJsonError(`expected ',' or '}' at byte ${at}`);
    at = skipSpace(bytes, at + 1);
  }
}

/** The elements of the JSON array at `bytes[start, end)`, each as [start, end); throws ReportJsonError when it is not an array. */
export function* arrayElements(bytes: Uint8Array, start: number, end: number): Generator<[number, number]> {
  if (bytes[start] !== 0x5b) throw new ReportJsonError(`expected an array at byte ${start}`);
  let at = skipSpace(bytes, start + 1);
  if (bytes[at] === 0x5d && at === end - 1) return;
  for (;;) {
    const elementEnd = valueEnd(bytes, at);
    yield [at, elementEnd];
    at = skipSpace(bytes, elementEnd);
    if (bytes[at] === 0x5d && at === end - 1) return;
    if (bytes[at] !== 0x2c) throw new ReportJsonError(`expected ',' or ']' at byte ${at}`);
    at = skipSpace(bytes, at + 1);
  }
}

function finish(bytes: Uint8Array, at: number, members: MemberSpan[]): MemberSpan[] {
  if (skipSpace(bytes, at) !== bytes.length) throw new ReportJsonError(`unexpected bytes after the object at byte ${at}`);
  return members;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  while (at < bytes.length && isSpace(bytes[at])) at++;
  return at;
}

/** The end (exclusive) of the string starting at `at` (a quote). */
function stringEnd(bytes: Uint8Array, at: number): number {
  for (let i = at + 1; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new ReportJsonError('the text ends inside a string');
}

/** The end (exclusive) of the value starting at `at`: a string, an object or array (brackets balanced), or a literal. */
function valueEnd(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return stringEnd(bytes, at);
  if (first !== 0x7b && first !== 0x5b) {
    let i = at;
    while (i < bytes.length && !endsLiteral(bytes[i])) i++;
    if (i === at) throw new ReportJsonError(`expected a value at byte ${at}`);
    return i;
  }
  const closers: number[] = [];
  for (let i = at; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) i = stringEnd(bytes, i) - 1;
    else if (c === 0x7b) closers.push(0x7d);
    else if (c === 0x5b) closers.push(0x5d);
    else if (c === 0x7d || c === 0x5d) {
      if (closers.pop() !== c) throw new ReportJsonError(`unbalanced '${String.fromCharCode(c)}' at byte ${i}`);
      if (closers.length === 0) return i + 1;
    }
  }
  throw new ReportJsonError('the text ends inside an object or array');
}
