import { createHash } from 'node:crypto';
import { batchEtaMs } from '../batch/batch-eta-ms.js';
import type { BatchOverview, BatchPage } from '../batch/list-batch-page.js';
import { formatUsd } from '../cost/format-usd.js';
import { escapeHtml } from '../gallery/escape-html.js';
import type { DeploymentStatus } from '../limiter/deployment-status.js';
import type { CallMinute } from '../limiter/slot-limiter.js';

const STYLE = `
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #f4f5f8; color: #1d2330; }
header { display: flex; gap: 16px; align-items: center; padding: 12px 24px; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 18px; flex: 1; }
header a, header button { color: #fff; font: inherit; background: none; border: 0; cursor: pointer; text-decoration: underline; padding: 0; }
header form { margin: 0; }
main { padding: 16px 24px; display: grid; gap: 24px; }
h2 { margin: 0 0 8px; font-size: 16px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #d9dde5; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e6e9ef; vertical-align: middle; }
th { font-weight: 600; color: #5d6678; font-size: 12px; text-transform: uppercase; }
td.num { font-variant-numeric: tabular-nums; }
.muted { color: #5d6678; }
.pager { display: flex; gap: 16px; margin-top: 8px; }
.deployments { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 16px; }
.deployment { background: #fff; border: 1px solid #d9dde5; border-radius: 8px; padding: 12px 16px; display: grid; gap: 6px; }
.deployment h3 { margin: 0; font-size: 15px; }
.state { font-weight: 600; }
.state[data-state="running"] { color: #2f8f46; } .state[data-state="paused"] { color: #b3261e; } .state[data-state="cooling_down"] { color: #c98a12; }
.deployment button { justify-self: start; font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #1d2330; background: #1d2330; color: #fff; cursor: pointer; }
.deployment form { margin: 0; }
svg text { font: 10px system-ui, sans-serif; fill: #5d6678; }
`;

/** No script at all; only this stylesheet and inline SVG; forms post only to this server. */
export const HOME_CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

export interface HomePageOptions {
  /** Who is signed in; undefined when the server runs without auth. */
  readonly signedInAs: string | undefined;
  /** Whether the pause and resume buttons are shown (an `admin` principal). */
  readonly canControl: boolean;
  /** The session's CSRF token, put in every form; undefined without a session (no auth, or a bearer header). */
  readonly csrfToken: string | undefined;
  /** Whether to link bull-board (it shows every batch's jobs: admins only). */
  readonly linksQueues: boolean;
  readonly queuesPath: string;
  readonly logoutPath: string;
  /** Where the forms of a deployment post: `<base>/pause`, `<base>/resume`. */
  readonly deploymentPath: (name: string) => string;
  readonly batches: BatchPage;
  /** Page of the batches shown, from 1, and batches per page. */
  readonly page: number;
  readonly pageSize: number;
  /** Undefined when the server was started without the deployments' config. */
  readonly deployments: readonly DeploymentStatus[] | undefined;
  readonly nowMs: number;
}

function durationText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function timeText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function failedOf(batch: BatchOverview): number {
  // Everything that ended without an image the user can use, as `imgbatch batches list` counts them.
  return batch.counts.failed + batch.counts.rejected + batch.counts.skipped + batch.counts.cancelled;
}

function progressBar(batch: BatchOverview): string {
  // SVG, not styled spans: the page's CSP allows no inline style attributes.
  const width = 160;
  const parts = [
    ['#2f8f46', batch.counts.stored],
    ['#c98a12', batch.counts.filtered],
    ['#b3261e', failedOf(batch)],
  ] as const;
  let x = 0;
  const rects = parts.map(([colour, count]) => {
    const w = batch.images === 0 ? 0 : (count / batch.images) * width;
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="8" fill="${colour}"></rect>`;
    x += w;
    return rect;
  });
  return `<svg class="bar" width="${width}" height="8" role="img" aria-label="${batch.images - batch.pending} of ${batch.images} done"><rect x="0" y="0" width="${width}" height="8" fill="#e6e9ef"></rect>${rects.join('')}</svg>`;
}

function batchRow(batch: BatchOverview, showsPriority: boolean, nowMs: number): string {
  const etaMs = batchEtaMs(batch, nowMs);
  const eta = batch.pending === 0 ? 'done' : etaMs === undefined ? '–' : durationText(etaMs);
  const cost = batch.maxCostUsd === undefined ? formatUsd(batch.costUsd) : `${formatUsd(batch.costUsd)} of ${formatUsd(batch.maxCostUsd)}`;
  const cells = [
    `<td><a href="/batches/${encodeURIComponent(batch.batchId)}">${escapeHtml(batch.batchId)}</a><div class="muted">${timeText(batch.createdAt)}</div></td>`,
    `<td>${progressBar(batch)}<div class="progress muted">${batch.counts.stored} stored · ${batch.counts.filtered} filtered · ${failedOf(batch)} failed of ${batch.images}</div></td>`,
    `<td class="num pending">${batch.pending}</td>`,
    `<td class="num">${failedOf(batch)}</td>`,
    `<td class="num cost">${escapeHtml(cost)}</td>`,
    `<td>${batch.client === undefined ? '<span class="muted">–</span>' : escapeHtml(batch.client)}</td>`,
    // A batch no enqueue gave a priority runs as normal (its jobs carry none).
    ...(showsPriority ? [`<td>${batch.priority === undefined ? '<span class="muted">normal</span>' : escapeHtml(batch.priority)}</td>`] : []),
    `<td class="eta">${escapeHtml(eta)}</td>`,
  ];
  return `<tr data-batch="${escapeHtml(batch.batchId)}">${cells.join('')}</tr>`;
}

function batchesSection(options: HomePageOptions): string {
  const { batches, page, pageSize } = options;
  if (batches.total === 0) return '<section><h2>Batches</h2><p class="muted">No batches in Redis.</p></section>';
  const showsPriority = batches.batches.some((b) => b.priority !== undefined);
  const header = ['Batch', 'Progress', 'Pending', 'Failed', 'Cost', 'Client', ...(showsPriority ? ['Priority'] : []), 'ETA'];
  const pages = Math.max(1, Math.ceil(batches.total / pageSize));
  const first = (page - 1) * pageSize + 1;
  const pager =
    pages === 1
      ? ''
      : `<nav class="pager"><span class="muted">batches ${first}–${first + batches.batches.length - 1} of ${batches.total}, newest first</span>` +
        (page > 1 ? `<a rel="prev" href="?page=${page - 1}">Newer</a>` : '') +
        (page < pages ? `<a rel="next" href="?page=${page + 1}">Older</a>` : '') +
        '</nav>';
  return (
    `<section><h2>Batches</h2><table class="batches"><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>` +
    batches.batches.map((b) => batchRow(b, showsPriority, options.nowMs)).join('') +
    `</tbody></table>${pager}</section>`
  );
}

const CHART_WIDTH = 360;
const CHART_HEIGHT = 90;
const CHART_MINUTES = 60;

/** Calls per minute over the last hour as bars (429s in red on top), against the configured and effective quota. */
function callChart(status: DeploymentStatus, nowMs: number): string {
  const thisMinute = Math.floor(nowMs / 60_000);
  const byMinute = new Map<number, CallMinute>(status.callMinutes.map((m) => [m.minuteStartMs / 60_000, m]));
  const peak = Math.max(status.configuredRatePerMinute, ...status.callMinutes.map((m) => m.calls), 1) * 1.1;
  const plotHeight = CHART_HEIGHT - 14;
  const y = (value: number): number => plotHeight - (value / peak) * plotHeight;
  const barWidth = CHART_WIDTH / CHART_MINUTES;
  const bars: string[] = [];
  for (let i = 0; i < CHART_MINUTES; i++) {
    const minute = byMinute.get(thisMinute - (CHART_MINUTES - 1) + i);
    if (minute === undefined || minute.calls === 0) continue;
    const x = (i * barWidth).toFixed(1);
    // At least 2 px a bar, so a few calls against a quota of hundreds still show.
    const okHeight = minute.calls > minute.rateLimited ? Math.max(2, plotHeight - y(minute.calls - minute.rateLimited)) : 0;
    const limitedHeight = minute.rateLimited > 0 ? Math.max(2, y(minute.calls - minute.rateLimited) - y(minute.calls)) : 0;
    const title = `<title>${minute.calls} calls, ${minute.rateLimited} 429s</title>`;
    const width = (barWidth - 1).toFixed(1);
    if (okHeight > 0) bars.push(`<rect x="${x}" y="${(plotHeight - okHeight).toFixed(1)}" width="${width}" height="${okHeight.toFixed(1)}" fill="#3d6fb6">${title}</rect>`);
    if (limitedHeight > 0) {
      bars.push(`<rect x="${x}" y="${(plotHeight - okHeight - limitedHeight).toFixed(1)}" width="${width}" height="${limitedHeight.toFixed(1)}" fill="#b3261e">${title}</rect>`);
    }
  }
  const quotaY = y(status.configuredRatePerMinute).toFixed(1);
  const effectiveY = y(status.effectiveRatePerMinute).toFixed(1);
  return (
    `<svg class="chart" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="calls per minute over the last hour against the quota of ${status.configuredRatePerMinute} per minute">` +
    `<rect x="0" y="0" width="${CHART_WIDTH}" height="${plotHeight}" fill="#f7f8fa"></rect>` +
    bars.join('') +
    `<line x1="0" x2="${CHART_WIDTH}" y1="${quotaY}" y2="${quotaY}" stroke="#1d2330" stroke-dasharray="4 3"></line>` +
    (status.effectiveRatePerMinute < status.configuredRatePerMinute ? `<line x1="0" x2="${CHART_WIDTH}" y1="${effectiveY}" y2="${effectiveY}" stroke="#c98a12" stroke-dasharray="2 2"></line>` : '') +
    `<text x="2" y="${CHART_HEIGHT - 2}">−60 min</text><text x="${CHART_WIDTH - 2}" y="${CHART_HEIGHT - 2}" text-anchor="end">now · quota ${status.configuredRatePerMinute}/min (dashed)</text>` +
    '</svg>'
  );
}

function stateText(status: DeploymentStatus): string {
  switch (status.condition.kind) {
    case 'running':
      return 'running';
    case 'paused':
      return `paused: ${status.condition.reason}`;
    case 'cooling_down':
      return `cooling down ${Math.ceil(status.condition.remainingMs / 1000)} s after a 429`;
  }
}

function controlForm(options: HomePageOptions, status: DeploymentStatus): string {
  if (!options.canControl) return '';
  const isPaused = status.condition.kind === 'paused';
  const action = isPaused ? 'resume' : 'pause';
  const csrf = options.csrfToken === undefined ? '' : `<input type="hidden" name="csrf" value="${escapeHtml(options.csrfToken)}">`;
  return `<form method="post" action="${escapeHtml(`${options.deploymentPath(status.name)}/${action}`)}">${csrf}<button type="submit" name="action" value="${action}">${isPaused ? 'Resume' : 'Pause'}</button></form>`;
}

function deploymentCard(options: HomePageOptions, status: DeploymentStatus): string {
  const effective = status.effectiveRatePerMinute === status.configuredRatePerMinute ? '' : ` (effective ${status.effectiveRatePerMinute}/min after 429s)`;
  return (
    `<article class="deployment" data-deployment="${escapeHtml(status.name)}">` +
    `<h3>${escapeHtml(status.name)} <span class="muted">${escapeHtml(status.model)}</span></h3>` +
    `<div class="state" data-state="${status.condition.kind}">${escapeHtml(stateText(status))}</div>` +
    `<div class="rate">quota ${status.configuredRatePerMinute}/min${escapeHtml(effective)} · calls in the last minute: ${status.callsLastMinute}</div>` +
    `<div class="rate-limited">429s: ${status.rateLimitedLastMinute} in the last minute, ${status.rateLimitedTotal} in all</div>` +
    callChart(status, options.nowMs) +
    controlForm(options, status) +
    '</article>'
  );
}

function deploymentsSection(options: HomePageOptions): string {
  const { deployments } = options;
  if (deployments === undefined) return '<section><h2>Deployments</h2><p class="muted">This server was started without the deployments’ configuration.</p></section>';
  if (deployments.length === 0) return '<section><h2>Deployments</h2><p class="muted">No deployments configured.</p></section>';
  return `<section><h2>Deployments</h2><div class="deployments">${deployments.map((d) => deploymentCard(options, d)).join('')}</div></section>`;
}

/**
 * The dashboard's home page: what an operator asks first. The batches, newest first, a page at
 * a time, with progress, cost against budget and an ETA; the deployments with their state,
 * rate, an hour of calls per minute against the quota, and (for admins) pause and resume. Plain
 * HTML and inline SVG, no script; everything from Redis or the config is escaped.
 */
export function renderHomePage(options: HomePageOptions): string {
  const links = [
    ...(options.linksQueues ? [`<a href="${options.queuesPath}">Queues (bull-board)</a>`] : []),
    ...(options.signedInAs === undefined
      ? []
      : [`<span>signed in as ${escapeHtml(options.signedInAs)}</span>`, `<form method="post" action="${options.logoutPath}"><button type="submit">Sign out</button></form>`]),
  ];
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the forms' POSTs, and the server checks Origin.
    `<meta name="referrer" content="same-origin"><title>imgbatch</title><style>${STYLE}</style></head>\n<body>` +
    `<header><h1>imgbatch</h1>${links.join('')}</header><main>` +
    batchesSection(options) +
    deploymentsSection(options) +
    '</main></body></html>\n'
  );
}
