/**
 * Fitting a message into a size limit by cutting its longest lists, never rejecting it.
 */

export interface Section {
  /** Lines always shown: the heading and counts. */
  head: string[];
  /** The entries, worst first, each one or more lines; cut from the end when space runs out. */
  items: string[];
  /** 0 is never cut; tier 1 is served before tier 2, and so on. */
  tier: number;
}

export interface Fitting {
  /** The size of a piece of text as the limit counts it (bytes, characters ...): additive, the size of `a + b` is that of `a` plus that of `b`. */
  cost: (text: string) => number;
  /** The line that replaces `n` cut entries. */
  more: (n: number) => string;
}

/** Sections joined by a blank line, each made of lines. */
export function joinSections(sections: string[][]): string {
  return sections
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\n'))
    .join('\n\n');
}

/**
 * Keeps every head, then shares what is left of `budget` tier by tier. Within a tier the shares
 * are even and what a short section does not use goes to the others, so the longest sections are
 * the ones cut. Returns each section's lines, in the order given.
 */
export function fitSections(sections: Section[], budget: number, fitting: Fitting): string[][] {
  // A line weighs its text and its line break: the text is weighed as it is (a cost cached by the
  // text holds across passes), never copied with its break appended.
  const newline = fitting.cost('\n');
  const line = (text: string) => fitting.cost(text) + newline;
  const total = (texts: string[]) => texts.reduce((sum, t) => sum + line(t), 0);

  const kept: string[][] = sections.map((s) => [...s.head]);
  // Each item weighed once: an item is a whole plan, and weighing means serialising it.
  const costs = sections.map((s) => s.items.map(line));
  let remaining = budget - sections.reduce((sum, s) => sum + total(s.head) + line(''), 0);
  const tiers = [...new Set(sections.map((s) => s.tier))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const members = sections
      .map((section, index) => ({ section, index }))
      .filter((m) => m.section.tier === tier)
      .map((m) => ({ ...m, full: (costs[m.index] ?? []).reduce((sum, c) => sum + c, 0) }))
      .sort((a, b) => a.full - b.full);
    members.forEach((member, i) => {
      const { section, index, full } = member;
      const lines = kept[index] ?? [];
      if (tier === 0 || full <= remaining / (members.length - i)) {
        lines.push(...section.items);
        remaining -= full;
        return;
      }
      const share = remaining / (members.length - i);
      // The marker line's size is reserved first: it is always there when something is cut.
      let used = line(fitting.more(section.items.length));
      let count = 0;
      for (const cost of costs[index] ?? []) {
        if (used + cost > share) break;
        used += cost;
        count += 1;
      }
      lines.push(...section.items.slice(0, count), fitting.more(section.items.length - count));
      remaining -= used;
    });
  }
  return kept;
}
