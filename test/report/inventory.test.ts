import { describe, expect, it } from 'vitest';
import { inventoryMarkdown, inventoryRows, inventoryText } from '../../lib/report/inventory.js';
import { aFinding } from '../deliver/fixtures.js';
import { clusterFacts } from '../fixtures/cluster.js';

const arn = (name: string) => `arn:aws:eks:us-east-1:222222222222:cluster/${name}`;

/** Four clusters, one of each way vpc-cni can be found; findings on one of them. */
const report = {
  clusters: [
    clusterFacts({ clusterName: 'payments', clusterArn: arn('payments'), cni: { version: 'v1.18.0-eksbuild.1' } }),
    clusterFacts({ clusterName: 'legacy', clusterArn: arn('legacy'), kubernetesVersion: '1.21', cni: { managed: false, source: 'daemonset', version: 'v1.7.5' } }),
    clusterFacts({ clusterName: 'unread', clusterArn: arn('unread'), cni: { managed: false, source: 'none', version: null } }),
    clusterFacts({ clusterName: 'cilium', clusterArn: arn('cilium'), cni: { managed: false, source: 'absent', version: null } }),
  ],
  findings: [aFinding({ clusterArn: arn('legacy') }), aFinding({ clusterArn: arn('legacy'), ruleId: 'vpc-cni-self-managed' })],
};

describe('inventory', () => {
  it('lists every cluster with its Kubernetes and vpc-cni versions, how vpc-cni is installed, and its findings', () => {
    // Act
    const rows = inventoryRows(report);

    // Assess
    expect(rows.map((r) => [r.clusterName, r.kubernetesVersion, r.cniVersion, r.install, r.findings])).toEqual([
      ['payments', '1.29', 'v1.18.0-eksbuild.1', 'managed add-on', 0],
      ['legacy', '1.21', 'v1.7.5', 'self-managed', 2],
      ['unread', '1.29', 'unknown', 'self-managed, not read', 0],
      ['cilium', '1.29', 'unknown', 'not installed (another CNI)', 0],
    ]);
  });

  it('prints a terminal section grouped by account and a Markdown table', () => {
    // Act
    const text = inventoryText(report);
    const markdown = inventoryMarkdown(report);

    // Assess
    expect(text.slice(0, 4)).toEqual([
      '',
      'Fleet inventory (4 clusters)',
      '  payments-prod (222222222222)',
      '    us-east-1      payments  Kubernetes 1.29   vpc-cni v1.18.0-eksbuild.1 (managed add-on), no finding',
    ]);
    expect(text[4]).toBe('    us-east-1      legacy    Kubernetes 1.21   vpc-cni v1.7.5 (self-managed), 2 findings');
    expect(markdown).toContain('| payments-prod (222222222222) | us-east-1 | legacy | 1.21 | v1.7.5 | self-managed | 2 |');
  });

  it('adds nothing when no cluster was scanned, and keeps a hostile account name inside its Markdown cell', () => {
    // Act
    const empty = inventoryText({ clusters: [], findings: [] });
    const hostile = inventoryMarkdown({ clusters: [clusterFacts({ accountName: 'a | b\n# heading' })], findings: [] });

    // Assess
    expect(empty).toEqual([]);
    expect(hostile.at(-1)).toMatch(/^\| a \\\| b\\\\n# heading \(222222222222\) \|/);
  });
});
