/**
 * Texts the page's charts and links are drawn from: pure, no DOM, so the page's tests run them in
 * Node as the browser does.
 */

/**
 * One axis label per run, each unique: `MM-DD HH:MM` (UTC); where two runs share that minute,
 * the seconds too; where they share the second, a ` #2`, ` #3` after the later ones. Input: ISO
 * 8601 start times, oldest first.
 */
export function runLabels(startedAt: readonly string[]): string[] {
  const minute = (iso: string) => iso.slice(5, 16).replace('T', ' ');
  const second = (iso: string) => iso.slice(5, 19).replace('T', ' ');
  const counts = new Map<string, number>();
  for (const iso of startedAt) counts.set(minute(iso), (counts.get(minute(iso)) ?? 0) + 1);
  const seen = new Map<string, number>();
  return startedAt.map((iso) => {
    const label = (counts.get(minute(iso)) ?? 0) > 1 ? second(iso) : minute(iso);
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} #${n}`;
  });
}

/**
 * The link a rule's reference may be: an absolute https:// URL without user name or password,
 * as the URL parser reads it; null for anything else (http:, javascript:, data:, a relative
 * path, text), which the page shows as text.
 */
export function safeHref(reference: string): string | null {
  let url: URL;
  try {
    url = new URL(reference);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hostname === '') return null;
  return url.href;
}

/** `text` cut to `max` characters with an ellipsis; the whole text goes in a title or a tooltip. */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Pixels a label of `length` characters takes at the charts' 10 px sans-serif, generously. */
const CHAR_PX = 6.2;

/**
 * Room a tick label rotated by `degrees` needs below the axis (`bottom`) and left of its tick
 * (`left`, text anchored at its end), so that no rotated label is cut by the chart's edge.
 */
export function rotatedLabelRoom(labels: readonly string[], degrees: number): { bottom: number; left: number } {
  const longest = labels.reduce((n, l) => Math.max(n, l.length), 0) * CHAR_PX;
  const radians = (Math.abs(degrees) * Math.PI) / 180;
  return { bottom: Math.ceil(longest * Math.sin(radians) + 12 * Math.cos(radians)) + 14, left: Math.ceil(longest * Math.cos(radians)) + 8 };
}
