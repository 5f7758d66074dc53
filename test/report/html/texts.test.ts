import { describe, expect, it } from 'vitest';
import { textOf, TextTable } from '../../../lib/report/html/texts.js';

describe('texts.ts', () => {
  it('gives back every text exactly, whatever the name, Region and text hold', () => {
    // Prepare
    const cases: [string, { name: string; region: string }][] = [
      ['aws eks update-kubeconfig --name app-us-east-1 --region us-east-1', { name: 'app-us-east-1', region: 'us-east-1' }],
      ['--name a --region eu-west-1', { name: 'a', region: 'eu-west-1' }],
      ['holds \u0001 and \u0002 itself', { name: 'x', region: 'eu-west-1' }],
      ['name with \u0002', { name: 'n\u0002', region: 'eu-west-1' }],
      ['empty name', { name: '', region: '' }],
      ['$& $1 $$ are not patterns', { name: '$&', region: '$1' }],
    ];
    const table = new TextTable();

    // Act
    const refs = cases.map(([text, cluster]) => table.ref(text, cluster));

    // Assess
    cases.forEach(([text, cluster], i) => expect(textOf(refs[i]!, table, cluster)).toBe(text));
  });

  it('keeps one entry for the same command on two clusters', () => {
    // Prepare
    const table = new TextTable();

    // Act
    const a = table.ref('aws eks update-addon --cluster-name a1 --region us-east-1', { name: 'a1', region: 'us-east-1' });
    const b = table.ref('aws eks update-addon --cluster-name b7 --region eu-west-1', { name: 'b7', region: 'eu-west-1' });

    // Assess
    expect(a).toBe(b);
    expect(table.texts).toHaveLength(1);
  });
});
