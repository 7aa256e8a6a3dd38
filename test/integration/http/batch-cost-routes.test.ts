import { describe, expect, it } from 'vitest';
import type { ImgbatchClient } from '../../../src/client/imgbatch-client.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

// gpt-image-1.5 low 1024², 15-character prompts: $0.008724 an image, expected and billed (see budget-and-cost.test.ts).
const GPT = { name: 'gpt', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'test-token-0123456789abcdef';

function kites(count: number): Array<{ id: string; prompt: string; model: string; quality: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `kite-${i}`, prompt: `A kite number ${i}`, model: 'gpt-image-1.5', quality: 'low' }));
}

describe('budget and cost over the HTTP API and the library client', () => {
  const open = usePipeline();
  const serveHttp = useHttpServer();

  async function serve(): Promise<{ client: ImgbatchClient; call: (path: string, init?: RequestInit) => Promise<{ status: number; body: Record<string, unknown> }> }> {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    const { client, base } = await serveHttp(p, { apiToken: TOKEN });
    return {
      client,
      async call(path, init = {}) {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${TOKEN}`);
        const response = await fetch(`${base}${path}`, { ...init, headers });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      },
    };
  }

  it('POST /v1/batches takes maxCostUsd; GET /v1/batches/:id shows the cost so far, the budget and the skipped images with their reason code', async () => {
    const api = await serve();
    const posted = await api.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batchId: 'api-budget', maxCostUsd: 0.02, requests: kites(4) }) });
    expect(posted.status).toBe(202);
    const done = await waitFor(
      async () => {
        const { body } = await api.call('/v1/batches/api-budget');
        return body.pending === 0 ? body : undefined;
      },
      15_000,
      () => 'batch api-budget to finish',
    );
    expect(done).toMatchObject({ counts: { stored: 2, skipped: 2 }, costUsd: 0.017448, inFlightCostUsd: 0, maxCostUsd: 0.02, calls: 2 });
    const problems = done.problems as { total: number; images: Array<Record<string, unknown>> };
    expect(problems.total).toBe(2);
    expect(problems.images).toHaveLength(2);
    for (const image of problems.images) {
      expect(image).toMatchObject({ imageKey: expect.stringMatching(/^api-budget\/kite-\d-0$/) as string, outcome: 'skipped', reason: 'budget_exceeded', message: expect.stringMatching(/^budget: /) as string });
    }
    // Capped: a status never reads a huge batch's problems whole.
    const capped = await api.client.problems('api-budget', { limit: 1 });
    expect(capped.total).toBe(2);
    expect(capped.images).toHaveLength(1);
  });

  it('a CSV body takes ?maxCostUsd=; a bad amount is a 400 naming the field', async () => {
    const api = await serve();
    const csv = ['id,prompt,model,quality', ...kites(3).map((k) => `${k.id},${k.prompt},${k.model},${k.quality}`)].join('\n');
    const posted = await api.call('/v1/batches?batchId=api-csv&maxCostUsd=0.02', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(posted.status).toBe(202);
    expect((await api.call('/v1/batches/api-csv')).body).toMatchObject({ maxCostUsd: 0.02 });

    const negative = await api.call('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ maxCostUsd: -1, requests: kites(1) }) });
    expect(negative).toMatchObject({ status: 400, body: { error: 'validation', issues: [{ field: 'maxCostUsd', reason: 'must be an amount in USD, 0 or more' }] } });
    const text = await api.call('/v1/batches?maxCostUsd=lots', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(text).toMatchObject({ status: 400, body: { error: 'validation', issues: [{ field: 'maxCostUsd' }] } });
  });

  it('the library client sets the budget before adding jobs, under a batch id of its own when none is given', async () => {
    const { client } = await serve();
    const result = await client.enqueue(kites(2), { maxCostUsd: 0.011 });
    expect(result.batchId).toMatch(/^b-/);
    const summary = await client.waitForBatch(result.batchId, { timeoutMs: 15_000, pollMs: 50 });
    expect(summary).toMatchObject({ counts: { stored: 1, skipped: 1 }, costUsd: 0.008724, maxCostUsd: 0.011 });
  });
});
