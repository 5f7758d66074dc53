import { describe, expect, it } from 'vitest';
import { runReportSchema } from '../../../lib/deliver/history/schema.js';
import { COVERAGE_NOTE_KINDS, SCAN_STAGES } from '../../../lib/types.js';
import { clusterFacts } from '../../fixtures/cluster.js';
import { aReport } from '../fixtures.js';

describe('schema.ts', () => {
  it('keeps the network policy agent of a self-managed cluster when a report is read back', () => {
    // Prepare
    const agent = { image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.4.0', version: 'v1.4.0' };
    const report = aReport({ clusters: [clusterFacts({ cni: { managed: false, source: 'daemonset', networkPolicyAgent: agent } })] });

    // Act
    const read = runReportSchema.parse(JSON.parse(JSON.stringify(report)));

    // Assess
    expect(read.clusters[0]?.cni.networkPolicyAgent).toEqual(agent);
  });

  it('reads back every coverage note kind and error stage the run writes', () => {
    // Prepare
    const report = aReport({
      coverage: { ...aReport().coverage, notes: COVERAGE_NOTE_KINDS.map((kind) => ({ accountId: '111122223333', kind, message: kind })) },
      errors: SCAN_STAGES.map((stage) => ({ accountId: '111122223333', stage, code: 'X', message: stage })),
    });

    // Act
    const read = runReportSchema.safeParse(JSON.parse(JSON.stringify(report)));

    // Assess
    expect(read.success).toBe(true);
    expect(read.data?.coverage.notes.map((n) => n.kind)).toEqual([...COVERAGE_NOTE_KINDS]);
    expect(read.data?.errors.map((e) => e.stage)).toEqual([...SCAN_STAGES]);
  });

  it('keeps a report with a note kind or stage it does not know, rather than dropping the whole baseline', () => {
    // Prepare: written by a newer (or older) tool
    const report = aReport({ errors: [{ accountId: '111122223333', stage: 'deliver-s3-page' as never, code: 'X', message: 'newer' }] });
    const raw = JSON.parse(JSON.stringify(report)) as { coverage: { notes: unknown[] } };
    raw.coverage.notes.push({ accountId: '111122223333', kind: 'quota-exceeded', message: 'newer' });

    // Act
    const read = runReportSchema.safeParse(raw);

    // Assess
    expect(read.success).toBe(true);
    expect(read.data?.errors[0]?.stage).toBe('deliver-s3-page');
    expect(read.data?.coverage.notes[0]?.kind).toBe('quota-exceeded');
  });
});
