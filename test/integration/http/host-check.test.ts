import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'host-check-token-0123456789abcdef';
const ENQUEUE = JSON.stringify({ batchId: 'rebound', requests: [{ prompt: 'A kite', model: 'gpt-image-1-mini' }] });

/** A request with the Host header a page on another name would send (fetch does not let a caller set Host). */
function send(base: string, path: string, options: { host: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: options.method ?? 'GET', headers: { ...options.headers, host: options.host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('Host check: a page that rebinds its DNS name to this machine is turned away (421)', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  it('with auth off, answers only the loopback names at its port: a rebound page cannot enqueue', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const { base } = await serve(p, { apiToken: null });
    const port = new URL(base).port;
    const json = { 'content-type': 'application/json' };

    const rebound = await send(base, '/v1/batches', { host: `attacker.example:${port}`, method: 'POST', headers: json, body: ENQUEUE });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: 'misdirected_request' });
    expect((await p.producer.batches.summary('rebound')).images).toBe(0);
    expect((await send(base, '/healthz', { host: `localhost:${Number(port) + 1}` })).status).toBe(421);

    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) expect((await send(base, '/healthz', { host })).status).toBe(200);
    const local = await send(base, '/v1/batches', { host: `localhost:${port}`, method: 'POST', headers: json, body: ENQUEUE });
    expect(local.status).toBe(202);
  });

  it('with auth off, also answers the names listed, and refuses to start with "*"', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const { base, client } = await serve(p, { apiToken: null, allowedHosts: ['imgbatch.internal'] });
    expect((await send(base, '/healthz', { host: 'imgbatch.internal:8443' })).status).toBe(200);
    expect((await send(base, '/healthz', { host: 'other.internal' })).status).toBe(421);
    expect(() => createHttpServer({ client, apiToken: null, allowedHosts: ['*'] })).toThrow(/allowedHosts: "\*" is not allowed with auth off/);
  });

  it('with auth on, answers any Host unless names are listed; then others are refused even with the token', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const open = await serve(p, { apiToken: TOKEN });
    expect((await send(open.base, '/healthz', { host: 'api.example.com' })).status).toBe(200);
    await open.server.close();
    await open.client.close();

    const { base } = await serve(p, { apiToken: TOKEN, allowedHosts: ['api.example.com'] });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await send(base, '/openapi.json', { host: 'api.example.com', headers: auth })).status).toBe(200);
    expect((await send(base, '/openapi.json', { host: 'attacker.example', headers: auth })).status).toBe(421);
  });
});
