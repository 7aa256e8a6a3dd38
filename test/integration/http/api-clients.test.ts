import { afterEach, describe, expect, it } from 'vitest';
import type { ApiClientConfig, ApiScope } from '../../../src/config/api-client-config.js';
import { hashApiToken } from '../../../src/http/hash-api-token.js';
import { createPrometheusMetrics } from '../../../src/metrics/prometheus-metrics.js';
import { createRedisClient } from '../../../src/queue/redis-connection.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { parsePrometheusText, sampleValue } from '../../helpers/parse-prometheus-text.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const REQUEST = { prompt: 'a red mug', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low' };

/** A client of the config file, with its token (the file holds only the hash). */
function client(name: string, scopes: readonly ApiScope[], extra: Partial<ApiClientConfig> = {}): { token: string; config: ApiClientConfig } {
  const token = `${name}-token-${'x'.repeat(32)}`;
  return { token, config: { name, tokenSha256: hashApiToken(token), scopes, ...extra } };
}

const READER = client('reader', ['read']);
const ENQUEUER = client('enqueuer', ['enqueue']);
const CANCELLER = client('canceller', ['cancel']);
const OPERATOR = client('operator', ['admin']);
const SHOP = client('shop', ['enqueue', 'read', 'cancel'], { batchPrefix: 'shop-' });
const CAPPED = client('capped', ['enqueue', 'read'], { dailyCapUsd: 0.000001 });
const CLIENTS = [READER, ENQUEUER, CANCELLER, OPERATOR, SHOP, CAPPED];

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

describe('API clients: per-client tokens with scopes, batch prefixes and daily caps (real Redis, real HTTP)', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();
  let closeMetrics: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await closeMetrics?.();
    closeMetrics = undefined;
  });

  async function open(options: { worker?: boolean } = {}): Promise<{ p: Pipeline; call: (token: string, path: string, init?: RequestInit & { json?: unknown }) => Promise<Reply> }> {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    if (options.worker === true) p.startWorker();
    const connection = createRedisClient(p.redisUrl, 'producer');
    const metrics = createPrometheusMetrics({ connection, prefix: p.prefix });
    closeMetrics = async () => {
      await metrics.close();
      await connection.quit();
    };
    const { base } = await serve(p, { apiToken: ADMIN_TOKEN, clients: CLIENTS.map((c) => c.config), metrics });
    return {
      p,
      async call(token, path, init = {}) {
        const { json, ...rest } = init;
        const headers = new Headers(rest.headers);
        headers.set('authorization', `Bearer ${token}`);
        if (json !== undefined) headers.set('content-type', 'application/json');
        const response = await fetch(`${base}${path}`, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
        const text = await response.text();
        // /metrics answers in Prometheus text, kept as `text`.
        const isJson = (response.headers.get('content-type') ?? '').includes('json');
        const body: Record<string, unknown> = isJson ? (JSON.parse(text) as Record<string, unknown>) : { text };
        return { status: response.status, body, headers: response.headers };
      },
    };
  }

  it('lets each scope through to its routes and refuses the others with 403 scope_missing', async () => {
    const { p, call } = await open();
    await p.producer.enqueue([REQUEST], { batchId: 'any-batch' });
    const routes: ReadonlyArray<{ route: string; scope: ApiScope; send: (token: string) => Promise<Reply> }> = [
      { route: 'POST /v1/batches', scope: 'enqueue', send: (token) => call(token, '/v1/batches', { method: 'POST', json: { batchId: `b-${token.slice(0, 6)}`, requests: [REQUEST] } }) },
      { route: 'GET /v1/batches/:id', scope: 'read', send: (token) => call(token, '/v1/batches/any-batch') },
      { route: 'GET /v1/batches/:id/results', scope: 'read', send: (token) => call(token, '/v1/batches/any-batch/results') },
      { route: 'DELETE /v1/batches/:id', scope: 'cancel', send: (token) => call(token, '/v1/batches/any-batch', { method: 'DELETE' }) },
      { route: 'GET /metrics', scope: 'admin', send: (token) => call(token, '/metrics') },
    ];
    for (const { route, scope, send } of routes) {
      for (const c of [READER, ENQUEUER, CANCELLER, OPERATOR]) {
        const reply = await send(c.token);
        const isAllowed = c.config.scopes.includes(scope) || c.config.scopes.includes('admin');
        if (isAllowed) expect({ route, client: c.config.name, status: reply.status }).toMatchObject({ status: expect.toSatisfy((s: number) => s >= 200 && s < 300) as unknown });
        else expect({ route, client: c.config.name, ...reply.body, status: reply.status }).toMatchObject({ status: 403, error: 'scope_missing', message: expect.stringContaining(`the ${scope} scope`) as unknown });
      }
    }
    // The batch enqueued by `enqueuer` records it as its client.
    expect((await call(OPERATOR.token, '/v1/batches/b-enqueu')).body).toMatchObject({ client: 'enqueuer' });
  });

  it('keeps a client with a batch prefix to batches in it, and names new batches inside it', async () => {
    const { p, call } = await open();
    await p.producer.enqueue([REQUEST], { batchId: 'other-1' });
    await p.producer.enqueue([REQUEST], { batchId: 'shop-1' });
    expect(await call(SHOP.token, '/v1/batches/other-1')).toMatchObject({ status: 403, body: { error: 'batch_outside_prefix' } });
    expect(await call(SHOP.token, '/v1/batches/other-1/results')).toMatchObject({ status: 403, body: { error: 'batch_outside_prefix' } });
    expect(await call(SHOP.token, '/v1/batches/other-1', { method: 'DELETE' })).toMatchObject({ status: 403, body: { error: 'batch_outside_prefix' } });
    const outside = await call(SHOP.token, '/v1/batches', { method: 'POST', json: { batchId: 'other-2', requests: [REQUEST] } });
    expect(outside).toMatchObject({ status: 403, body: { error: 'batch_outside_prefix', message: expect.stringContaining('"shop-"') as unknown } });
    const outsideCsv = await call(SHOP.token, '/v1/batches?batchId=other-3', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'prompt,model\na mug,gpt-image-1-mini\n' });
    expect(outsideCsv).toMatchObject({ status: 403, body: { error: 'batch_outside_prefix' } });
    // Nothing of the refused batches was made.
    expect((await p.producer.batches.summary('other-2')).createdAt).toBeUndefined();
    expect((await p.producer.batches.summary('other-3')).createdAt).toBeUndefined();

    expect((await call(SHOP.token, '/v1/batches/shop-1')).status).toBe(200);
    const named = await call(SHOP.token, '/v1/batches', { method: 'POST', json: { requests: [REQUEST] } });
    expect(named.status).toBe(202);
    expect(named.body.batchId).toMatch(/^shop-b-/);
    expect((await call(SHOP.token, `/v1/batches/${String(named.body.batchId)}`)).body).toMatchObject({ client: 'shop', clientSpend: { client: 'shop', todayUsd: 0, totalUsd: 0 } });
  });

  it("refuses an enqueue into another client's batch, and lets admin in", async () => {
    const { call } = await open();
    expect((await call(ENQUEUER.token, '/v1/batches', { method: 'POST', json: { batchId: 'mine', requests: [REQUEST] } })).status).toBe(202);
    const other = await call(SHOP.token, '/v1/batches', { method: 'POST', json: { batchId: 'shop-x', requests: [REQUEST] } });
    expect(other.status).toBe(202);
    const intrusion = await call(ENQUEUER.token, '/v1/batches', { method: 'POST', json: { batchId: 'shop-x', requests: [{ ...REQUEST, id: 'more' }] } });
    expect(intrusion).toMatchObject({ status: 403, body: { error: 'batch_of_another_client', message: expect.stringContaining('client shop') as unknown } });
    expect((await call(ADMIN_TOKEN, '/v1/batches', { method: 'POST', json: { batchId: 'shop-x', requests: [{ ...REQUEST, id: 'more' }] } })).status).toBe(202);
    expect((await call(ADMIN_TOKEN, '/v1/batches/shop-x')).body).toMatchObject({ client: 'shop', images: 2 });
  });

  it('refuses enqueues with 429 daily_cap_reached once the client has spent its daily cap, and shows spend per client in the batch and the metrics', async () => {
    const { p, call } = await open({ worker: true });
    const first = await call(CAPPED.token, '/v1/batches', { method: 'POST', json: { batchId: 'capped-1', requests: [REQUEST] } });
    expect(first.status).toBe(202);
    const done = await p.waitForBatch('capped-1');
    expect(done.costUsd).toBeGreaterThan(0);

    const refused = await call(CAPPED.token, '/v1/batches', { method: 'POST', json: { batchId: 'capped-2', requests: [REQUEST] } });
    expect(refused).toMatchObject({ status: 429, body: { error: 'daily_cap_reached', message: expect.stringMatching(/client capped has spent \$0\.\d+ today \(UTC\), its daily cap is \$0\.0000/) as unknown } });
    const retryAfterSeconds = Number(refused.headers.get('retry-after'));
    expect(retryAfterSeconds).toBeGreaterThan(0);
    expect(retryAfterSeconds).toBeLessThanOrEqual(86_400);
    expect((await p.producer.batches.summary('capped-2')).createdAt).toBeUndefined();
    // Another client is not held back by it.
    expect((await call(ENQUEUER.token, '/v1/batches', { method: 'POST', json: { batchId: 'free-1', requests: [REQUEST] } })).status).toBe(202);

    const status = await call(CAPPED.token, '/v1/batches/capped-1');
    expect(status.body).toMatchObject({ client: 'capped', clientSpend: { client: 'capped', todayUsd: done.costUsd, totalUsd: done.costUsd, dailyCapUsd: 0.000001 } });
    const samples = parsePrometheusText((await call(ADMIN_TOKEN, '/metrics')).body.text as string);
    expect(sampleValue(samples, 'imgbatch_client_cost_usd_total', { client: 'capped' })).toBeCloseTo(done.costUsd, 6);
    expect(sampleValue(samples, 'imgbatch_client_cost_usd_today', { client: 'capped' })).toBeCloseTo(done.costUsd, 6);
  });

  it('takes IMGBATCH_API_TOKEN as admin beside the clients, and refuses unknown tokens with 401', async () => {
    const { p, call } = await open();
    await p.producer.enqueue([REQUEST], { batchId: 'shop-2' });
    expect((await call(ADMIN_TOKEN, '/v1/batches/shop-2')).status).toBe(200);
    expect((await call(ADMIN_TOKEN, '/metrics')).status).toBe(200);
    expect((await call(`${SHOP.token}x`, '/v1/batches/shop-2')).status).toBe(401);
    expect((await call(SHOP.config.tokenSha256, '/v1/batches/shop-2')).status).toBe(401);
  });
});
