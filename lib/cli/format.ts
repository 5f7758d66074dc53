import { styleText } from 'node:util';
import { forTerminal } from '../escape.js';
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

/**
 * One finding as a person reads it in a terminal: severity, title, why and the fix; its commands
 * too unless they are printed once in the cluster's plan (`inPlan`).
 */
export function formatFinding(finding: Finding, paint: ReturnType<typeof painter>, indent = '', inPlan = false): string {
  const t = forTerminal;
  const label = formatSeverity(finding.severity, paint);
  const lines = [
    `${indent}${label} ${paint('bold', t(finding.title))}  ${paint('gray', `[${t(finding.ruleId)}]`)}`,
    `${indent}  Why: ${t(finding.why)}`,
    `${indent}  Fix: ${t(finding.remediation.text)}`,
    ...(inPlan ? [] : finding.remediation.commands.map((c) => `${indent}    ${c.startsWith('#') ? paint('gray', t(c)) : `$ ${t(c)}`}`)),
  ];
  if (finding.remediation.url) lines.push(`${indent}  See: ${t(finding.remediation.url)}`);
  return lines.join('\n');
}
