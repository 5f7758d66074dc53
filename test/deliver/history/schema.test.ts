import { describe, expect, it } from 'vitest';
import { runReportSchema } from '../../../lib/deliver/history/schema.js';
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
});
