import { describe, expect, it } from 'vitest';
import type { StoredRunReport } from '../../../lib/deliver/history/delta.js';
import { parseReport, scanReport } from '../../../lib/deliver/history/read-report.js';
import { runReportSchema } from '../../../lib/deliver/history/schema.js';
import type { HistoryError } from '../../../lib/deliver/history/store.js';
import { aFinding, aReport } from '../fixtures.js';

const LOCATION = 's3://audit-history/runs/2026/01/31/run-2026-01-31T02-00-00Z.json';
const read = (value: unknown, members?: readonly (keyof StoredRunReport)[]) => parseReport(scanReport(Buffer.from(JSON.stringify(value)), LOCATION), LOCATION, members);

function thrown(act: () => unknown): HistoryError {
  try {
    act();
  } catch (error) {
    return error as HistoryError;
  }
  throw new Error('expected an error');
}

describe('read-report.ts', () => {
  it('reads a whole report as the schema reads it: unknown members dropped, defaults filled', () => {
    // Prepare: carried by the first release without a reason; a member a newer tool added
    const report = { ...aReport({ findings: [aFinding({ id: 'a' })] }), carriedOver: [aFinding({ id: 'old' })], addedLater: { x: 1 } };

    // Act
    const whole = read(report);

    // Assess
    expect(whole).toEqual(runReportSchema.parse(report));
    expect(whole).not.toHaveProperty('addedLater');
    expect((whole as StoredRunReport).carriedOver?.[0]?.carriedBecause).toBe('not re-checked');
  });

  it('reads only the members asked for, with the run id and dates', () => {
    // Prepare
    const report = { ...aReport({ findings: [aFinding({ id: 'a' })] }), newIds: ['a'] };

    // Act
    const part = read(report, ['findings']);

    // Assess
    expect(Object.keys(part).sort()).toEqual(['findings', 'finishedAt', 'runId', 'schemaVersion', 'startedAt', 'tool']);
    expect(part.findings.map((f) => f.id)).toEqual(['a']);
  });

  it('keeps, of every list of findings, only those `where` keeps, still validating each one', () => {
    // Prepare: an account that left, and one still audited; an invalid finding of the one still audited
    const left = (id: string) => aFinding({ id, accountId: '222222222222' });
    const report = {
      ...aReport({ findings: [aFinding({ id: 'stays' }), left('a')] }),
      carriedOver: [left('b'), aFinding({ id: 'carried' })],
      archivePending: [left('c')],
      suppressed: [{ finding: aFinding({ id: 'kept-whole' }), reason: 'accepted risk', expires: '2027-01-31' }],
    };
    const broken = { ...report, findings: [...report.findings, { ...aFinding({ id: 'broken' }), severity: 'dire' }] };
    const where = (finding: { accountId: string }) => finding.accountId === '222222222222';

    // Act
    const part = parseReport(scanReport(Buffer.from(JSON.stringify(report)), LOCATION), LOCATION, undefined, { where });
    const error = thrown(() => parseReport(scanReport(Buffer.from(JSON.stringify(broken)), LOCATION), LOCATION, ['findings'], { where }));

    // Assess
    expect(part.findings.map((f) => f.id)).toEqual(['a']);
    expect(part.carriedOver?.map((f) => f.id)).toEqual(['b']);
    expect(part.archivePending?.map((f) => f.id)).toEqual(['c']);
    expect(part.suppressed).toHaveLength(1);
    expect(error.message).toContain('findings.2.severity');
  });

  it('does not refuse a report for a member it was not asked to read, and refuses it when asked', () => {
    // Prepare: a cluster written by hand, broken
    const report = { ...aReport(), clusters: [{ clusterName: 7 }] };

    // Act
    const part = read(report, ['findings', 'errors']);
    const error = thrown(() => read(report));

    // Assess
    expect(part.errors).toEqual([]);
    expect(error.code).toBe('CorruptReport');
    expect(error.message).toContain(`${LOCATION} is not a valid run report: clusters.0.`);
  });

  it('names the element and field of an invalid finding', () => {
    // Prepare
    const report = aReport({ findings: [aFinding({ id: 'a' }), { ...aFinding({ id: 'b' }), severity: 'URGENT' as never }] });

    // Act
    const error = thrown(() => read(report, ['findings']));

    // Assess
    expect(error.code).toBe('CorruptReport');
    expect(error.message).toMatch(/findings\.1\.severity: /);
  });

  it('refuses a report of another schemaVersion, or with none', () => {
    // Act
    const errors = [thrown(() => read({ ...aReport(), schemaVersion: 2 }, ['findings'])), thrown(() => read({ runId: 'x' }))];

    // Assess
    expect(errors.map((e) => e.code)).toEqual(['UnsupportedSchemaVersion', 'UnsupportedSchemaVersion']);
    expect(errors[0]?.message).toBe(`${LOCATION}: schemaVersion 2 is not 1`);
  });

  it('refuses an element that is not JSON though its brackets balance', () => {
    // Prepare
    const bytes = Buffer.from(JSON.stringify(aReport()).replace('"findings":[', '"findings":[{id:1},'));

    // Act
    const error = thrown(() => parseReport(scanReport(bytes, LOCATION), LOCATION, ['findings']));

    // Assess
    expect(error.code).toBe('CorruptReport');
    expect(error.message).toContain(`${LOCATION} is not JSON`);
  });
});
