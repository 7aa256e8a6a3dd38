import { afterEach, describe, expect, it } from 'vitest';
import type { ApiClientConfig, ApiScope } from '../../../src/config/api-client-config.js';
import { hashApiToken } from '../../../src/http/hash-api-token.js';
import { createDeploymentControls } from '../../../src/limiter/deployment-controls.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { createRedisClient, type RedisClient } from '../../../src/queue/redis-connection.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const EAST = { name: 'east', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const WEST = { name: 'west', model: 'gpt-image-1-mini', ratePerMinute: 300, latency: { meanMs: 20, sdMs: 5 } };
const NORTH = { name: 'north', model: 'gpt-image-1-mini', ratePerMinute: 120, latency: { meanMs: 20, sdMs: 5 } };
const ADMIN_TOKEN = 'home-admin-token-0123456789abcdef';
const REQUEST = { prompt: 'a red mug', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low' };
const HTML = { accept: 'text/html' };

function client(name: string, scopes: readonly ApiScope[], extra: Partial<ApiClientConfig> = {}): { token: string; config: ApiClientConfig } {
  const token = `${name}-token-${'y'.repeat(32)}`;
  return { token, config: { name, tokenSha256: hashApiToken(token), scopes, ...extra } };
}

const READER = client('reader', ['read']);
const SHOP = client('shop', ['enqueue', 'read'], { batchPrefix: 'shop-' });
const UPLOADER = client('uploader', ['enqueue']);

describe("the dashboard's home page over real HTTP: batches, deployments, and pause/resume behind CSRF checks", () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();
  let redis: RedisClient | undefined;
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  async function open(apiToken: string | null = ADMIN_TOKEN): Promise<{ p: Pipeline; base: string }> {
    const p = await openPipeline({ simulator: { deployments: [EAST, WEST, NORTH] } });
    redis = createRedisClient(p.redisUrl, 'producer');
    const deployments = createDeploymentControls(redis, { deployments: p.deployments, redisPrefix: p.prefix, limiter: p.limiterSettings, models: BUILT_IN_CATALOGUE });
    const { base } = await serve(p, apiToken === null ? { apiToken, deployments } : { apiToken, clients: [READER.config, SHOP.config, UPLOADER.config], deployments });
    return { p, base };
  }

  /** Signs in through the form and returns the session's Cookie header. */
  async function signIn(base: string, token: string): Promise<string> {
    const response = await fetch(`${base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin');
    return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }

  async function home(base: string, headers: Record<string, string>, query = ''): Promise<{ status: number; html: string; headers: Headers }> {
    const response = await fetch(`${base}/admin${query}`, { headers: { ...HTML, ...headers } });
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  const rowsOf = (html: string): string[] => [...html.matchAll(/<tr data-batch="([^"]+)"/g)].map((m) => m[1] ?? '');

  it('lists the batches newest first, 20 a page, with progress, pending, cost against budget, client and priority; a client sees only its own prefix', async () => {
    const { p, base } = await open();
    const ids = Array.from({ length: 21 }, (_, i) => `b-${String(i + 1).padStart(2, '0')}`);
    for (const batchId of ids) await p.producer.enqueue([REQUEST], { batchId, ...(batchId === 'b-21' && { maxCostUsd: 2.5 }) });
    const enqueued = await fetch(`${base}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SHOP.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: 'shop-1', priority: 'high', requests: [REQUEST, { ...REQUEST, prompt: 'a <script>alert(1)</script> lamp' }] }),
    });
    expect(enqueued.status).toBe(202);

    const admin = { cookie: await signIn(base, ADMIN_TOKEN) };
    const first = await home(base, admin);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; img-src 'self'; form-action 'self';/);
    expect(rowsOf(first.html)).toEqual(['shop-1', ...ids.slice(2).reverse()]);
    const shopRow = /<tr data-batch="shop-1">.*?<\/tr>/.exec(first.html)?.[0] ?? '';
    expect(shopRow).toContain('0 stored · 0 filtered · 0 failed of 2');
    expect(shopRow).toContain('<td class="num pending">2</td>');
    expect(shopRow).toContain('<td>shop</td><td>high</td>');
    expect(first.html).toContain('<th>Client</th><th>Priority</th>');
    const b21Row = /<tr data-batch="b-21">.*?<\/tr>/.exec(first.html)?.[0];
    expect(b21Row).toContain('<td class="num cost">$0.0000 of $2.5000</td>');
    // Enqueued without a priority: its jobs carry none, and run as normal.
    expect(b21Row).toContain('<td><span class="muted">normal</span></td>');
    expect(first.html).toContain('batches 1–20 of 22, newest first');
    expect(first.html).toContain('<a rel="next" href="?page=2">Older</a>');
    expect(first.html).toContain('href="/admin/queues"');

    const second = await home(base, admin, '?page=2');
    expect(rowsOf(second.html)).toEqual(['b-02', 'b-01']);
    expect(second.html).toContain('<a rel="prev" href="?page=1">Newer</a>');
    const past = await fetch(`${base}/admin?page=3`, { headers: { ...admin, accept: 'application/json' } });
    expect(past.status).toBe(400);
    expect(await past.json()).toMatchObject({ issues: [{ field: 'page', reason: expect.stringContaining('past the last page') as unknown }] });

    // A client signed in with its own token sees the batches of its prefix, no bull-board and no switches.
    const shop = await home(base, { cookie: await signIn(base, SHOP.token) });
    expect(shop.status).toBe(200);
    expect(rowsOf(shop.html)).toEqual(['shop-1']);
    expect(shop.html).toContain('signed in as shop');
    expect(shop.html).not.toContain('/admin/queues');
    expect(shop.html).not.toContain('<form method="post" action="/admin/deployments/');
  });

  it("shows each deployment's state with its reason, configured and effective rate, 429s, and the hour's calls per minute against the quota", async () => {
    const { p, base } = await open();
    await p.limiter.recordCall('east', 'ok');
    await p.limiter.recordCall('east', 'ok');
    await p.limiter.cooldown('east', 0);
    await p.limiter.pause('west', 'auth (HTTP 401): Access <denied>');
    // Two 429s in a row: a cooldown, and the second cuts the effective rate.
    await p.limiter.cooldown('north', 0);
    await p.limiter.cooldown('north', 60_000);

    const state = await p.limiter.state('east');
    expect(state.callMinutes).toEqual([{ minuteStartMs: expect.any(Number) as unknown, calls: 3, rateLimited: 1 }]);
    expect((state.callMinutes[0]?.minuteStartMs ?? 1) % 60_000).toBe(0);

    const { html } = await home(base, { authorization: `Bearer ${ADMIN_TOKEN}` });
    const card = (name: string): string => new RegExp(`<article class="deployment" data-deployment="${name}">.*?</article>`).exec(html)?.[0] ?? '';
    expect(card('east')).toContain('<div class="state" data-state="running">running</div>');
    expect(card('east')).toContain('quota 600/min · calls in the last minute: 3');
    expect(card('east')).toContain('429s: 1 in the last minute, 1 in all');
    expect(card('east')).toContain('<title>3 calls, 1 429s</title>');
    expect(card('east')).toContain('aria-label="calls per minute over the last hour against the quota of 600 per minute"');
    expect(card('west')).toContain('<div class="state" data-state="paused">paused: auth (HTTP 401): Access &lt;denied&gt;</div>');
    expect(card('west')).toContain('<button type="submit" name="action" value="resume">Resume</button>');
    expect(card('north')).toMatch(/<div class="state" data-state="cooling_down">cooling down \d+ s after a 429<\/div>/);
    expect(card('north')).toContain('quota 120/min (effective 84/min after 429s)');
    expect(card('east')).toContain('<button type="submit" name="action" value="pause">Pause</button>');
  });

  it("pauses and resumes for an admin's session form with this origin and its CSRF token; refuses a form without the token, with another's, from another origin, and from a read-only client", async () => {
    const { p, base } = await open();
    const origin = new URL(base).origin;
    const cookie = await signIn(base, ADMIN_TOKEN);
    const csrf = /name="csrf" value="([^"]+)"/.exec((await home(base, { cookie })).html)?.[1] ?? '';
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const post = (path: string, fields: Record<string, string>, headers: Record<string, string>): Promise<Response> =>
      fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
    const pause = '/admin/deployments/east/pause';

    const refusals = [
      { fields: {}, headers: { cookie, origin }, error: 'csrf_token' },
      { fields: { csrf: `${csrf.slice(1)}A` }, headers: { cookie, origin }, error: 'csrf_token' },
      { fields: { csrf }, headers: { cookie, origin: 'http://evil.example' }, error: 'cross_origin' },
      { fields: { csrf }, headers: { cookie }, error: 'cross_origin' },
    ];
    for (const { fields, headers, error } of refusals) {
      const response = await post(pause, fields, headers);
      expect({ error, status: response.status, body: await response.json() }).toMatchObject({ status: 403, body: { error } });
    }
    // Another session's token does not pass for this one.
    const otherCookie = await signIn(base, ADMIN_TOKEN);
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec((await home(base, { cookie: otherCookie })).html)?.[1] ?? '';
    expect((await post(pause, { csrf: otherCsrf }, { cookie, origin })).status).toBe(403);
    // No cookie: the sign-in page, as for every route.
    expect((await post(pause, { csrf }, { origin })).status).toBe(401);
    expect((await p.limiter.state('east')).pausedReason).toBeUndefined();

    const paused = await post(pause, { csrf }, { cookie, origin });
    expect(paused.status).toBe(303);
    expect(paused.headers.get('location')).toBe('/admin');
    expect((await p.limiter.state('east')).pausedReason).toBe('paused from the dashboard by admin');
    expect((await home(base, { cookie })).html).toContain('<div class="state" data-state="paused">paused: paused from the dashboard by admin</div>');

    // A read-only client, signed in or with its bearer token, is refused: the switches need admin.
    const readerCookie = await signIn(base, READER.token);
    const readerPage = await home(base, { cookie: readerCookie });
    expect(readerPage.status).toBe(200);
    expect(readerPage.html).not.toContain('name="csrf"');
    const asReader = await post('/admin/deployments/east/resume', { csrf }, { cookie: readerCookie, origin });
    expect(asReader.status).toBe(403);
    expect(await asReader.json()).toMatchObject({ error: 'scope_missing' });
    const readerBearer = await fetch(`${base}/admin/deployments/east/resume`, { method: 'POST', headers: { authorization: `Bearer ${READER.token}` } });
    expect(readerBearer.status).toBe(403);
    expect((await p.limiter.state('east')).pausedReason).toBe('paused from the dashboard by admin');

    // The admin's bearer token needs no CSRF token (no browser sends it by itself).
    const resumed = await fetch(`${base}/admin/deployments/east/resume`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toEqual({ deployment: 'east', state: 'running' });
    expect((await p.limiter.state('east')).pausedReason).toBeUndefined();
    const unknown = await fetch(`${base}/admin/deployments/nowhere/pause`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(unknown.status).toBe(404);
  });

  it('a browser signed in with a token that may only enqueue gets a page saying what the token may do and a sign-out form, not JSON', async () => {
    const { base } = await open();
    const cookie = await signIn(base, UPLOADER.token);
    const page = await home(base, { cookie });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self';/);
    expect(page.html).toContain('signed in as client <strong>uploader</strong>, whose token does not hold the <code>read</code> scope');
    expect(page.html).toContain('<li><code>enqueue</code>: enqueue batches through the API: <code>POST /v1/batches</code>');
    expect(page.html).not.toContain('<code>cancel</code>:');
    expect(page.html).toContain('<form method="post" action="/admin/logout"><button type="submit">Sign out</button></form>');
    // A program asking for JSON still gets the JSON 403.
    const json = await fetch(`${base}/admin`, { headers: { cookie, accept: 'application/json' } });
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ error: 'scope_missing' });
    // The form signs the session out: the next visit gets the sign-in page.
    const signedOut = await fetch(`${base}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(signedOut.status).toBe(303);
    expect((await home(base, { cookie })).status).toBe(401);
  });

  it('with auth off, takes the forms from its own pages only: a form or a bodiless fetch from another origin is refused', async () => {
    const { p, base } = await open(null);
    const origin = new URL(base).origin;
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${base}/admin/deployments/east/pause`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'action=pause' });
    for (const headers of [{ origin: 'http://evil.example' }, {}]) {
      const refused = await post(headers);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'cross_origin' });
    }
    // Nor a bodiless cross-site fetch (`mode: 'no-cors'` needs no form to send it), by its Origin
    // or by its Fetch Metadata.
    for (const headers of [{ origin: 'http://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
      const refused = await fetch(`${base}/admin/deployments/east/pause`, { method: 'POST', redirect: 'manual', headers });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'cross_origin' });
    }
    expect((await p.limiter.state('east')).pausedReason).toBeUndefined();
    expect((await post({ origin })).status).toBe(303);
    expect((await p.limiter.state('east')).pausedReason).toBe('paused from the dashboard by a local user (no auth)');
  });
});
