/**
 * Text cuts shared by every sink whose fields have length limits (ASFF, Slack, email).
 *
 * Lengths are measured in UTF-16 code units (`string.length`): never fewer than the characters a
 * service may count, so a cut text fits whichever way the limit is counted, and the cut never
 * splits a surrogate pair.
 */

export const ELLIPSIS = '…';

/** Cuts `text` to at most `max` code units, ending in an ellipsis, preferably at a word boundary. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  let end = max - ELLIPSIS.length;
  // A cut inside a surrogate pair would leave half a character.
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  let kept = text.slice(0, end);
  // A word boundary close to the limit reads better than half a word; far from it, keep the text.
  const space = kept.search(/\s\S*$/);
  if (space > 0 && end - space <= 24) kept = kept.slice(0, space);
  return kept.trimEnd() + ELLIPSIS;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Bytes of `value` once serialised as JSON (what a request body or an SNS message weighs). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
