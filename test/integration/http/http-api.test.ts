import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createImgbatchClient } from '../../../src/client/imgbatch-client.js';
import { batchStatusSchema, cancelResultSchema, enqueueResultSchema, resultsPageSchema, validationErrorBodySchema } from '../../../src/http/api-schemas.js';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { createLogger } from '../../../src/log/logger.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Opened {
  readonly p: Pipeline;
  readonly base: string;
  call(path: string, init?: RequestInit & { token?: string | null }): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
}

/** POSTs a body in chunks without Content-Length, as a client streaming a file does. */
function postChunked(url: string, chunks: readonly string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/csv' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('HTTP API over real HTTP (fastify on port 0, real Redis, simulator, in-process worker)', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  async function open(options: { worker?: boolean; bodyLimitBytes?: number } = {}): Promise<Opened> {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    if (options.worker !== false) p.startWorker();
    const { base } = await serve(p, { apiToken: TOKEN, ...(options.bodyLimitBytes !== undefined && { bodyLimitBytes: options.bodyLimitBytes }) });
    return {
      p,
      base,
      async call(path, init = {}) {
        const { token = TOKEN, ...rest } = init;
        const headers = new Headers(rest.headers);
        if (token !== null) headers.set('authorization', `Bearer ${token}`);
        const response = await fetch(`${base}${path}`, { ...rest, headers });
        const text = await response.text();
        return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
      },
    };
  }

  async function waitUntilDone(o: Opened, batchId: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { body } = await o.call(`/v1/batches/${batchId}`);
      if (body.pending === 0) return body;
      if (Date.now() > deadline) throw new Error(`batch ${batchId} not done: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('requires the bearer token on every route but /healthz', async () => {
    const o = await open({ worker: false });
    const missing = await o.call('/v1/batches/x', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await o.call('/v1/batches/x', { token: `${TOKEN}x` })).status).toBe(401);
    expect((await o.call('/v1/batches', { method: 'POST', token: 'wrong', headers: { 'content-type': 'text/csv' }, body: 'prompt\nx\n' })).status).toBe(401);
    expect((await o.call('/openapi.json', { token: null })).status).toBe(401);
    expect(await o.call('/healthz', { token: null })).toMatchObject({ status: 200, body: { status: 'up' } });
    expect((await o.call('/openapi.json')).status).toBe(200);
  });

  it('takes a JSON batch (202, refused requests listed), reports its status and pages its results', async () => {
    const o = await open();
    const posted = await o.call('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        batchId: 'api-json',
        requests: [
          { id: 'a', prompt: 'a red kite', model: 'gpt-image-1-mini', n: 2 },
          { id: 'b', prompt: 'a blue kite', model: 'gpt-image-1-mini', quality: 'low' },
          { id: 'c', prompt: 'a green kite', model: 'gpt-image-1-mini', n: 0 },
        ],
      }),
    });
    expect(posted.status).toBe(202);
    expect(posted.headers.get('location')).toBe('/v1/batches/api-json');
    expect(posted.body).toMatchObject({ batchId: 'api-json', accepted: 2, jobsAdded: 3, imagesAdded: 3, statusUrl: '/v1/batches/api-json' });
    expect(posted.body.rejected).toEqual([{ location: 'requests[2]', index: 2, issues: [{ field: 'n', reason: '0 is below the minimum of 1' }] }]);
    // What the server sends is what the OpenAPI document says (its schemas are made from these).
    enqueueResultSchema.parse(posted.body);

    const done = await waitUntilDone(o, 'api-json');
    batchStatusSchema.parse(done);
    expect(done).toMatchObject({ batchId: 'api-json', images: 3, pending: 0, calls: 3, priority: 'normal', counts: { stored: 3, filtered: 0, failed: 0, rejected: 0, cancelled: 0 } });

    const first = await o.call('/v1/batches/api-json/results?limit=2');
    expect(first.status).toBe(200);
    expect((first.body.items as Array<{ key: string }>).map((r) => r.key)).toEqual(['api-json/a-0', 'api-json/a-1']);
    resultsPageSchema.parse(first.body);
    const second = await o.call(`/v1/batches/api-json/results?limit=2&cursor=${String(first.body.nextCursor)}`);
    expect(second.body.items).toEqual([expect.objectContaining({ key: 'api-json/b-0', status: 'stored', model: 'gpt-image-1-mini', quality: 'low' })]);
    expect(second.body.nextCursor).toBeUndefined();
    const refused = await o.call('/v1/batches/api-json/results?limit=0');
    expect(refused.body).toMatchObject({ error: 'validation', issues: [{ field: 'limit', reason: 'must be at least 1' }] });
    validationErrorBodySchema.parse(refused.body);
    expect((await o.call('/v1/batches/nope')).status).toBe(404);
    expect((await o.call('/v1/batches/nope/results')).status).toBe(404);
  });

  it('streams a text/csv body through the CSV ingest, with ?batchId= and refused rows named by row number', async () => {
    const o = await open();
    const csv = 'id,prompt,n,model,quality,sku\nmug,"A red mug, studio light",1,gpt-image-1-mini,low,SKU-1\nbad,A kite,zero,gpt-image-1-mini,low,SKU-2\nlamp,A brass lamp,2,gpt-image-1-mini,low,SKU-3\n';
    const posted = await o.call('/v1/batches?batchId=api-csv', { method: 'POST', headers: { 'content-type': 'text/csv; charset=utf-8' }, body: csv });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ batchId: 'api-csv', accepted: 2, imagesAdded: 3 });
    expect(posted.body.rejected).toEqual([{ location: 'row 3', row: 3, issues: [{ field: 'n', reason: '"zero" is not a number' }] }]);
    enqueueResultSchema.parse(posted.body);
    await waitUntilDone(o, 'api-csv');
    const { body } = await o.call('/v1/batches/api-csv/results');
    expect((body.items as Array<{ key: string; metadata?: Record<string, string> }>).map((r) => [r.key, r.metadata?.sku])).toEqual([
      ['api-csv/lamp-0', 'SKU-3'],
      ['api-csv/lamp-1', 'SKU-3'],
      ['api-csv/mug-0', 'SKU-1'],
    ]);
  });

  it('a batch enqueued into again with another priority shows the new one and gives it to new rows; rows enqueued without one get the batch\'s', async () => {
    const o = await open({ worker: false });
    const enqueue = (body: Record<string, unknown>) =>
      o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batchId: 'api-twice', ...body }) });
    const row = (id: string) => ({ id, prompt: `A ${id}`, model: 'gpt-image-1-mini' });
    expect((await enqueue({ priority: 'bulk', requests: [row('mug')] })).status).toBe(202);
    expect((await enqueue({ priority: 'high', requests: [row('mug'), row('lamp')] })).status).toBe(202);
    expect((await o.call('/v1/batches/api-twice')).body).toMatchObject({ priority: 'high', images: 2 });
    expect((await enqueue({ requests: [row('kite')] })).status).toBe(202);
    const priorities = await Promise.all(['mug', 'lamp', 'kite'].map(async (id) => (await o.p.producer.queue.getJob(`api-twice/${id}/v0`))?.data.priority));
    expect(priorities).toEqual(['bulk', 'high', 'high']);
    expect((await o.call('/v1/batches/api-twice')).body).toMatchObject({ priority: 'high', images: 3 });
  });

  it("gives the batch's jobs the priority a JSON body or a CSV query names, and refuses one it does not know", async () => {
    const o = await open({ worker: false });
    const request = { id: 'hero', prompt: 'A kite', model: 'gpt-image-1-mini' };
    const json = await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batchId: 'api-high', priority: 'high', requests: [request] }) });
    expect(json.status).toBe(202);
    const csv = await o.call('/v1/batches?batchId=api-bulk&priority=bulk', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'id,prompt,model\nmug,A mug,gpt-image-1-mini\n' });
    expect(csv.status).toBe(202);
    expect((await o.p.producer.queue.getJob('api-high/hero/v0'))?.data.priority).toBe('high');
    expect((await o.p.producer.queue.getJob('api-bulk/mug/v0'))?.data.priority).toBe('bulk');
    expect((await o.call('/v1/batches/api-high')).body).toMatchObject({ batchId: 'api-high', priority: 'high' });
    expect((await o.call('/v1/batches/api-bulk')).body).toMatchObject({ priority: 'bulk' });
    const bad = await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ priority: 'urgent', requests: [request] }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('priority');
  });

  it('answers 400 naming row or index and field when every request is bad, or the body itself is malformed', async () => {
    const o = await open({ worker: false });
    const csv = await o.call('/v1/batches?batchId=bad-csv', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'prompt,n,model\nA kite,11,gpt-image-1-mini\n,1,gpt-image-1-mini\n',
    });
    expect(csv).toMatchObject({
      status: 400,
      body: {
        error: 'validation',
        issues: [
          { location: 'row 2', row: 2, field: 'n', reason: '11 is over the maximum of 10' },
          { location: 'row 3', row: 3, field: 'prompt', reason: 'is required and must not be empty' },
        ],
      },
    });
    validationErrorBodySchema.parse(csv.body);
    const json = await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requests: [{ prompt: 'x' }] }) });
    expect(json).toMatchObject({ status: 400, body: { issues: [{ index: 0, field: 'model', reason: 'is required (an image model id such as gpt-image-1-mini)' }] } });
    const noRequests = await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batchId: 'x' }) });
    expect(noRequests).toMatchObject({ status: 400, body: { error: 'validation', issues: [{ field: 'requests', reason: 'is required: an array of requests' }] } });
    const badBatch = await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batchId: '../etc', requests: [{ prompt: 'x', model: 'gpt-image-1-mini' }] }) });
    expect(badBatch).toMatchObject({ status: 400, body: { issues: [{ field: 'batchId' }] } });
    expect((await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"requests": [' })).status).toBe(400);
    expect((await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })).status).toBe(415);
    expect((await o.call('/v1/batches/a..b')).body).toMatchObject({ error: 'validation', issues: [{ field: 'batchId' }] });
  });

  it('refuses a body over the limit with 413: JSON, CSV with a Content-Length, and chunked CSV', async () => {
    const o = await open({ worker: false, bodyLimitBytes: 2_048 });
    const big = 'x'.repeat(4_000);
    const json = await o.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requests: [{ prompt: big, model: 'gpt-image-1-mini' }] }) });
    expect(json).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    const csv = await o.call('/v1/batches?batchId=big', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `prompt,model\n${big},gpt-image-1-mini\n` });
    expect(csv).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    const rows = Array.from({ length: 100 }, (_, i) => `prompt number ${i} of a long file,gpt-image-1-mini\n`);
    const chunked = await postChunked(`${o.base}/v1/batches?batchId=chunked`, ['prompt,model\n', ...rows]);
    expect(chunked).toMatchObject({ status: 413, body: { error: 'body_too_large', message: 'request body is over the limit of 2048 bytes' } });
    // Under the limit, the same server takes a CSV.
    expect((await o.call('/v1/batches?batchId=small', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'prompt,model\nA kite,gpt-image-1-mini\n' })).status).toBe(202);
  });

  it('DELETE cancels what has not started; the batch then counts those images as cancelled', async () => {
    const o = await open({ worker: false });
    await o.call('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: 'api-cancel', requests: [{ prompt: 'a kite', model: 'gpt-image-1-mini', n: 3 }] }),
    });
    const cancelled = await o.call('/v1/batches/api-cancel', { method: 'DELETE' });
    expect(cancelled).toMatchObject({ status: 200, body: { batchId: 'api-cancel', jobsCancelled: 3, imagesCancelled: 3, jobsInFlight: 0, summary: { pending: 0, counts: { cancelled: 3 } } } });
    cancelResultSchema.parse(cancelled.body);
    expect((await o.call('/v1/batches/api-cancel')).body).toMatchObject({ images: 3, pending: 0, counts: { cancelled: 3 } });
    expect((await o.call('/v1/batches/never-made', { method: 'DELETE' })).status).toBe(404);
  });

  it('/healthz answers 503 "down" when Redis does not, with the reason in the log and not in the public body', async () => {
    const logged: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged.push(chunk.toString());
        callback();
      },
    });
    const deadClient = createImgbatchClient({ connection: 'redis://127.0.0.1:1', prefix: 'unused' });
    const deadServer = createHttpServer({ client: deadClient, apiToken: TOKEN, logger: createLogger({ destination }) });
    try {
      const base = await deadServer.listen({ port: 0 });
      const response = await fetch(`${base}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('{"status":"down"}');
      const line = logged.find((text) => text.includes('health check'));
      expect(line).toContain('127.0.0.1:1');
    } finally {
      await deadServer.close();
      await deadClient.close().catch(() => undefined);
    }
  });
});
