import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServerOptions } from '../../../src/http/create-http-server.js';
import { createRedisSessionRevocations } from '../../../src/http/redis-session-revocations.js';
import { createRedisClient } from '../../../src/queue/redis-connection.js';
import { useHttpServer, type ServedPipeline } from '../../helpers/http-server.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'dashboard-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };
const HTML = { accept: 'text/html,application/xhtml+xml' };

describe('dashboard auth over real HTTP: bearer for everything, a session cookie for reads only', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  /** A server over a batch of two images that no worker has run (both pending). */
  async function open(apiToken: string | null = TOKEN, options: Omit<HttpServerOptions, 'client' | 'apiToken'> = {}): Promise<ServedPipeline & { readonly p: Pipeline }> {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    await p.producer.enqueue([{ id: 'mug', prompt: 'A red mug', n: 2, model: 'gpt-image-1-mini' }], { batchId: 'shop' });
    return { ...(await serve(p, { apiToken, ...options })), p };
  }

  function login(base: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  it('signs in with the token: 303 to the page asked for, with a session cookie that reads but never writes', async () => {
    const { base } = await open();
    const signedIn = await login(base, { token: TOKEN, next: '/batches/shop?page=1' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/batches/shop?page=1');
    const setCookie = signedIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^imgbatch_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = { cookie: setCookie.split(';')[0] ?? '' };

    const page = await fetch(`${base}/batches/shop`, { headers: { ...cookie, ...HTML } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; img-src data: 'self'; .*; frame-ancestors 'none'$/);
    const html = await page.text();
    expect(html.match(/<li class="tile" data-status="pending"/g)).toHaveLength(2);
    expect((await fetch(`${base}/admin/queues`, { headers: { ...cookie, ...HTML } })).status).toBe(200);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: cookie })).status).toBe(200);
    expect((await fetch(`${base}/v1/batches/shop`, { headers: cookie })).status).toBe(200);

    // Anything that changes state needs the bearer header, whatever cookie comes along.
    const post = await fetch(`${base}/v1/batches`, { method: 'POST', headers: { ...cookie, 'content-type': 'application/json' }, body: JSON.stringify({ requests: [{ prompt: 'x', model: 'gpt-image-1-mini' }] }) });
    expect(post.status).toBe(401);
    expect((await fetch(`${base}/v1/batches/shop`, { method: 'DELETE', headers: cookie })).status).toBe(401);
    const summary: unknown = await fetch(`${base}/v1/batches/shop`, { headers: BEARER }).then((r) => r.json());
    expect(summary).toMatchObject({ pending: 2, counts: { cancelled: 0 } });
  });

  it('marks the session cookie Secure when the browser used https by a trusted proxy (X-Forwarded-Proto), and only then', async () => {
    const viaProxy = { 'x-forwarded-proto': 'https' };
    const { base, client } = await open(TOKEN, { trustProxy: true });
    expect((await login(base, { token: TOKEN }, viaProxy)).headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    expect((await login(base, { token: TOKEN })).headers.get('set-cookie')).not.toContain('Secure');

    // The header from a peer that is not a trusted proxy says nothing.
    for (const trustProxy of [false, ['10.0.0.0/8']]) {
      const untrusting = createHttpServer({ client, apiToken: TOKEN, trustProxy });
      try {
        const untrustingBase = await untrusting.listen({ port: 0 });
        expect((await login(untrustingBase, { token: TOKEN }, viaProxy)).headers.get('set-cookie')).not.toContain('Secure');
      } finally {
        await untrusting.close();
      }
    }
    expect(() => createHttpServer({ client, apiToken: TOKEN, trustProxy: ['10.0.0.0/40'] })).toThrow(/trustProxy: "10.0.0.0\/40" is not an address/);
  });

  it('signs out at POST /admin/logout: the cookie is cleared, and the old cookie replayed is refused', async () => {
    const { base } = await open();
    const setCookie = (await login(base, { token: TOKEN })).headers.get('set-cookie') ?? '';
    const cookie = { cookie: setCookie.split(';')[0] ?? '' };
    expect((await fetch(`${base}/batches/shop`, { headers: cookie })).status).toBe(200);

    const out = await fetch(`${base}/admin/logout`, { method: 'POST', redirect: 'manual', headers: cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin/login');
    expect(out.headers.get('set-cookie')).toBe('imgbatch_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict');
    // A copy of the cookie kept anywhere no longer works: the server ended the session.
    for (const path of ['/batches/shop', '/v1/batches/shop', '/admin/queues/api/queues']) expect((await fetch(`${base}${path}`, { headers: cookie })).status).toBe(401);
    // A new sign-in is a new session.
    const again = (await login(base, { token: TOKEN })).headers.get('set-cookie') ?? '';
    expect((await fetch(`${base}/batches/shop`, { headers: { cookie: again.split(';')[0] ?? '' } })).status).toBe(200);
  });

  it('with sign-outs kept in Redis, a session ended on one API replica is refused by another', async () => {
    const { base, client, p } = await open();
    const connection = createRedisClient(p.redisUrl, 'producer');
    try {
      const revocations = createRedisSessionRevocations({ connection, prefix: p.prefix });
      const replicaA = createHttpServer({ client, apiToken: TOKEN, sessionRevocations: revocations });
      const replicaB = createHttpServer({ client, apiToken: TOKEN, sessionRevocations: revocations });
      try {
        const [baseA, baseB] = await Promise.all([replicaA.listen({ port: 0 }), replicaB.listen({ port: 0 })]);
        const cookie = { cookie: ((await login(baseA, { token: TOKEN })).headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
        expect((await fetch(`${baseB}/batches/shop`, { headers: cookie })).status).toBe(200);
        expect((await fetch(`${baseA}/admin/logout`, { method: 'POST', redirect: 'manual', headers: cookie })).status).toBe(303);
        expect((await fetch(`${baseB}/batches/shop`, { headers: cookie })).status).toBe(401);
        // The server that keeps sign-outs in memory knows nothing of it: the reason serve uses Redis.
        expect((await fetch(`${base}/batches/shop`, { headers: cookie })).status).toBe(200);
      } finally {
        await Promise.all([replicaA.close(), replicaB.close()]);
      }
    } finally {
      await connection.quit();
    }
  });

  it('refuses a wrong token with the form again and no cookie; never redirects off the server', async () => {
    const { base } = await open();
    const wrong = await login(base, { token: `${TOKEN}x`, next: '/batches/shop' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not a token this server takes.');
    expect((await login(base, { token: '' })).status).toBe(401);

    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/.//evil.example', '/%2e//evil.example']) {
      const response = await login(base, { token: TOKEN, next });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/admin');
    }
    expect((await login(base, { token: TOKEN })).headers.get('location')).toBe('/admin');
  });

  it('reads at most 4 KiB at sign-in (a public route) and 16 KiB on routes that take no upload: larger bodies get 413', async () => {
    const { base } = await open();
    const padding = 'x'.repeat(5_000);
    const json = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN, padding }) });
    expect(json.status).toBe(413);
    expect(await json.json()).toEqual({ error: 'body_too_large', message: 'request body is over the limit of 4096 bytes' });
    const form = await login(base, { token: TOKEN, next: '/batches/shop', padding });
    expect(form.status).toBe(413);
    expect(form.headers.get('set-cookie')).toBeNull();
    // The same sign-in, small, works.
    expect((await login(base, { token: TOKEN, next: '/batches/shop' })).status).toBe(303);

    const cancel = await fetch(`${base}/v1/batches/shop`, { method: 'DELETE', headers: { ...BEARER, 'content-type': 'application/json' }, body: JSON.stringify({ padding: 'x'.repeat(20_000) }) });
    expect(cancel.status).toBe(413);
    expect(await cancel.json()).toMatchObject({ message: 'request body is over the limit of 16384 bytes' });
  });

  it('without credentials: a browser navigating gets the sign-in page, everything else the JSON 401; /healthz and the sign-in page stay open', async () => {
    const { base } = await open();
    const page = await fetch(`${base}/batches/shop?page=1`, { headers: HTML });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self';/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/admin/login">');
    expect(html).toContain('<input type="hidden" name="next" value="/batches/shop?page=1">');

    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/batches/shop', '/v1/batches/shop/images/mug-0']) {
      const response = await fetch(`${base}${path}`, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    const forged = { cookie: `imgbatch_session=${Date.now() + 60_000}.${'A'.repeat(43)}` };
    expect((await fetch(`${base}/batches/shop`, { headers: { ...forged, ...HTML } })).status).toBe(401);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const form = await fetch(`${base}/admin/login?next=/batches/shop`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="next" value="/batches/shop"');
  });

  it('takes the bearer header on the dashboard routes too, and documents the image route', async () => {
    const { base } = await open();
    const board = await fetch(`${base}/admin/queues`, { headers: BEARER });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<base href="/admin/queues/" />');
    const queues = (await fetch(`${base}/admin/queues/api/queues`, { headers: BEARER }).then((r) => r.json())) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    expect(queues.queues.map((q) => [q.name, q.readOnlyMode])).toEqual([['images', true], ['schedules', true]]);
    // Read-only: bull-board refuses to change jobs behind imgbatch's back.
    expect((await fetch(`${base}/admin/queues/api/queues/images/pause`, { method: 'PUT', headers: BEARER })).status).toBeGreaterThanOrEqual(400);

    const openApi = (await fetch(`${base}/openapi.json`, { headers: BEARER }).then((r) => r.json())) as { paths: Record<string, Record<string, unknown>> };
    expect(openApi.paths['/v1/batches/{batchId}/images/{name}']).toHaveProperty('get');
  });

  it('with auth off, the dashboard is open and signing in just redirects', async () => {
    const { base } = await open(null);
    expect((await fetch(`${base}/admin/queues`, { headers: HTML })).status).toBe(200);
    expect((await fetch(`${base}/batches/shop`, { headers: HTML })).status).toBe(200);
    const signedIn = await login(base, { token: '', next: '/batches/shop' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('set-cookie')).toBeNull();
  });

  it('close() does not wait for a connection that never sent a request (a browser opens spare ones)', async () => {
    const { base, client, server } = await open();
    // Let the client's Redis connection come up first: this test makes no request that would
    // wait for it, and closing a client whose connection is still opening leaves an unhandled
    // "Connection is closed" rejection behind (a race in the client's close, not in the server).
    await client.ping();
    const spare = connect(Number(new URL(base).port), '127.0.0.1');
    await once(spare, 'connect');
    const closedByServer = once(spare, 'close');
    await server.close();
    await closedByServer;
  });
});
