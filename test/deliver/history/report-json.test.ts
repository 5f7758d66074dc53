import { describe, expect, it } from 'vitest';
import { arrayElements, jsonBody, objectMembers, ReportJsonError, utf8 } from '../../../lib/deliver/history/report-json.js';

const jsonBytes = (value: Record<string, unknown>) => Buffer.concat([...jsonBody(value).chunks()]);
import { loadRules } from '../../../lib/rules/load.js';
import { hostileReport } from '../../report/hostile.js';
import { largeFleetReport } from '../../report/large-fleet.js';

const bytesOf = (text: string) => Buffer.from(text, 'utf8');

describe('report-json.ts', () => {
  it('writes a generated fleet report byte for byte as JSON.stringify with a newline, as report.json always was', async () => {
    // Prepare: findings with plans' commands, clusters, accounts, non-ASCII text (→, …)
    const report = largeFleetReport(200, await loadRules());

    // Act
    const bytes = jsonBytes(report as unknown as Record<string, unknown>);

    // Assess
    expect(bytes.equals(Buffer.from(`${JSON.stringify(report)}\n`, 'utf8'))).toBe(true);
  });

  it('writes hostile text, members JSON leaves out and array elements it writes null exactly as JSON.stringify does', () => {
    // Prepare
    const report = { ...hostileReport(), gone: undefined, fn: () => 1, list: [1, undefined, 'x\u2028"y"'], empty: [], nested: { a: [{ b: '\u0000' }] }, emoji: '🛑 – ✓' } as Record<string, unknown>;

    // Act
    const text = jsonBytes(report).toString('utf8');

    // Assess
    expect(text).toBe(`${JSON.stringify(report)}\n`);
  });

  it('makes the same bytes as a stream of chunks, a multi-byte character split where a chunk ends, as often as asked', () => {
    // Prepare: text of 1-, 2-, 3- and 4-byte characters, pieces longer than a chunk
    const report = { ...hostileReport(), long: 'é→🛑x'.repeat(50), list: ['a', 'ü'.repeat(40), { b: '…' }] } as Record<string, unknown>;
    const expected = Buffer.from(`${JSON.stringify(report)}\n`, 'utf8');

    for (const size of [7, 64, 1 << 20]) {
      // Act
      const body = jsonBody(report, size);
      const first = [...body.chunks()];
      const again = Buffer.concat([...body.chunks()]);

      // Assess
      expect(body.length).toBe(expected.length);
      expect(Buffer.concat(first).equals(expected)).toBe(true);
      expect(first.slice(0, -1).every((chunk) => chunk.length === size)).toBe(true);
      expect(again.equals(expected)).toBe(true);
    }
  });

  it('finds each top-level member and array element of pretty-printed JSON as JSON.parse reads them', () => {
    // Prepare: brackets and escaped quotes inside strings, multi-byte text, a member written twice
    const value = { a: ['x]"}', { b: '\\"[' }, 3, null, true], c: 'é→', d: { e: [[], {}] }, f: -1.5e3 };
    const text = `${JSON.stringify(value, null, 2).replace(/\}$/, ', "c": "second"\n}')}\n`;
    const bytes = bytesOf(text);

    // Act
    const members = objectMembers(bytes);
    const a = members.find((m) => m.name === 'a')!;
    const elements = [...arrayElements(bytes, a.start, a.end)].map(([s, e]) => JSON.parse(utf8(bytes, s, e)) as unknown);

    // Assess
    expect(members.map((m) => m.name)).toEqual(['a', 'c', 'd', 'f', 'c']);
    expect(Object.fromEntries(members.map((m) => [m.name, JSON.parse(utf8(bytes, m.start, m.end)) as unknown]))).toEqual(JSON.parse(text));
    expect(elements).toEqual(value.a);
  });

  it.each([
    ['cut short', '{"findings":[{"id":"a"},{"id":'],
    ['cut inside a string', '{"runId":"run-1'],
    ['not an object', '[{"runId":"run-1"}]'],
    ['an error page', '<?xml version="1.0"?><Error><Code>InternalError</Code></Error>'],
    ['text after the object', '{"runId":"run-1"} {"runId":"run-2"}'],
    ['unbalanced brackets', '{"findings":[{"id":"a"]}'],
    ['empty', ''],
  ])('refuses bytes that are not one JSON object: %s', (_, text) => {
    // Act
    const act = () => objectMembers(bytesOf(text));

    // Assess
    expect(act).toThrow(ReportJsonError);
  });
});
