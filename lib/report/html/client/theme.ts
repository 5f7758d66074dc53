import type { Severity } from '../../../types.js';

/**
 * Severity colours: the same in the charts, the heatmap and the table. Each passes WCAG AA
 * contrast (4.5:1) against white text, medium with dark text; the page never tells severity by
 * colour alone (every cell and chip also says it in words).
 */
export const SEVERITY_COLOR: Record<Severity, string> = {
  critical: '#991b1b',
  high: '#c2410c',
  medium: '#fbbf24',
  low: '#1d4ed8',
  informational: '#4b5563',
};

export const SEVERITY_TEXT: Record<Severity, string> = {
  critical: '#ffffff',
  high: '#ffffff',
  medium: '#111827',
  low: '#ffffff',
  informational: '#ffffff',
};

export const INSTALL_COLOR = { managed: '#0f766e', 'self-managed': '#a16207' } as const;
