import { styleText } from 'node:util';
import type { Finding, Severity } from '../types.js';

type Style = Parameters<typeof styleText>[0];
const SEVERITY_STYLE: Record<Severity, Style> = {
  critical: ['bold', 'red'],
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  informational: 'gray',
};

/** Colour only on a terminal; files and pipes get plain text. */
export function painter(enabled: boolean) {
  return (style: Style, text: string) => (enabled ? styleText(style, text) : text);
}

export function formatSeverity(severity: Severity, paint: ReturnType<typeof painter>): string {
  return paint(SEVERITY_STYLE[severity], severity.toUpperCase().padEnd(13));
}

/** One finding as a person reads it in a terminal: severity, title, why, the fix and its commands. */
export function formatFinding(finding: Finding, paint: ReturnType<typeof painter>, indent = ''): string {
  const label = formatSeverity(finding.severity, paint);
  const lines = [
    `${indent}${label} ${paint('bold', finding.title)}  ${paint('gray', `[${finding.ruleId}]`)}`,
    `${indent}  Why: ${finding.why}`,
    `${indent}  Fix: ${finding.remediation.text}`,
    ...finding.remediation.commands.map((c) => `${indent}    ${c.startsWith('#') ? paint('gray', c) : `$ ${c}`}`),
  ];
  if (finding.remediation.url) lines.push(`${indent}  See: ${finding.remediation.url}`);
  return lines.join('\n');
}
