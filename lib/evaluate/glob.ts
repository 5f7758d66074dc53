import { RE2JS } from 're2js';

/**
 * Globs of rule `matches` conditions and suppressions, matched in time linear in the value.
 *
 * picomatch turns `*` into a backtracking JavaScript regex: `*a*a*a*a*a*a*b` against a 100-character
 * name took 22 s. Here a glob is translated once into RE2 syntax and matched by RE2JS (the
 * JavaScript port of RE2, an automaton without backtracking), so no pattern costs more than a pass
 * over the value. The syntax is picomatch's core, which is what rules and suppressions use:
 *
 * - `*` any run of characters but `/`; `**` any run, `/` included; `?` one character but `/`
 * - `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`: one character of (or not of) the class
 * - `{prod,staging}`: one of the alternatives (they may hold wildcards and nest)
 * - `\x`: the character x itself
 *
 * Refused with a GlobError: extglobs and regex syntax (`(`, `)`, `|`), a leading `!` (negation: a
 * suppression silences what it matches), unbalanced brackets or braces, a brace without a comma
 * (`{1..3}` ranges are not supported), patterns over MAX_GLOB_LENGTH characters.
 */
export class GlobError extends Error {
  override readonly name = 'GlobError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Longer than any rule id, account, OU, Region, cluster name or image a glob is matched against. */
export const MAX_GLOB_LENGTH = 256;

const REGEX_SPECIAL = /[\\^$.|?*+()[\]{}]/;
const literal = (c: string) => (REGEX_SPECIAL.test(c) ? `\\${c}` : c);

/** `[...]` from `start` (at the `[`): its RE2 class and the index after the `]`. */
function translateClass(glob: string, start: number): [string, number] {
  let i = start + 1;
  const negated = glob[i] === '!' || glob[i] === '^';
  if (negated) i++;
  let body = '';
  for (; i < glob.length && (glob[i] !== ']' || body === ''); i++) {
    const c = glob[i]!;
    if (c === '[') throw new GlobError(`"[" inside a [...] class at ${i + 1} (character classes like [[:alpha:]] are not supported)`);
    if (c === '\\') {
      const next = glob[++i];
      if (next === undefined) break;
      body += `\\${next}`;
    } else body += c === '-' ? '-' : literal(c);
  }
  if (i >= glob.length) throw new GlobError(`unclosed "[" at ${start + 1}`);
  return [`[${negated ? '^' : ''}${body}]`, i + 1];
}

/** The glob as an RE2 pattern matching the whole value; throws GlobError. */
export function globToRe2(glob: string): string {
  if (glob.length === 0) throw new GlobError('empty pattern');
  if (glob.length > MAX_GLOB_LENGTH) throw new GlobError(`longer than ${MAX_GLOB_LENGTH} characters`);
  if (glob.startsWith('!')) throw new GlobError('a leading "!" (negation) is not supported: write what the pattern should match');
  let out = '';
  const braces: { at: number; alternatives: number }[] = [];
  for (let i = 0; i < glob.length; ) {
    const c = glob[i]!;
    if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new GlobError('ends with a lone "\\"');
      out += literal(next);
      i += 2;
    } else if (c === '*') {
      let end = i;
      while (glob[end] === '*') end++;
      out += end - i > 1 ? '.*' : '[^/]*';
      i = end;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '[') {
      const [cls, next] = translateClass(glob, i);
      out += cls;
      i = next;
    } else if (c === '{') {
      braces.push({ at: i, alternatives: 1 });
      out += '(?:';
      i++;
    } else if (c === ',' && braces.length > 0) {
      braces.at(-1)!.alternatives++;
      out += '|';
      i++;
    } else if (c === '}') {
      const brace = braces.pop();
      if (!brace) throw new GlobError(`"}" at ${i + 1} closes no "{"`);
      if (brace.alternatives < 2) throw new GlobError(`"{" at ${brace.at + 1} has no comma: write {a,b} (ranges like {1..3} are not supported)`);
      out += ')';
      i++;
    } else if (c === '(' || c === ')' || c === '|') {
      throw new GlobError(`"${c}" at ${i + 1}: extglobs and regex syntax are not supported (escape it as \\${c} to match it)`);
    } else {
      out += literal(c);
      i++;
    }
  }
  if (braces.length > 0) throw new GlobError(`unclosed "{" at ${braces.at(-1)!.at + 1}`);
  return out;
}

/** Compiles a glob once; the matcher tests whole values. Throws GlobError for a pattern it refuses. */
export function compileGlob(glob: string): (value: string) => boolean {
  const source = globToRe2(glob);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, RE2JS.DOTALL);
  } catch (error) {
    throw new GlobError(`not a valid glob: ${(error as Error).message}`, { cause: error });
  }
  return (value) => re.matches(value);
}

/** Why the glob is refused, or undefined when it compiles (for schema refinements). */
export function globProblem(glob: string): string | undefined {
  try {
    compileGlob(glob);
    return undefined;
  } catch (error) {
    if (error instanceof GlobError) return error.message;
    throw error;
  }
}
