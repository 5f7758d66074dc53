import { describe, expect, it } from 'vitest';
import { forAsff, forCommand, forEmail, forMarkdown, forSlack, forSlackCode, forTerminal, markdownCode, markdownFence, plainLine } from '../lib/escape.js';

const ANSI_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror\u001b[31m/amazon-k8s-cni\u001b]8;;https://attacker.example\u0007link\u001b]8;;\u0007:v1.15.1\r\n$ rm -rf /';
const ACCOUNT = 'Evil [click](https://attacker.example/x) @here <!channel> <b>bold</b> *loud* `tick`';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('escape.ts', () => {
  it('changes, of every character of the Basic Multilingual Plane, exactly the control, line-break and bidirectional ones', () => {
    // Prepare: what no value may carry into a line of text
    const bidi = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);
    const dangerous = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || bidi.has(c);

    // Act
    const wrong: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue; // half a surrogate pair is not a character
      const text = `a${String.fromCharCode(c)}b`;
      if ((plainLine(text) !== text) !== dangerous(c)) wrong.push(c.toString(16));
    }

    // Assess
    expect(wrong).toEqual([]);
  });

  it.each([
    ['terminal', forTerminal],
    ['email', forEmail],
    ['asff', forAsff],
    ['command', forCommand],
  ])('%s: strips escape sequences and keeps one value on one line', (_, escape) => {
    // Act
    const out = escape(ANSI_IMAGE);

    // Assess
    expect(out).not.toMatch(CONTROL);
    expect(out).not.toContain(']8;;');
    expect(out).toContain('/amazon-k8s-cni');
    expect(out).toContain(':v1.15.1\\n$ rm -rf /'); // the forged line is part of the one line, its break shown
  });

  it('removes bidirectional overrides that make text read other than it runs', () => {
    expect(forTerminal('prod\u202Eevil\u2066x')).toBe('prodevilx');
  });

  it.each([
    ['terminal', forTerminal],
    ['markdown', forMarkdown],
    ['markdown code', markdownCode],
    ['slack', forSlack],
  ])('%s: removes the Arabic letter mark (U+061C), a bidirectional control too', (_, escape) => {
    // Act: an account name as a member account's admin may set it
    const out = escape('prod\u061cevil');

    // Assess
    expect(out).not.toContain('\u061c');
    expect(out).toContain('prodevil');
  });

  it('markdown: no link, no HTML, no table break, no code break', () => {
    // Act
    const out = forMarkdown(`${ACCOUNT} | cell`);

    // Assess
    expect(out).toBe('Evil \\[click\\](https:&#47;&#47;attacker.example/x) @\u200bhere &lt;!channel&gt; &lt;b&gt;bold&lt;/b&gt; \\*loud\\* \\`tick\\` \\| cell');
    expect(markdownCode('a `b` c')).toBe('``a `b` c``');
    expect(markdownFence(['echo ```', 'x'])).toBe('````');
  });

  it('slack: Slack control characters, mentions, links and marks defused', () => {
    // Act
    const out = forSlack(ACCOUNT);

    // Assess
    expect(out).not.toMatch(/<|>|@here\b|https:\/\/attacker/);
    expect(out).toContain('&lt;!channel&gt;');
    expect(out).toContain('@\u2060here');
    expect(forSlack('see www.example.com')).not.toContain('www.example.com');
    expect(forSlackCode('kubectl get x > out.yaml `id`')).toBe("kubectl get x &gt; out.yaml 'id'");
  });

  it.each([
    ['asff', forAsff],
    ['terminal', forTerminal],
    ['command', forCommand],
  ])('%s: no C0 or C1 control, no Unicode line or paragraph separator, no bidi override reaches the output', (_, escape) => {
    // Act: a cluster tag or configuration value with NEL, LS, PS, a C1 CSI, a bell, RLO and LRI
    const out = escape('prod\u0085ALL CLEAR\u2028x\u2029y\u009b31m\u0007\u202eevil\u2066z');

    // Assess
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(out).toBe('prod\\nALL CLEAR\\nx\\ny evilz');
  });

  it('slack and markdown: no mention from an outside value reaches anyone', () => {
    // Prepare: what a cluster name, a tag or an account name may hold
    const value = '@here @channel @everyone <!everyone> <!subteam^S0123|ops> <@U012AB3CD> @alice';

    // Act
    const slack = forSlack(value);
    const markdown = forMarkdown(value);

    // Assess
    expect(slack).not.toMatch(/<[!@]|@[A-Za-z0-9]/);
    expect(markdown).not.toMatch(/<[!@]|@[A-Za-z0-9]/);
    expect(slack).toContain('&lt;!everyone&gt;');
  });

  it('email: a URL in a value is not linked, a command keeps its URL whole', () => {
    expect(forEmail('https://attacker.example')).toBe('https:\u200b//attacker.example');
    expect(forCommand('curl -fsSL -o f https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/v1.18.0/config/master/aws-k8s-cni.yaml')).toContain('https://raw.githubusercontent.com/');
  });
});
