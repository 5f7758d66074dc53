import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fleetPage, fleetPageBody } from '../../../lib/report/html/index.js';
import { embedJson, FleetPageError, renderFleetPage } from '../../../lib/report/html/page.js';
import type { FleetPageData } from '../../../lib/report/html/model.js';
import { HOSTILE, hostileReport } from '../hostile.js';

describe('page.ts', () => {
  it('embeds data that cannot end its script element and reads back unchanged', () => {
    // Prepare
    const value = { a: '</script><script>alert(1)</script>', b: '<!-- x -->', c: 'line\u2028sep\u2029', d: 'a & b > c' };

    // Act
    const embedded = embedJson(value);

    // Assess
    expect(embedded).not.toMatch(/<|>|&|\u2028|\u2029/);
    expect(JSON.parse(embedded)).toEqual(value);
  });

  it('keeps hostile names out of the markup: the only script is the bundle, allowed by its hash, and nothing may be fetched', async () => {
    // Act
    const html = await fleetPage(hostileReport());

    // Assess
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(2);
    expect(scripts[0]![0]).toMatch(/^<script id="fleet-data" type="application\/json">/);
    expect(html).not.toContain(HOSTILE.clusterName);
    expect(html).not.toContain('<img');
    const hash = createHash('sha256').update(scripts[1]![1]!, 'utf8').digest('base64');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:|connect-src [^;]*\*/);
  });

  it('writes as a stream the very bytes of the page as one string, its hostile values escaped in every chunk', async () => {
    // Prepare
    const report = hostileReport();

    // Act
    const html = await fleetPage(report);
    const body = await fleetPageBody(report);
    const chunks = [...body.chunks()];

    // Assess
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(Buffer.from(html, 'utf8'))).toBe(true);
    expect(bytes.toString('utf8')).not.toContain(HOSTILE.clusterName);
  });

  it('refuses a script that would end its element early', () => {
    expect(() => renderFleetPage({} as FleetPageData, 'var a = "</script>";')).toThrow(FleetPageError);
  });

});
