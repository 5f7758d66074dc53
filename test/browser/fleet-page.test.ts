import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Rule } from '../../lib/evaluate/rule.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRunReport } from '../../lib/deliver/history/delta.js';
import { fleetPage } from '../../lib/report/html/index.js';
import { PAGE_SIZE } from '../../lib/report/html/model.js';
import { loadRules } from '../../lib/rules/load.js';
import { SEVERITIES } from '../../lib/types.js';
import { breakTestReport, EXPIRED_ON, LONG, REFERENCES } from '../report/break-test.js';
import { largeFleetReport } from '../report/large-fleet.js';
import { hostileReport, HOSTILE } from '../report/hostile.js';

/**
 * The fleet page as a person sees it: the demo's three nights rendered in headless Chromium
 * (Debian's package, driven by playwright-core), every number read back from the DOM, every
 * request the page makes intercepted. The screenshot is kept in test-results/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`test/browser/fleet-page.test.ts skipped: no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium package; CHROMIUM_PATH names another)`);

/** Flags that work on this machine: no sandbox as root, and no background connections to refuse. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ORIGIN = 'https://fleet-report.test';
export const ARTIFACTS = 'test-results';

let browser: Browser;
let report: StoredRunReport;
let html: string;
let rules: Rule[];

/** Poppler's pdftotext reads the printed page back (Debian's poppler-utils; .ci/run installs it with Chromium). */
const PDFTOTEXT = '/usr/bin/pdftotext';

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Every request the page made, the document included. */
  requests: string[];
  /** Console errors and warnings (Observable Plot warns of a chart drawn wrong), uncaught exceptions. */
  errors: string[];
}

/** Opens a page as its own document at ORIGIN; every other request is recorded and refused. */
async function open(document: string, viewport = { width: 1280, height: 2000 }): Promise<Opened> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
  const requests: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requests.push(url);
    if (url === `${ORIGIN}/report.html`) await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: document });
    else await route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${ORIGIN}/report.html`);
  await page.locator('[data-table="clusters"]').waitFor();
  return { page, context, requests, errors };
}

const number = (text: string | null) => Number((text ?? '').replace(/[^\d]/g, ''));

beforeAll(async () => {
  if (!available) return;
  // Prepare: the demo's three nights, recorded as a new user runs it.
  const dir = await mkdtemp(join(tmpdir(), 'fleet-page-'));
  await promisify(execFile)('npx', ['tsx', 'test/demo.ts', '--nights', '3', '--record', dir], { timeout: 120_000 });
  report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as StoredRunReport;
  html = await readFile(join(dir, 'report.html'), 'utf8');
  rules = await loadRules();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  await mkdir(ARTIFACTS, { recursive: true });
}, 150_000);

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!available)('fleet page in Chromium', () => {
  it("shows the demo's report as its JSON says, makes no request and logs no error", async () => {
    // Act
    const { page, context, requests, errors } = await open(html);
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-page.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-page-full.png'), fullPage: true });
    const metric = async (name: string) => number(await page.locator(`[data-metric="${name}"]`).first().textContent());

    // Assess: the headline is the report's
    expect(await metric('clusters')).toBe(report.coverage.clusters.scanned);
    expect(await metric('open')).toBe(report.findings.length);
    for (const severity of SEVERITIES) expect(await metric(`open-${severity}`), severity).toBe(report.findings.filter((f) => f.severity === severity).length);
    expect(await metric('new')).toBe(report.newIds?.length ?? 0);
    expect(await metric('resolved')).toBe(report.resolved?.length ?? 0);
    expect(await metric('resolved')).toBeGreaterThan(0);
    expect(await metric('errors')).toBe(report.errors.length);
    expect(await metric('not-rechecked')).toBe(report.carriedOver?.length ?? 0);

    // the heatmap has one row per account with findings
    const rows = await page.locator('table[data-heatmap] tr[data-account]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-account')));
    expect(new Set(rows)).toEqual(new Set(report.findings.map((f) => f.accountId)));
    expect(rows).toHaveLength(new Set(rows).size);

    // the version chart has one bar per version in use (managed and self-managed stack on it), and one for the unknown
    const labels = await page.locator('[data-chart="versions"] rect[aria-label]').evaluateAll((rects) => rects.map((r) => r.getAttribute('aria-label') ?? ''));
    const barVersions = new Set(labels.map((l) => l.split(':')[0]));
    const inUse = new Set(report.clusters.filter((c) => c.cni.source !== 'absent').map((c) => c.cni.version ?? 'unknown'));
    expect(inUse).toContain('unknown');
    expect(barVersions).toEqual(inUse);

    // the trend has the three nights
    expect(await page.locator('#trend tbody tr').count()).toBe(3);

    // nothing left the page, nothing failed
    expect(requests).toEqual([`${ORIGIN}/report.html`]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('narrows the table with a filter, lists a heatmap cell, and copies a cluster\'s commands', async () => {
    // Prepare
    const { page, context, errors } = await open(html);
    const tableRows = page.locator('table[data-table="clusters"] tbody tr[data-cluster]');
    expect(await tableRows.count()).toBe(report.clusters.length);

    // Act: a Region
    await page.selectOption('#filter-region', 'eu-west-1');

    // Assess
    const inRegion = report.clusters.filter((c) => c.region === 'eu-west-1');
    expect(inRegion.length).toBeGreaterThan(0);
    expect(inRegion.length).toBeLessThan(report.clusters.length);
    expect(await tableRows.count()).toBe(inRegion.length);
    expect(await page.locator('[data-metric="clusters-shown"]').textContent()).toContain(`${inRegion.length} of ${report.clusters.length} clusters`);

    // Act: a heatmap cell, then its clusters in the table
    const cell = page.locator('table[data-heatmap] button.heat').first();
    const count = number(await cell.textContent());
    await cell.click();
    const listed = await page.locator('.heat-clusters li').count();
    await page.getByRole('button', { name: 'Show these clusters in the table' }).click();

    // Assess
    expect(listed).toBe(count);
    expect(await tableRows.count()).toBe(count);

    // Act: the plan of the first cluster shown, and its first Copy
    await page.selectOption('#filter-region', '');
    await page.selectOption('#filter-account', '');
    await page.selectOption('#filter-rule', '');
    const first = tableRows.first();
    const name = (await first.locator('th code').textContent()) ?? '';
    await first.getByRole('button', { name: 'Show' }).click();
    await page.locator('tr.detail button.copy').first().click();
    // A string, run in the page: this file is checked against Node's types, not the DOM's.
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');

    // Assess: what was copied is commands of that cluster's plan in the report
    const commands = (report.plans ?? []).filter((p) => p.clusterName === name).flatMap((p) => p.steps.flatMap((s) => s.commands));
    expect(commands.length).toBeGreaterThan(0);
    expect(copied.split('\n').length).toBeGreaterThan(0);
    for (const line of copied.split('\n')) expect(commands).toContain(line);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("marks a version for a risk only where a cluster on it has the finding, draws the unknown version, and says where EKS offers none", async () => {
    // Prepare
    const { page, context, errors } = await open(html);
    const ranged = new Set(rules.filter((r) => r.affected !== undefined).map((r) => r.id));
    const found = report.findings.filter((f) => ranged.has(f.ruleId) && f.observedVersion !== null);

    // Act
    const marked = await page.locator('[data-chart="risks"] rect[aria-label]').evaluateAll((rects) => rects.map((r) => r.getAttribute('aria-label') ?? ''));
    const knownRisks = await page.locator('#versions details table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('td:last-child')?.textContent ?? '']));
    const none = await page.locator('table.offered tr[data-kubernetes="1.21"]').textContent();

    // Assess: the demo's v1.16 rule covers v1.16.0 on Kubernetes 1.23 only; v1.21.1 clusters on 1.29 and 1.30 have no spec finding
    expect(new Set(marked)).toEqual(new Set(found.map((f) => `${f.ruleId} affects ${f.observedVersion}`)));
    for (const [version, risks] of knownRisks) {
      const expected = [...new Set(found.filter((f) => f.observedVersion === version).map((f) => f.ruleId))].sort();
      expect(risks === 'none' ? [] : risks!.split(', ').sort(), version).toEqual(expected);
    }
    expect(knownRisks.map(([version]) => version)).toContain('unknown');
    expect(report.clusters.some((c) => c.kubernetesVersion === '1.21' && c.offeredVersions?.length === 0)).toBe(true);
    expect(none).toContain('EKS offers none');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('prints the charts whole at the width of the paper, without the interactive hints, and says which rows print', async () => {
    // Prepare: drawn on a wide screen, printed on A4
    const { page, context, errors } = await open(html);
    const pdfPath = join(ARTIFACTS, 'fleet-page.pdf');

    // Act
    await page.pdf({ path: pdfPath, format: 'A4', margin: { top: '12mm', bottom: '12mm', left: '12mm', right: '12mm' } });
    await page.setViewportSize({ width: 700, height: 1000 });
    await page.emulateMedia({ media: 'print' });
    const overflow = await page.evaluate<{ chart: string; right: number; main: number }[]>(`[...document.querySelectorAll('.chart svg')].map((svg) => ({ chart: svg.closest('[data-chart]')?.getAttribute('data-chart') ?? svg.getAttribute('data-chart') ?? '', right: svg.getBoundingClientRect().right, main: document.querySelector('main').getBoundingClientRect().right })).filter((c) => c.right > c.main + 1)`);
    const hints = await page.evaluate<number>(`[...document.querySelectorAll('.hint, .interactive, button.copy')].filter((n) => n.offsetParent !== null).length`);
    const note = await page.locator('[data-print-note]').innerText();

    // Assess
    expect(overflow).toEqual([]);
    expect(hints).toBe(0);
    expect(note).toBe(`Printed: every cluster that matches the filters (${report.clusters.length} clusters).`);
    if (existsSync(PDFTOTEXT)) {
      const { stdout } = await promisify(execFile)(PDFTOTEXT, ['-bbox', pdfPath, '-']);
      const pageWidth = Number(/<page width="([\d.]+)"/.exec(stdout)?.[1]);
      const words = [...stdout.matchAll(/<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)].map((m) => ({ xMax: Number(m[2]), word: m[3] }));
      const text = words.map((w) => w.word).join(' ');
      expect(pageWidth).toBeGreaterThan(0);
      expect(words.filter((w) => w.xMax > pageWidth).map((w) => w.word)).toEqual([]);
      expect(text).toContain('v1.22.4-eksbuild.3');
      expect(text).toContain('Printed: every cluster');
      expect(text).not.toContain('Choose a cell');
    } else console.warn(`the printed page's text is not read back: no ${PDFTOTEXT} (Debian's poppler-utils)`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps long names inside the layout, marks an expired suppression, links only https references, and labels every run apart', async () => {
    // Prepare
    const { report: broken, history } = breakTestReport(report);
    const { page, context, errors } = await open(await fleetPage(broken, { rules, history }));

    // Act
    const widths = await page.evaluate<{ page: number; view: number; tables: number[] }>(
      `({ page: document.documentElement.scrollWidth, view: window.innerWidth, tables: [...document.querySelectorAll('main table')].map((t) => t.getBoundingClientRect().width - t.parentElement.clientWidth) })`,
    );
    const ruleHead = await page.locator('th.rule-head', { hasText: LONG.rule.slice(0, 20) }).evaluate((th) => ({ title: th.getAttribute('title'), spill: th.querySelector('span')!.getBoundingClientRect().height - th.getBoundingClientRect().height }));
    await page.fill('#filter-text', LONG.cluster);
    const longRow = await page.locator('table[data-table="clusters"] tbody th.name code').first().getAttribute('title');
    await page.fill('#filter-text', '');
    const lapsed = broken.findings[0]!;
    await page.fill('#filter-text', lapsed.clusterName);
    const row = page.locator('table[data-table="clusters"] tbody tr[data-cluster]').first();
    await row.getByRole('button', { name: 'Show' }).click();
    const detail = page.locator('tr.detail');
    const links = await detail.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const detailText = await detail.textContent();
    const ticks = await page.evaluate<{ chart: string; text: string; inside: boolean }[]>(
      `[...document.querySelectorAll('[data-chart] g[aria-label="x-axis tick label"] text')].map((t) => { const svg = t.closest('svg'); const r = t.getBoundingClientRect(); const s = svg.getBoundingClientRect(); return { chart: svg.getAttribute('data-chart') ?? svg.closest('[data-chart]')?.getAttribute('data-chart') ?? '', text: t.textContent, inside: r.left >= s.left - 1 && r.right <= s.right + 1 && r.top >= s.top - 1 && r.bottom <= s.bottom + 1 }; })`,
    );

    // Assess: nothing wider than the window or its box
    expect(widths.page).toBeLessThanOrEqual(widths.view);
    for (const spill of widths.tables) expect(spill).toBeLessThanOrEqual(1);
    expect(ruleHead.title).toContain(LONG.rule);
    expect(ruleHead.spill).toBeLessThanOrEqual(1);
    expect(longRow).toBe(LONG.cluster);
    // the expired suppression, in the headline and on the finding
    expect(number(await page.locator('[data-metric="suppressions-expired"]').textContent())).toBe(1);
    expect(detailText).toContain(`suppression expired on ${EXPIRED_ON}`);
    expect(detailText).toContain(`Fix: ${lapsed.remediation.text}`);
    // only the https reference is a link; the others are text
    expect(links).toContain(REFERENCES.safe);
    expect(links.filter((href) => !href?.startsWith('https://'))).toEqual([]);
    expect(detailText).toContain(REFERENCES.script);
    expect(detailText).toContain(REFERENCES.insecure);
    // ten runs, ten distinct labels; no axis label cut by its chart
    const trend = ticks.filter((t) => t.chart === 'trend').map((t) => t.text);
    expect(trend).toHaveLength(10);
    expect(new Set(trend).size).toBe(10);
    expect(ticks.filter((t) => !t.inside)).toEqual([]);
    expect(await page.evaluate<unknown>('window.pwned')).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows hostile names as text: no markup, no script, nothing fetched', async () => {
    // Prepare
    const { page, context, requests, errors } = await open(await fleetPage(hostileReport(), {}));

    // Act
    await page.locator('table[data-table="clusters"] tbody tr[data-cluster] button').first().click();
    const text = await page.locator('main').textContent();

    // Assess
    expect(await page.evaluate<unknown>('window.pwned')).toBeUndefined();
    expect(await page.locator('main img, main iframe, main script').count()).toBe(0);
    expect(text).toContain(HOSTILE.accountName);
    expect(text).toContain(HOSTILE.clusterName);
    expect(text).toContain(HOSTILE.command);
    expect(requests).toEqual([`${ORIGIN}/report.html`]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

/** A generated fleet of 5,000 clusters, built once (the engine judges it in some seconds). */
describe('fleet page of 5,000 clusters', () => {
  const large = {} as { report: StoredRunReport; html: string };
  beforeAll(async () => {
    const rules = await loadRules();
    large.report = largeFleetReport(5000, rules);
    large.html = await fleetPage(large.report, { rules });
  }, 120_000);

  it('stays under 3 MiB', () => {
    expect(large.report.clusters.length).toBeGreaterThan(4500);
    expect(Buffer.byteLength(large.html)).toBeLessThan(3 * 1024 * 1024);
  });

  it.skipIf(!available)('pages a 5,000-cluster fleet and filters it', async () => {
    // Prepare
    const { page, context, requests, errors } = await open(large.html);
    const report = large.report;
    const tableRows = page.locator('table[data-table="clusters"] tbody tr[data-cluster]');

    // Assess: one page of rows drawn, the whole fleet counted
    expect(report.clusters.length).toBeGreaterThan(4500);
    expect(await tableRows.count()).toBe(PAGE_SIZE);
    expect(await page.locator('[data-metric="clusters-shown"]').textContent()).toBe(`${report.clusters.length.toLocaleString('en-US')} clusters`);

    // Act
    await page.getByRole('button', { name: 'Next' }).click();
    const second = await tableRows.first().getAttribute('data-cluster');
    await page.fill('#filter-text', report.clusters[1234]!.clusterName);

    // Assess
    const matching = report.clusters.filter((c) => [c.clusterName, c.accountName, c.accountId, c.region].some((v) => v.toLowerCase().includes(report.clusters[1234]!.clusterName.toLowerCase())));
    expect(second).not.toBeNull();
    expect(await tableRows.count()).toBe(Math.min(PAGE_SIZE, matching.length));
    expect(requests).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
