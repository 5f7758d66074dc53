/**
 * One escaping function per output kind, applied where the output is rendered, to every value
 * that came from outside (account names set by member-account admins, cluster names, image
 * strings, annotations, tags, rule text from a --rules file). Nothing hostile reaches a person:
 * no terminal escape sequence, no forged line, no live link, no mention, no markup.
 */

/* eslint-disable no-control-regex */
/** ANSI escape sequences: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ST`) and two-character escapes. */
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
/** Line breaks (CR LF, CR, LF, NEL, and the Unicode line and paragraph separators). */
const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/g;
/** C0 and C1 control characters and DEL (other than the line breaks, shown as a marker). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional overrides, isolates and marks, which make text read other than it runs ("trojan source"). */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
/** A character every one of the patterns above starts with: a text without one is left as it is. */
const ANY_OF_THEM = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/* eslint-enable no-control-regex */

/**
 * What a line break in a value shows as: the value stays on one line, and its parts never read
 * as separate statements (`v1.18.6\nALL CLEAR` is not `v1.18.6 ALL CLEAR`).
 */
export const LINE_BREAK_MARK = '\\n';

/** One line of plain text: escape sequences removed, line breaks as a visible `\n`, other control characters as spaces. */
export function plainLine(text: string): string {
  // Most values are plain already: one scan instead of four replacements (a run escapes every value of every finding).
  if (!ANY_OF_THEM.test(text)) return text;
  return text.replace(ANSI, '').replace(BIDI, '').replace(LINE_BREAK, LINE_BREAK_MARK).replace(CONTROL, ' ');
}

/** For a CSV cell: one line of plain text (the cell quoting is the CSV writer's). */
export function forCsv(text: string): string {
  return plainLine(text);
}

/** For a terminal (and a plain-text report file). */
export function forTerminal(text: string): string {
  return plainLine(text);
}

/**
 * For the email digest (plain text): one value never spans or forges lines, and a URL in a value
 * (an account name, say) is broken with a zero-width space so that mail clients do not link it.
 */
export function forEmail(text: string): string {
  return plainLine(text).replace(/:\/\//g, ':\u200b//').replace(/\bwww\./gi, 'www\u200b.');
}

/**
 * A command line of a plan, for any plain-text output: the plan built it from validated values,
 * so only control characters go (its URLs, the release manifests', must stay whole).
 */
export function forCommand(text: string): string {
  return plainLine(text);
}

/** For Security Hub fields (text, product fields, resource tags), shown in the console and passed on to tickets. */
export function forAsff(text: string): string {
  return plainLine(text);
}

/**
 * For Markdown text (and table cells): markup characters are backslash-escaped, HTML is
 * entity-encoded, a URL never becomes a link, and `@name` (`@here`, `@acme/team`) never mentions
 * anyone (a zero-width space after the `@`).
 */
export function forMarkdown(text: string): string {
  return plainLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/:\/\//g, ':&#47;&#47;')
    .replace(/\bwww\./gi, 'www&#46;')
    .replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}

/** A Markdown fence long enough for the content: longer than any run of backticks in it. */
export function markdownFence(lines: readonly string[]): string {
  const longest = Math.max(0, ...lines.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** For a Markdown inline code span: the content as is (one line), between enough backticks. */
export function markdownCode(text: string): string {
  const line = plainLine(text);
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${line}${pad}${ticks}`;
}

/**
 * For Slack text through Amazon Q Developer's `client-markdown`: `& < >` are Slack's control
 * characters (`<!channel>`, `<@U123>`, `<url|text>`); `@here`, `@channel`, `@everyone` and `@name`
 * never mention (a word joiner after the `@`);
 * a URL or a domain never turns into a live link (a zero-width space breaks it); bold, strike
 * and code marks lose their meaning, and so do an `_emphasis_` mark at a word's edge and an
 * `:emoji:` code (an `_` inside a word stays as it is: setting names are full of it).
 */
export function forSlack(text: string): string {
  return plainLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=[A-Za-z0-9])/g, '@\u2060')
    .replace(/([*~`])/g, '\u200b$1\u200b')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\u200b_\u200b')
    .replace(/:(?=[A-Za-z0-9_+'-]+:)/g, ':\u200b')
    .replace(/:\/\//g, ':\u200b//')
    .replace(/([A-Za-z0-9])\.([A-Za-z])/g, '$1.\u200b$2');
}

/** For a Slack code span (a command to copy): one line, no backtick to close it early, `& < >` escaped. */
export function forSlackCode(text: string): string {
  return plainLine(text).replace(/`/g, "'").replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
