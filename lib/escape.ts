/**
 * One escaping function per output kind, applied where the output is rendered, to every value
 * that came from outside (account names set by member-account admins, cluster names, image
 * strings, annotations, tags, rule text from a --rules file). Nothing hostile reaches a person:
 * no terminal escape sequence, no forged line, no live link, no mention, no markup.
 */

/* eslint-disable no-control-regex */
/** ANSI escape sequences: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ST`) and two-character escapes. */
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
/** C0 and C1 control characters and DEL (newlines included: one value, one line). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional overrides and isolates, which make text read other than it runs ("trojan source"). */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;
/* eslint-enable no-control-regex */

/** One line of plain text: escape sequences removed, other control characters and line breaks as spaces. */
export function plainLine(text: string): string {
  return text.replace(ANSI, '').replace(BIDI, '').replace(CONTROL, ' ');
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

/** For Security Hub fields, shown as text in the console and passed on to tickets. */
export function forAsff(text: string): string {
  return plainLine(text);
}

/**
 * For Markdown text (and table cells): markup characters are backslash-escaped, HTML is
 * entity-encoded, and a URL never becomes a link.
 */
export function forMarkdown(text: string): string {
  return plainLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/:\/\//g, ':&#47;&#47;')
    .replace(/\bwww\./gi, 'www&#46;');
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
 * characters (`<!channel>`, `<url|text>`); `@here`, `@channel` and `@everyone` never mention;
 * a URL or a domain never turns into a live link (a zero-width space breaks it); bold, strike
 * and code marks lose their meaning (`_` stays: setting names are full of it).
 */
export function forSlack(text: string): string {
  return plainLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(here|channel|everyone)\b/gi, '@\u2060$1')
    .replace(/([*~`])/g, '\u200b$1\u200b')
    .replace(/:\/\//g, ':\u200b//')
    .replace(/([A-Za-z0-9])\.([A-Za-z])/g, '$1.\u200b$2');
}

/** For a Slack code span (a command to copy): one line, no backtick to close it early, `& < >` escaped. */
export function forSlackCode(text: string): string {
  return plainLine(text).replace(/`/g, "'").replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
