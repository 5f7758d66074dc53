import { createHash } from 'node:crypto';
import { jsonPieces, textBody } from '../../deliver/history/report-json.js';
import type { StreamedBody } from '../../deliver/history/store.js';
import { CLIENT_SCRIPT } from './client.generated.js';
import type { FleetPageData } from './model.js';
import { PAGE_CSS } from './style.js';

export class FleetPageError extends Error {
  override readonly name = 'FleetPageError';
}

/**
 * JSON that can sit inside a `<script type="application/json">`: `<`, `>` and `&` are written as
 * `\u003c`-style escapes (so no `</script>` or `<!--` can close or confuse the element), and so are
 * U+2028 and U+2029 (line terminators to old JavaScript parsers). JSON.parse reads it back unchanged.
 */
export function embedJson(value: unknown): string {
  return escapeForScript(JSON.stringify(value));
}

/** Character by character: the same whether applied to a JSON text whole or to its pieces. */
function escapeForScript(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Refuses a script that could end its own `<script>` element early. */
function inlineScript(source: string): string {
  if (/<\/script|<!--/i.test(source)) throw new FleetPageError('the page script holds "</script" or "<!--": it cannot be inlined');
  return source;
}

/**
 * The fleet page: one HTML file with its stylesheet, its data and its script inline. Its Content
 * Security Policy allows only that one script (by hash) and no connection, image or font from
 * anywhere: the page makes no request when opened, from an email, a presigned link or a disk.
 */
export function renderFleetPage(data: FleetPageData, script: string = CLIENT_SCRIPT): string {
  return [...fleetPagePieces(data, script)].join('');
}

/**
 * The fleet page (renderFleetPage) as a StreamedBody: its data an element at a time, never the
 * page as one string (tens of MB at 1,000 accounts, copied by each step that made it).
 */
export function fleetPageBody(data: FleetPageData, script: string = CLIENT_SCRIPT): StreamedBody {
  return textBody(() => fleetPagePieces(data, script));
}

function* fleetPagePieces(data: FleetPageData, script: string): Generator<string> {
  const source = inlineScript(script);
  const hash = createHash('sha256').update(source, 'utf8').digest('base64');
  const csp = [`default-src 'none'`, `script-src 'sha256-${hash}'`, `style-src 'unsafe-inline'`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  yield [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>EKS fleet report</title>',
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    '<main id="app"><noscript>This report draws itself with JavaScript: open it in a browser with scripts allowed (the file makes no network request).</noscript></main>',
    '<script id="fleet-data" type="application/json">',
  ].join('\n');
  for (const piece of jsonPieces(data as unknown as Record<string, unknown>, '')) yield escapeForScript(piece);
  yield ['</script>', `<script>${source}</script>`, '</body>', '</html>', ''].join('\n');
}
