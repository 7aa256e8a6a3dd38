import { describe, expect, it } from 'vitest';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'rate-limit-token-0123456789abcdef';
const FAILURES_PER_MINUTE = 3;

describe('failed authentications are limited per client address: 429 with Retry-After after the budget', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  /** Clients told apart by X-Forwarded-For, which the server believes because it trusts its peer (this test) as a proxy. */
  async function open(): Promise<string> {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    return (await serve(p, { apiToken: TOKEN, authFailuresPerMinute: FAILURES_PER_MINUTE, trustProxy: true })).base;
  }

  it('answers wrong bearer tokens 401 up to the budget, then 429 to any token from that client, the right one too; other clients are not affected', async () => {
    const base = await open();
    const get = (token: string, client: string): Promise<Response> => fetch(`${base}/v1/batches/shop`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client } });
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) expect((await get(`guess-${i}-0123456789abcdef`, '203.0.113.9')).status).toBe(401);
    const limited = await get('guess-x-0123456789abcdef', '203.0.113.9');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(await limited.json()).toEqual({ error: 'too_many_auth_failures', message: 'too many failed authentications from this address; try again in 20 s' });
    // The right token is not even compared: a guesser learns nothing while limited.
    expect((await get(TOKEN, '203.0.113.9')).status).toBe(429);

    expect((await get(TOKEN, '198.51.100.4')).status).toBe(404);
    expect((await get('wrong-token-0123456789abcdef', '198.51.100.4')).status).toBe(401);
    // Public routes need no credentials and are not limited.
    expect((await fetch(`${base}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
  });

  it('answers wrong sign-ins with the form up to the budget, then 429 with the form and no cookie, the right token too', async () => {
    const base = await open();
    const login = (token: string, client: string): Promise<Response> =>
      fetch(`${base}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': client },
        body: new URLSearchParams({ token, next: '/batches/shop' }).toString(),
      });
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) expect((await login(`guess-${i}`, '203.0.113.9')).status).toBe(401);
    const limited = await login(TOKEN, '203.0.113.9');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(limited.headers.get('set-cookie')).toBeNull();
    expect(await limited.text()).toContain('Too many failed sign-ins from this address: try again in 20 s.');

    const other = await login(TOKEN, '198.51.100.4');
    expect(other.status).toBe(303);
    expect(other.headers.get('set-cookie')).toMatch(/^imgbatch_session=/);
  });
});
