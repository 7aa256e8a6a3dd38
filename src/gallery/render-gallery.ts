import { createHash } from 'node:crypto';
import type { ManifestRow } from '../batch/list-manifest-rows.js';
import { formatUsd } from '../cost/format-usd.js';
import { escapeHtml } from './escape-html.js';

/** What a tile shows of a manifest row. */
export type GalleryRow = Pick<ManifestRow, 'id' | 'variant' | 'status' | 'location' | 'prompt' | 'revisedPrompt' | 'deployment' | 'latencyMs' | 'attempts' | 'error' | 'costUsd' | 'metadata'>;

export interface GalleryPager {
  /** Link to the previous page; default none. */
  readonly previousHref?: string;
  /** Link to the next page; default none. */
  readonly nextHref?: string;
  /** Where this page is, e.g. `images 501–1000 of 2400`. */
  readonly label: string;
}

export interface GalleryPage {
  /** The heading, e.g. `Batch catalog`. */
  readonly title: string;
  /** One line under the heading (when the page was made, where the images are); default none. */
  readonly subtitle?: string;
  /** Tiles, in this order. */
  readonly rows: readonly GalleryRow[];
  /** Images per status in the whole batch, shown when the page holds only part of it; default none. */
  readonly totals?: Readonly<Record<string, number>>;
  /** A note above the tiles (e.g. that thumbnails were capped); default none. */
  readonly notice?: string;
  /** Links to other pages of the same batch; default none. */
  readonly pager?: GalleryPager;
  /** Whether a thumbnail links to its image (an HTTP URL; a `data:` URI cannot be opened as a page). Default false. */
  readonly linksImages?: boolean;
  /**
   * The `src` of a row's image: a `data:` URI or a same-origin path; undefined for none. Called
   * once per row, in order, while the page is written, so a large page never holds all its
   * images at once.
   */
  readonly imageSrc: (row: GalleryRow) => Promise<string | undefined> | string | undefined;
}

/** Filter buttons in this order; statuses outside the list (new outcomes) follow, sorted. */
const STATUS_ORDER = ['stored', 'filtered', 'failed', 'skipped', 'rejected', 'cancelled', 'missing', 'pending'];

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5d6678; --line: #d9dde5; --paper: #f4f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
header { padding: 16px 24px 8px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 20px; }
.sub, .totals, .notice { margin: 2px 0; color: var(--muted); }
.notice { color: #7a4b00; }
.filters { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: 6px; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
.filters button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 999px; background: #fff; color: var(--ink); cursor: pointer; }
.filters button[aria-pressed="true"] { background: var(--ink); border-color: var(--ink); color: #fff; }
.filters .count { font-variant-numeric: tabular-nums; opacity: .75; }
main { padding: 16px 24px 24px; }
.tiles { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); align-items: start; gap: 14px; }
.tile { display: flex; flex-direction: column; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.tile[hidden] { display: none; }
.thumb { margin: 0; aspect-ratio: 1; display: flex; align-items: center; justify-content: center; background: #e9ebf0; border-bottom: 1px solid var(--line); }
.thumb a { display: contents; }
.thumb img { width: 100%; height: 100%; object-fit: contain; }
.placeholder { font-size: 13px; color: var(--muted); text-transform: uppercase; letter-spacing: .08em; }
.body { padding: 8px 10px 10px; display: flex; flex-direction: column; gap: 4px; min-width: 0; }
.meta { margin: 0; display: flex; align-items: center; gap: 6px; min-width: 0; }
.ident { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { flex: none; font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; padding: 1px 7px; border-radius: 4px; background: #e4e7ee; color: #3a4253; }
.tile[data-status="stored"] .badge { background: #dcf3e3; color: #17643a; }
.tile[data-status="filtered"] .badge { background: #fff0d1; color: #8a5200; }
.tile[data-status="failed"] .badge, .tile[data-status="missing"] .badge { background: #fde2e1; color: #a1231b; }
.tile[data-status="pending"] .badge { background: #e1ecfd; color: #1f4f99; }
.tile[data-status="filtered"] .thumb { background: repeating-linear-gradient(135deg, #fff6e3 0 10px, #fdebc6 10px 20px); }
.tile[data-status="failed"] .thumb, .tile[data-status="missing"] .thumb { background: repeating-linear-gradient(135deg, #fff0ef 0 10px, #fcdedb 10px 20px); }
.prompt, .reason { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 4; -webkit-box-orient: vertical; overflow: hidden; cursor: pointer; }
.reason { -webkit-line-clamp: 6; padding: 4px 6px; border-radius: 4px; background: #fff5f4; color: #8d1f18; font-size: 12.5px; }
.prompt.expanded, .reason.expanded { display: block; }
.tile[data-status="filtered"] .reason { background: #fff8e8; color: #7a4b00; }
details { font-size: 12px; color: var(--muted); }
summary { cursor: pointer; }
dl { margin: 4px 0 0; display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
#empty { color: var(--muted); }
footer { display: flex; gap: 16px; align-items: center; padding: 0 24px 24px; color: var(--muted); }
`;

// Runs without any library, from a file:// URL as well as from the server. Hiding is done
// with the `hidden` attribute (the stylesheet keeps it from being overridden by display:flex).
const SCRIPT = `
(() => {
  const tiles = document.getElementById('tiles');
  const empty = document.getElementById('empty');
  const buttons = Array.from(document.querySelectorAll('button[data-filter]'));
  function show(status) {
    let visible = 0;
    for (const tile of tiles.children) {
      const isShown = status === 'all' || tile.dataset.status === status;
      tile.hidden = !isShown;
      if (isShown) visible++;
    }
    for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.filter === status));
    empty.hidden = visible > 0;
  }
  for (const button of buttons) {
    button.addEventListener('click', () => {
      show(button.dataset.filter);
      history.replaceState(null, '', '#' + encodeURIComponent(button.dataset.filter));
    });
  }
  // Long prompts and errors are cut to a few lines; a click shows all of one.
  tiles.addEventListener('click', (event) => {
    const text = event.target.closest('.prompt, .reason');
    if (text) text.classList.toggle('expanded');
  });
  const wanted = decodeURIComponent(location.hash.slice(1));
  show(buttons.some((button) => button.dataset.filter === wanted) ? wanted : 'all');
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * Only the page's own style and script run, pinned by hash: should escaping ever miss,
 * injected markup still cannot run script or load anything from elsewhere. Images come from
 * `data:` URIs (the file) or the server itself.
 */
export const GALLERY_CONTENT_SECURITY_POLICY = `default-src 'none'; img-src data: 'self'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; base-uri 'none'; form-action 'none'`;

function orderStatuses(statuses: Iterable<string>): string[] {
  const present = new Set(statuses);
  const known = STATUS_ORDER.filter((status) => present.has(status));
  const others = [...present].filter((status) => !STATUS_ORDER.includes(status)).sort();
  return [...known, ...others];
}

function countByStatus(rows: readonly GalleryRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  return counts;
}

function describeTotals(totals: Readonly<Record<string, number>>): string {
  const statuses = orderStatuses(Object.keys(totals).filter((status) => (totals[status] ?? 0) > 0));
  const all = statuses.reduce((sum, status) => sum + (totals[status] ?? 0), 0);
  return `Whole batch: ${all} images${statuses.length === 0 ? '' : ` — ${statuses.map((status) => `${status} ${totals[status] ?? 0}`).join(' · ')}`}`;
}

function renderFilters(rows: readonly GalleryRow[]): string {
  const counts = countByStatus(rows);
  const button = (filter: string, label: string, count: number): string =>
    `<button type="button" data-filter="${escapeHtml(filter)}" aria-pressed="${filter === 'all'}">${escapeHtml(label)} <span class="count">${count}</span></button>`;
  const buttons = [button('all', 'all', rows.length), ...orderStatuses(counts.keys()).map((status) => button(status, status, counts.get(status) ?? 0))];
  return `<nav class="filters" aria-label="Show images by status">${buttons.join('')}</nav>`;
}

function detailsList(row: GalleryRow): string {
  const entries: Array<[string, string]> = [];
  if (row.revisedPrompt !== undefined) entries.push(['revised prompt', row.revisedPrompt]);
  if (row.deployment !== undefined) entries.push(['deployment', row.deployment]);
  if (row.latencyMs !== undefined) entries.push(['latency', `${Math.round(row.latencyMs)} ms`]);
  if (row.attempts !== undefined) entries.push(['attempts', String(row.attempts)]);
  if (row.costUsd !== undefined) entries.push(['cost', formatUsd(row.costUsd)]);
  if (row.location !== undefined) entries.push(['location', row.location]);
  for (const [name, value] of Object.entries(row.metadata)) entries.push([name, value]);
  if (entries.length === 0) return '';
  const items = entries.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join('');
  return `<details><summary>details</summary><dl>${items}</dl></details>`;
}

function renderTile(row: GalleryRow, src: string | undefined, linksImages: boolean): string {
  const label = `${row.id} · v${row.variant}`;
  let thumb: string;
  if (src === undefined) {
    thumb = `<div class="placeholder">${row.status === 'stored' ? 'no preview' : escapeHtml(row.status)}</div>`;
  } else {
    const img = `<img src="${escapeHtml(src)}" alt="${escapeHtml(row.prompt ?? label)}" loading="lazy" decoding="async">`;
    thumb = linksImages ? `<a href="${escapeHtml(src)}" target="_blank" rel="noopener">${img}</a>` : img;
  }
  const prompt = row.prompt === undefined ? '' : `<p class="prompt">${escapeHtml(row.prompt)}</p>`;
  const reason = row.error === undefined ? '' : `<p class="reason">${escapeHtml(row.error)}</p>`;
  return (
    `<li class="tile" data-status="${escapeHtml(row.status)}" data-id="${escapeHtml(row.id)}" data-variant="${row.variant}">` +
    `<figure class="thumb">${thumb}</figure>` +
    `<div class="body"><p class="meta"><span class="badge">${escapeHtml(row.status)}</span><span class="ident">${escapeHtml(label)}</span></p>` +
    `${prompt}${reason}${detailsList(row)}</div></li>\n`
  );
}

function renderPager(pager: GalleryPager): string {
  const previous = pager.previousHref === undefined ? '' : `<a href="${escapeHtml(pager.previousHref)}" rel="prev">← previous</a>`;
  const next = pager.nextHref === undefined ? '' : `<a href="${escapeHtml(pager.nextHref)}" rel="next">next →</a>`;
  return `<footer>${previous}<span>${escapeHtml(pager.label)}</span>${next}</footer>`;
}

/**
 * A contact sheet of a batch as one HTML page: a tile per image with its thumbnail, status,
 * prompt and the filter verdict or last error, and buttons that show one status at a time.
 * Self-contained (inline style and script, images as the caller's `src`), so the same page
 * works saved as a file and served by the dashboard. Every text from a row is escaped.
 * Yields the page in pieces so that callers can stream it.
 */
export async function* renderGallery(page: GalleryPage): AsyncGenerator<string> {
  const title = escapeHtml(page.title);
  yield '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(GALLERY_CONTENT_SECURITY_POLICY)}">` +
    '<meta name="referrer" content="no-referrer">' +
    `<title>${title} · imgbatch</title><style>${STYLE}</style></head>\n<body><header><h1>${title}</h1>` +
    (page.subtitle === undefined ? '' : `<p class="sub">${escapeHtml(page.subtitle)}</p>`) +
    (page.totals === undefined ? '' : `<p class="totals">${escapeHtml(describeTotals(page.totals))}</p>`) +
    (page.notice === undefined ? '' : `<p class="notice">${escapeHtml(page.notice)}</p>`) +
    `</header>\n${renderFilters(page.rows)}\n<main><ol id="tiles" class="tiles">\n`;
  for (const row of page.rows) {
    yield renderTile(row, await page.imageSrc(row), page.linksImages === true);
  }
  yield `</ol><p id="empty"${page.rows.length === 0 ? '' : ' hidden'}>No image to show.</p></main>\n` +
    (page.pager === undefined ? '' : renderPager(page.pager)) +
    `<script>${SCRIPT}</script></body></html>\n`;
}
