import { CLUSTER_PLACEHOLDER, REGION_PLACEHOLDER, type TextRef } from './model.js';

const PLACEHOLDERS = /[\u0001\u0002]/;

/**
 * The page's texts, each kept once: a cluster's name and Region become placeholders, so the same
 * command or sentence on a thousand clusters is one entry. Lossless: a text (or a name) holding a
 * placeholder character is kept verbatim instead. The page puts the Region back first, then the
 * name (client/texts.ts), the inverse of templating the name first.
 */
export class TextTable {
  readonly texts: string[] = [];
  readonly literals: string[] = [];
  private readonly index = new Map<string, number>();

  ref(text: string, cluster?: { name: string; region: string }): TextRef {
    if (PLACEHOLDERS.test(text)) {
      this.literals.push(text);
      return -this.literals.length;
    }
    let template = text;
    if (cluster && !PLACEHOLDERS.test(cluster.name) && !PLACEHOLDERS.test(cluster.region)) {
      if (cluster.name) template = template.split(cluster.name).join(CLUSTER_PLACEHOLDER);
      if (cluster.region) template = template.split(cluster.region).join(REGION_PLACEHOLDER);
    }
    let n = this.index.get(template);
    if (n === undefined) {
      n = this.texts.push(template) - 1;
      this.index.set(template, n);
    }
    return n;
  }
}

/** A TextRef's text for one cluster (the inverse of TextTable.ref). */
export function textOf(ref: TextRef, tables: { texts: readonly string[]; literals: readonly string[] }, cluster: { name: string; region: string }): string {
  if (ref < 0) return tables.literals[-ref - 1] ?? '';
  return (tables.texts[ref] ?? '').split(REGION_PLACEHOLDER).join(cluster.region).split(CLUSTER_PLACEHOLDER).join(cluster.name);
}
