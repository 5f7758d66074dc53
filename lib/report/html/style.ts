import { SEVERITIES } from '../../types.js';
import { SEVERITY_COLOR, SEVERITY_TEXT } from './client/theme.js';

const severityClasses = SEVERITIES.map((s) => `.sev-${s}{background:${SEVERITY_COLOR[s]};color:${SEVERITY_TEXT[s]}}`).join('\n');

/** The page's one stylesheet, inline: system fonts, no web font, no image. */
export const PAGE_CSS = `
:root{color-scheme:light;--ink:#111827;--muted:#4b5563;--line:#d1d5db;--soft:#f3f4f6;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1220px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:36px 0 8px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:15px;margin:16px 0 6px}
a{color:var(--accent)}
code,pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{margin:0;white-space:pre-wrap;word-break:break-all}
.run,.muted,.metric-note,.lead{color:var(--muted)}
.warning{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;border-radius:6px}
.metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:16px 0 8px}
.metric{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--soft)}
.metric dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.metric dd{margin:2px 0 0}
.metric-value{font-size:28px;font-weight:650;display:block}
.metric-note{font-size:12px}
.severities{list-style:none;display:flex;flex-wrap:wrap;gap:10px;padding:0;margin:8px 0}
.severities li{display:flex;align-items:center;gap:6px;font-weight:600}
.chip{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
${severityClasses}
.badge{display:inline-block;margin-left:6px;padding:0 6px;border-radius:4px;background:#dcfce7;color:#14532d;font-size:11px;font-weight:700}
.badge.muted{background:var(--soft);color:var(--muted);font-weight:500}
.toc{display:flex;gap:16px;flex-wrap:wrap;margin:16px 0 0;padding:8px 0;border-top:1px solid var(--line)}
.chart{margin:8px 0;overflow-x:auto}
.chart svg{display:block;max-width:none}
.chart figure{margin:0}
table{border-collapse:collapse;margin:8px 0}
caption{text-align:left;color:var(--muted);padding:4px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600}
.scroll-x{overflow-x:auto}
.heatmap td{padding:2px;text-align:center}
.heatmap th.rule-head{vertical-align:bottom;height:150px;padding:4px 2px}
.heatmap th.rule-head span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-size:12px;font-weight:500}
.heatmap .ou-row th{background:#e5e7eb;font-size:12px}
button.heat{min-width:34px;border:0;border-radius:4px;padding:4px 6px;font-weight:700;cursor:pointer}
button.heat:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible{outline:3px solid #2563eb;outline-offset:1px}
.heat-panel{border:1px solid var(--line);border-radius:8px;padding:8px 14px;margin:8px 0;background:var(--soft)}
.heat-clusters{columns:2 320px;margin:6px 0}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin:8px 0}
.filter{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
.filter select,.filter input{font:inherit;color:var(--ink);padding:4px 6px;border:1px solid var(--line);border-radius:4px;max-width:220px}
.clusters th[data-sort] button{all:unset;cursor:pointer;font-weight:600}
.clusters th[aria-sort=ascending] button::after{content:" \\2191"}
.clusters th[aria-sort=descending] button::after{content:" \\2193"}
.clusters tr.detail td{background:#fafafa}
.findings{list-style:none;padding:0;margin:4px 0}
.findings li{margin:6px 0}
.steps{list-style:none;padding-left:0}
.steps li{margin:8px 0}
.command{display:flex;gap:8px;align-items:flex-start;background:#0f172a;color:#e2e8f0;border-radius:6px;padding:8px 10px}
.command pre{flex:1}
button{font:inherit;padding:3px 10px;border:1px solid var(--line);border-radius:4px;background:#fff;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
button.copy{flex:none}
.pager{display:flex;gap:8px;align-items:center;margin:8px 0}
.as-table summary{cursor:pointer;color:var(--accent)}
.offscreen{position:absolute;left:-9999px}
.print-only{display:none}
/* Names from outside (accounts, clusters, OUs, rules, run ids) can be any length: they wrap, never widen the page. */
.name,.name code,.heat-clusters code,.problems td,.references li{overflow-wrap:anywhere}
.heatmap th.account{max-width:22em}
.heatmap th.rule-head span{display:inline-block;max-height:300px;overflow:hidden;text-overflow:ellipsis}
.badge.expired{background:#fee2e2;color:#7f1d1d}
.fix{margin-top:2px}
.references{margin:2px 0 0;padding-left:18px;font-size:12.5px}
@media print{
  main{padding:0;max-width:none}
  .toc,.filters,.pager,button.copy,.as-table summary,.hint,.interactive,.heat-panel:has(>.hint:only-child){display:none}
  .print-only{display:block}
  /* Charts are drawn for the screen's width: on paper they scale to the page by their viewBox. */
  .chart,.scroll-x{overflow:visible}
  .chart svg{max-width:100% !important;height:auto !important}
  h2{break-before:auto;break-after:avoid}
  .metric,.command{background:none;color:var(--ink);border:1px solid var(--line)}
  .chart,table{break-inside:avoid}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;
