import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../src/gallery/escape-html.js';
import { GALLERY_CONTENT_SECURITY_POLICY, renderGallery, type GalleryPage, type GalleryRow } from '../../../src/gallery/render-gallery.js';

function row(overrides: Partial<GalleryRow> & Pick<GalleryRow, 'id' | 'status'>): GalleryRow {
  return {
    variant: 0,
    location: undefined,
    prompt: 'a prompt',
    revisedPrompt: undefined,
    deployment: undefined,
    latencyMs: undefined,
    attempts: undefined,
    error: undefined,
    metadata: {},
    ...overrides,
  };
}

async function render(page: Partial<GalleryPage> & Pick<GalleryPage, 'rows'>): Promise<string> {
  let html = '';
  for await (const piece of renderGallery({ title: 'Batch b', imageSrc: () => undefined, ...page })) html += piece;
  return html;
}

const HOSTILE = `</p><script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

describe('renderGallery', () => {
  it('escapes every text that comes from a row: prompt, id, error, details and extra columns', async () => {
    const html = await render({
      title: HOSTILE,
      subtitle: HOSTILE,
      notice: HOSTILE,
      rows: [
        row({
          id: 'a',
          status: 'failed',
          prompt: HOSTILE,
          revisedPrompt: HOSTILE,
          error: HOSTILE,
          deployment: HOSTILE,
          location: HOSTILE,
          metadata: { [HOSTILE]: HOSTILE },
        }),
      ],
      totals: { [HOSTILE]: 1 },
    });
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('</p><script>');
    expect(html.split(escapeHtml(HOSTILE)).length - 1).toBeGreaterThanOrEqual(9);
  });

  it('pins its one inline style and one inline script by hash in the content security policy', async () => {
    const html = await render({ rows: [row({ id: 'a', status: 'stored' })] });
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(GALLERY_CONTENT_SECURITY_POLICY).toContain(`style-src ${hash(style)}`);
    expect(GALLERY_CONTENT_SECURITY_POLICY).toContain(`script-src ${hash(script)}`);
    expect(GALLERY_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; img-src data: 'self';/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(GALLERY_CONTENT_SECURITY_POLICY)}">`);
    expect(html).not.toMatch(/ style="/);
  });

  it('has a filter button per status present, known statuses first in a fixed order, each with its count', async () => {
    const html = await render({
      rows: [
        row({ id: 'a', status: 'pending' }),
        row({ id: 'b', status: 'stored' }),
        row({ id: 'c', status: 'zzz-new' as GalleryRow['status'] }),
        row({ id: 'd', status: 'failed' }),
        row({ id: 'e', status: 'stored' }),
        row({ id: 'f', status: 'skipped' }),
        row({ id: 'g', status: 'filtered' }),
      ],
    });
    const buttons = [...html.matchAll(/<button type="button" data-filter="([^"]+)" aria-pressed="(true|false)">([^<]+) <span class="count">(\d+)<\/span>/g)].map((m) => `${m[1]}=${m[4]}${m[2] === 'true' ? '*' : ''}`);
    expect(buttons).toEqual(['all=7*', 'stored=2', 'filtered=1', 'failed=1', 'skipped=1', 'pending=1', 'zzz-new=1']);
  });

  it('asks for each image once, in row order, shows a placeholder without one, and links images only when asked', async () => {
    const asked: string[] = [];
    const rows = [row({ id: 'x', status: 'stored' }), row({ id: 'y', status: 'filtered', error: 'content filter' }), row({ id: 'z', status: 'stored', variant: 2 })];
    const imageSrc = (r: GalleryRow): string | undefined => {
      asked.push(`${r.id}-${r.variant}`);
      return r.id === 'x' ? '/v1/batches/b/images/x-0?a=1&b="2"' : undefined;
    };
    const html = await render({ rows, imageSrc, linksImages: true });
    expect(asked).toEqual(['x-0', 'y-0', 'z-2']);
    expect(html).toContain('<a href="/v1/batches/b/images/x-0?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener"><img src="/v1/batches/b/images/x-0?a=1&amp;b=&quot;2&quot;"');
    expect(html).toContain('<div class="placeholder">filtered</div>');
    expect(html).toContain('<div class="placeholder">no preview</div>');
    expect(html).toContain('<p class="reason">content filter</p>');
    expect(await render({ rows, imageSrc: () => 'data:image/jpeg;base64,AAAA' })).not.toContain('<a href');
  });

  it('lists the details a row has: revised prompt, deployment, latency, attempts, cost, location, extra columns', async () => {
    const html = await render({
      rows: [row({ id: 'a', status: 'stored', revisedPrompt: 'A mug.', deployment: 'east', latencyMs: 812.4, attempts: 2, costUsd: 0.011, location: '/out/b/a-0.png', metadata: { sku: 'M-1' } })],
    });
    const details = [...html.matchAll(/<dt>([^<]+)<\/dt><dd>([^<]+)<\/dd>/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(details).toEqual(['revised prompt=A mug.', 'deployment=east', 'latency=812 ms', 'attempts=2', 'cost=$0.0110', 'location=/out/b/a-0.png', 'sku=M-1']);
  });

  it('shows whole-batch totals, the notice and the pager links; an empty page says so', async () => {
    const html = await render({
      rows: [row({ id: 'a', status: 'stored' })],
      totals: { stored: 700, failed: 3, filtered: 0 },
      notice: 'Page 2 of 3',
      pager: { label: 'images 201–400 of 703', previousHref: '?page=1', nextHref: '?page=3' },
    });
    expect(html).toContain('<p class="totals">Whole batch: 703 images — stored 700 · failed 3</p>');
    expect(html).toContain('<p class="notice">Page 2 of 3</p>');
    expect(html).toContain('<a href="?page=1" rel="prev">← previous</a><span>images 201–400 of 703</span><a href="?page=3" rel="next">next →</a>');
    expect(html).toContain('<p id="empty" hidden>');
    expect(await render({ rows: [] })).toContain('<p id="empty">No image to show.</p>');
  });
});
