import { describe, expect, it } from 'vitest';
import { buildNotification, jsonStringBytes, notificationBytes, SNS_MAX_BYTES } from '../../../lib/deliver/notify/message.js';
import type { ChatNotification } from '../../../lib/deliver/notify/slack.js';
import { aCoverage, aFinding } from '../fixtures.js';
import { anInput, fleet, REPORT } from './input-fixture.js';

function bodies(message: string): { default: string; https: string } {
  return JSON.parse(message) as { default: string; https: string };
}

describe('message.ts', () => {
  it('publishes the email as default and the chat notification as https, with filterable attributes', () => {
    // Prepare
    const input = anInput([aFinding({ severity: 'critical' }), aFinding({ clusterName: 'new-one' })], [aFinding({ severity: 'critical' }), aFinding({ clusterName: 'gone' })], {
      errors: [{ accountId: '111122223333', stage: 'assume-role', code: 'AccessDenied', message: 'denied' }],
    });

    // Act
    const message = buildNotification(input);

    // Assess
    const parsed = bodies(message.message);
    expect(message.messageStructure).toBe('json');
    expect(parsed.default).toContain('NEW since the last notification (1)');
    expect((JSON.parse(parsed.https) as ChatNotification).source).toBe('custom');
    expect(message.attributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      newFindings: { DataType: 'Number', StringValue: '1' },
      resolvedFindings: { DataType: 'Number', StringValue: '1' },
      hasErrors: { DataType: 'String', StringValue: 'true' },
      eventType: { DataType: 'String', StringValue: 'audit.summary' },
    });
  });

  it("cuts a 5,000-cluster organization's first message under 262,144 bytes, headline and NEW first, with the pointer", () => {
    // Prepare
    const input = anInput(fleet(5000), undefined, { coverage: aCoverage({ clusters: { scanned: 5000, failed: 0, managedAddon: 5000, selfManaged: 0 } }) });

    // Act
    const message = buildNotification(input);

    // Assess
    expect(notificationBytes(message)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    const email = bodies(message.message).default;
    expect(email.startsWith('EKS fleet audit, run run-42')).toBe(true);
    expect(email).toContain('Open findings: 5000');
    expect(email).toContain('NEW since the last notification (5000)');
    expect(email).toMatch(/… and \d+ more, see the full report at s3:\/\/audit-history\/runs\/2026\/01\/31\/run-42\.json/);
    expect(email).toContain('ERRORS (0)');
    // A cut message still uses most of the room: it is cut, not emptied.
    expect(notificationBytes(message)).toBeGreaterThan(SNS_MAX_BYTES * 0.9);
  });

  it('counts escaped characters as JSON does when cutting: quotes, backslashes, emoji and control characters', () => {
    // Prepare: every line needs escapes inside the JSON body, many take more bytes than characters
    const input = anInput(
      fleet(5000).map((f, i) => ({ ...f, title: `"quoted" C:\\path\\${i} 😀 \u0001 ${'é'.repeat(20)}` })),
      undefined,
      { coverage: aCoverage({ clusters: { scanned: 5000, failed: 0, managedAddon: 5000, selfManaged: 0 } }) },
    );

    // Act
    const message = buildNotification(input);

    // Assess
    expect(notificationBytes(message)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    expect(notificationBytes(message)).toBeGreaterThan(SNS_MAX_BYTES * 0.9);
  });

  it('keeps NEW and RESOLVED whole when the still-open list is what overflows', () => {
    // Prepare
    const open = fleet(5000);
    const added = aFinding({ clusterName: 'brand-new', severity: 'medium' });
    const input = anInput([...open, added], [...open, aFinding({ clusterName: 'retired' })]);

    // Act
    const message = buildNotification(input);

    // Assess
    const email = bodies(message.message).default;
    expect(notificationBytes(message)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    expect(email).toContain('brand-new');
    expect(email).toContain('retired');
    expect(email).toContain(`see the full report at ${REPORT}`);
  });

  it('does not cut a message that fits', () => {
    // Prepare
    const input = anInput(fleet(20), undefined);

    // Act
    const email = bodies(buildNotification(input).message).default;

    // Assess
    expect(email).not.toContain('more, see the full report');
    for (const f of input.delta.open) expect(email).toContain(f.clusterName);
  });
});

describe('jsonStringBytes', () => {
  it('counts what JSON.stringify writes, for any text: escapes, multi-byte characters, lone and paired surrogates', () => {
    // Prepare: random texts over the characters JSON treats specially and a few ordinary ones
    const alphabet = ['a', ' ', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '😀', '\ud800', '\udfff', '\udbff\udc00'];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const texts = Array.from({ length: 2_000 }, () => Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));

    // Act
    const mismatches = texts.filter((text) => jsonStringBytes(text) !== Buffer.byteLength(JSON.stringify(text), 'utf8') - 2);

    // Assess
    expect(mismatches.map((t) => JSON.stringify(t))).toEqual([]);
  });
});
