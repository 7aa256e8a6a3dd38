import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { batchStatusSchema } from '../../../src/http/api-schemas.js';
import { createLogger } from '../../../src/log/logger.js';
import type { CallbackPolicy } from '../../../src/webhooks/check-callback-url.js';
import { createWebhookService, type WebhookService } from '../../../src/webhooks/webhook-service.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'test-token-0123456789abcdef';
const POLICY: CallbackPolicy = { allowedHosts: ['127.0.0.1'], allowLoopbackHttp: true };
const REQUEST = { prompt: 'a lamp', model: 'gpt-image-1-mini' };

describe('callbacks over the HTTP API: named at enqueue, checked against the allow-list, delivery state in GET /v1/batches/:id', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** A loopback receiver that answers every POST with `status`, counting them. */
  async function startReceiver(status: number): Promise<{ url: string; count: () => number }> {
    let count = 0;
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        count++;
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    );
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, count: () => count };
  }

  async function open(options: { worker?: boolean; policy?: CallbackPolicy } = {}) {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const { base } = await serve(p, { apiToken: TOKEN, ...(options.policy !== undefined && { callbackPolicy: options.policy }) });
    if (options.worker === true) {
      p.startWorker();
      const connection = new Redis(p.redisUrl, { maxRetriesPerRequest: null });
      const service: WebhookService = createWebhookService({
        connection,
        prefix: p.prefix,
        settings: { secret: 'whsec-http-callbacks-test', policy: POLICY, timeoutMs: 2_000 },
        consumerName: 'http-callbacks',
        logger: createLogger({ level: 'silent' }),
        retryDelayMs: () => 200,
      });
      closers.unshift(async () => {
        await service.close();
        await connection.quit();
      });
    }
    const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${TOKEN}`);
      const response = await fetch(`${base}${path}`, { ...init, headers });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const postJson = (body: unknown) => call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { p, call, postJson };
  }

  it('records a JSON body’s callback and a CSV query’s, per image when asked', async () => {
    const { p, call, postJson } = await open({ policy: POLICY });
    expect((await postJson({ batchId: 'cb-json', callback: { url: 'http://127.0.0.1:9/hooks' }, requests: [REQUEST] })).status).toBe(202);
    expect(await p.producer.batches.callbackOf('cb-json')).toEqual({ url: 'http://127.0.0.1:9/hooks', perImage: false });
    const csv = await call(`/v1/batches?batchId=cb-csv&callbackUrl=${encodeURIComponent('http://127.0.0.1:9/csv')}&callbackPerImage=true`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'prompt,model\na lamp,gpt-image-1-mini\n',
    });
    expect(csv.status).toBe(202);
    expect(await p.producer.batches.callbackOf('cb-csv')).toEqual({ url: 'http://127.0.0.1:9/csv', perImage: true });
  });

  it('refuses with 400 naming the field a callback whose host is not allowed, or any callback when none is, and enqueues nothing', async () => {
    const allowed = await open({ policy: POLICY });
    const offList = await allowed.postJson({ batchId: 'cb-bad', callback: { url: 'https://hooks.example.com/x' }, requests: [REQUEST] });
    expect(offList).toMatchObject({ status: 400, body: { error: 'validation', issues: [{ field: 'callback.url', reason: expect.stringContaining('host hooks.example.com is not on') as unknown }] } });
    expect((await allowed.p.producer.batches.summary('cb-bad')).createdAt).toBeUndefined();
    const csv = await allowed.call('/v1/batches?batchId=cb-bad-csv&callbackUrl=ftp%3A%2F%2F127.0.0.1%2Fx', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'prompt,model\na lamp,gpt-image-1-mini\n' });
    expect(csv).toMatchObject({ status: 400, body: { issues: [{ field: 'callbackUrl', reason: expect.stringContaining('ftp:// is not allowed') as unknown }] } });
    const malformed = await allowed.postJson({ batchId: 'cb-bad', callback: { url: 'http://127.0.0.1/x', perImage: 'yes' }, requests: [REQUEST] });
    expect(malformed).toMatchObject({ status: 400, body: { issues: [expect.objectContaining({ field: 'callback.perImage' })] } });

    const off = await open();
    const refused = await off.postJson({ batchId: 'cb-off', callback: { url: 'https://hooks.example.com/x' }, requests: [REQUEST] });
    expect(refused).toMatchObject({ status: 400, body: { issues: [{ field: 'callback.url', reason: expect.stringContaining('callbacks are off') as unknown }] } });
  });

  it("shows each event's delivery state in GET /v1/batches/:id: delivered, or retrying with the receiver's status", async () => {
    const ok = await startReceiver(200);
    const failing = await startReceiver(500);
    const { call, postJson, p } = await open({ worker: true, policy: POLICY });
    expect((await postJson({ batchId: 'cb-ok', callback: { url: ok.url }, requests: [REQUEST] })).status).toBe(202);
    expect((await postJson({ batchId: 'cb-500', callback: { url: failing.url }, requests: [REQUEST] })).status).toBe(202);
    await p.waitForBatch('cb-ok');
    await p.waitForBatch('cb-500');

    const webhooksOf = async (batchId: string) => batchStatusSchema.parse((await call(`/v1/batches/${batchId}`)).body).webhooks;
    await waitFor(
      async () => ((await webhooksOf('cb-ok'))[0]?.status === 'delivered' ? true : undefined),
      15_000,
      () => 'the batch.ended event of cb-ok delivered',
    );
    expect(await webhooksOf('cb-ok')).toEqual([
      expect.objectContaining({ type: 'batch.ended', status: 'delivered', attempts: 1, lastHttpStatus: 200 }),
    ]);
    expect(ok.count()).toBe(1);

    await waitFor(
      async () => (((await webhooksOf('cb-500'))[0]?.attempts ?? 0) >= 2 ? true : undefined),
      15_000,
      () => 'a second attempt at the batch.ended event of cb-500',
    );
    const retrying = await webhooksOf('cb-500');
    expect(retrying).toEqual([expect.objectContaining({ type: 'batch.ended', status: 'retrying', lastHttpStatus: 500 })]);
    expect(failing.count()).toBeGreaterThanOrEqual(2);
  });
});
