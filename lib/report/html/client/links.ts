import { el } from './dom.js';
import { safeHref } from './labels.js';

/**
 * A rule's references as a list: each https:// URL a link (opened in a new tab, no referrer),
 * anything else as text, so no reference can run script or reach a non-https address.
 */
export function referenceList(references: readonly string[]): HTMLElement | null {
  if (references.length === 0) return null;
  return el(
    'ul',
    { class: 'references', 'aria-label': 'References' },
    ...references.map((reference) => {
      const href = safeHref(reference);
      return el('li', {}, href === null ? el('span', { class: 'reference-text' }, reference) : el('a', { href, rel: 'noopener noreferrer', target: '_blank' }, reference));
    }),
  );
}
