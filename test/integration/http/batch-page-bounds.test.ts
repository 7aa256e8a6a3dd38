import { afterEach, describe, expect, it } from 'vitest';
import { createImgbatchClient, type ImgbatchClient } from '../../../src/client/imgbatch-client.js';
import { createHttpServer, type HttpServer } from '../../../src/http/create-http-server.js';
import type { ResultStore } from '../../../src/storage/result-store.js';
import { usePipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'page-bounds-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** The pipeline's real store, with a count of the reads made through it. */
function countingReads(store: ResultStore): { store: ResultStore; reads: () => number } {
  let reads = 0;
  const counted: ResultStore = {
    ...store,
    getRecord: (key) => {
      reads++;
      return store.getRecord(key);
    },
    listRecords: (batchId) => {
      reads++;
      return store.listRecords(batchId);
    },
    readImage: (record) => {
      reads++;
      return store.readImage(record);
    },
  };
  return { store: counted, reads: () => reads };
}

describe('the batch page refuses a page past the last before reading the store', () => {
  const openPipeline = usePipeline();
  let client: ImgbatchClient | undefined;
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    await client?.close();
    server = client = undefined;
  });

  it('answers a huge or out-of-range page 400 from the batch counts in Redis, with no store read', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'mug', prompt: 'A red mug', n: 3, model: 'gpt-image-1-mini' }], { batchId: 'shop' });
    await p.waitForBatch('shop');
    const counting = countingReads(p.store);
    client = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix, store: counting.store });
    server = createHttpServer({ client, apiToken: TOKEN });
    const base = await server.listen({ port: 0 });

    for (const page of ['2', '999999']) {
      const response = await fetch(`${base}/batches/shop?page=${page}`, { headers: AUTH });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'validation', issues: [{ field: 'page', reason: 'is past the last page: batch shop has 1 page(s) of 200 images' }] });
    }
    for (const page of ['1000001', '1e400', '99999999999999999999']) {
      const response = await fetch(`${base}/batches/shop?page=${page}`, { headers: AUTH });
      expect(response.status).toBe(400);
      const { issues } = (await response.json()) as { issues: Array<{ field: string }> };
      expect(new Set(issues.map((issue) => issue.field))).toEqual(new Set(['page']));
    }
    expect(counting.reads()).toBe(0);

    // The page that exists is read from the store: the count above would have seen a read.
    const first = await fetch(`${base}/batches/shop?page=1`, { headers: AUTH });
    expect(first.status).toBe(200);
    expect((await first.text()).match(/<li class="tile" data-status="stored"/g)).toHaveLength(3);
    expect(counting.reads()).toBeGreaterThan(0);
  });
});
