import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { listManifestRows, type ManifestRow } from '../../../src/batch/list-manifest-rows.js';
import { resumeBatch } from '../../../src/batch/resume-batch.js';
import { writeManifest } from '../../../src/cli/write-manifest.js';
import { toMicroUsd } from '../../../src/cost/micro-usd.js';
import { createJobState } from '../../../src/queue/job-state.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

// gpt-image-1.5 bills tokens and the simulator reports `usage`, with the same token counts the
// price table expects: a low 1024² image of a 15-character prompt costs 272 × $32/1M +
// 4 × $5/1M = $0.008724, expected and actual alike, so the number of calls a budget allows is exact.
const GPT = { name: 'gpt', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const IMAGE_USD = 0.008724;

function kites(count: number): Array<{ id: string; prompt: string; model: string; quality: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `kite-${i}`, prompt: `A kite number ${i}`, model: 'gpt-image-1.5', quality: 'low' }));
}

async function records(p: Pipeline, batchId: string): Promise<ImageRecord[]> {
  const all: ImageRecord[] = [];
  for await (const record of p.store.listRecords(batchId)) all.push(record);
  return all;
}

describe('a batch budget (--max-cost) and the cost of each image', () => {
  const open = usePipeline();
  let redis: Redis | undefined;
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  it('stops calling at the budget with the rest skipped, even with three workers racing; resume with a higher budget makes the rest', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    for (let i = 0; i < 3; i++) p.startWorker();
    await p.producer.batches.setMaxCost('kites', 0.02);
    await p.producer.enqueue(kites(5), { batchId: 'kites' });

    const stopped = await p.waitForBatch('kites');
    // Two calls cost $0.017448; a third would make $0.026172, over $0.02.
    expect(stopped).toMatchObject({ images: 5, pending: 0, counts: { stored: 2, skipped: 3 }, costUsd: 2 * IMAGE_USD, inFlightCostUsd: 0, maxCostUsd: 0.02 });
    expect(p.simulator.stats()).toHaveLength(2);
    const errors = Object.values(await p.producer.batches.errors('kites'));
    expect(errors).toHaveLength(3);
    for (const message of errors) {
      // Refused when the other two calls were done or still in flight: together always $0.017448 (shown to 4 decimals).
      const match = /^budget: \$(\d+\.\d+) spent \+ \$(\d+\.\d+) in flight \+ \$0\.0087 expected for this call would exceed the batch's budget of \$0\.0200; no call made/.exec(message);
      expect(match, message).not.toBeNull();
      expect(Number(match?.[1]) + Number(match?.[2])).toBeCloseTo(0.0174, 3);
    }
    for (const record of await records(p, 'kites')) expect(record).toMatchObject({ status: 'stored', costUsd: IMAGE_USD, costSource: 'usage' });

    redis = createRedisConnection(p.redisUrl, 'producer');
    const deps = { queue: p.producer.queue, batches: p.producer.batches, jobState: createJobState(redis, createKeySpace(p.prefix)), store: p.store };
    const resumed = await resumeBatch(deps, 'kites', { maxCostUsd: 1 });
    // Skipped images end as failed jobs, kept with their data: resume retries them.
    expect(resumed).toMatchObject({ unskipped: 3, retried: 3, requeued: 0, releasedReservations: 0 });

    const finished = await p.waitForBatch('kites');
    expect(finished).toMatchObject({ pending: 0, counts: { stored: 5, skipped: 0 }, maxCostUsd: 1 });
    expect(toMicroUsd(finished.costUsd)).toBe(toMicroUsd(5 * IMAGE_USD));
    // Only the skipped images were called for: five calls in all, none twice.
    const calls = p.simulator.stats();
    expect(calls).toHaveLength(5);
    expect(new Set(calls.map((c) => c.clientRequestId)).size).toBe(5);
  });

  it('an image made again after it went missing from the store (its requests enqueued again) is paid again: the spend and the budget count both calls', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.batches.setMaxCost('again', 0.03);
    await p.producer.enqueue(kites(2), { batchId: 'again' });
    expect(await p.waitForBatch('again')).toMatchObject({ counts: { stored: 2 }, costUsd: 2 * IMAGE_USD });

    const forget = async (...ids: string[]): Promise<void> => {
      const folder = join(p.outputDir, 'again');
      for (const name of await readdir(folder)) if (ids.some((id) => name.startsWith(`${id}-0.`))) await rm(join(folder, name));
    };
    redis = createRedisConnection(p.redisUrl, 'producer');
    const deps = { queue: p.producer.queue, batches: p.producer.batches, jobState: createJobState(redis, createKeySpace(p.prefix)), store: p.store };
    await forget('kite-0');
    // Completed jobs leave Redis at once: resume cannot remake the image, and says so.
    expect(await resumeBatch(deps, 'again')).toMatchObject({ forgotten: 1, forgottenOutcomes: 0, requeued: 0 });
    // Enqueueing the same requests again makes it; kite-1, still stored, costs nothing.
    await p.producer.enqueue(kites(2), { batchId: 'again' });
    await waitFor(async () => (await p.store.getRecord('again/kite-0-0')) ?? undefined, 20_000, () => 'kite-0 stored again');
    const remade = await p.producer.batches.summary('again');
    expect(remade).toMatchObject({ counts: { stored: 2 } });
    expect(toMicroUsd(remade.costUsd)).toBe(toMicroUsd(3 * IMAGE_USD));
    expect(p.simulator.stats()).toHaveLength(3);

    // $0.026172 spent: one more call ($0.034896) would pass the $0.03 budget, so nothing is made.
    await forget('kite-0', 'kite-1');
    await p.producer.enqueue(kites(2), { batchId: 'again' });
    await waitFor(
      async () => ((await p.producer.batches.summary('again')).counts.skipped === 2 ? true : undefined),
      20_000,
      () => 'both images skipped for the budget',
    );
    expect(await p.producer.batches.summary('again')).toMatchObject({ counts: { stored: 0, skipped: 2 } });
    expect(p.simulator.stats()).toHaveLength(3);
  });

  it('budgets gpt-image-2 at a custom size by its expected tokens, and bills what the service reports', async () => {
    // 2048x1152 low: ⌈196 × 2,359,296 / 1,048,576⌉ = 441 output tokens × $30/1M + 4 prompt tokens × $5/1M = $0.01325.
    const p = await open({ simulator: { deployments: [{ name: 'g2', model: 'gpt-image-2', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } }] } });
    p.startWorker();
    await p.producer.batches.setMaxCost('wide', 0.03);
    const requests = Array.from({ length: 3 }, (_, i) => ({ id: `kite-${i}`, prompt: `A kite number ${i}`, model: 'gpt-image-2', quality: 'low', size: '2048x1152' }));
    await p.producer.enqueue(requests, { batchId: 'wide' });
    const summary = await p.waitForBatch('wide');
    expect(summary).toMatchObject({ counts: { stored: 2, skipped: 1 }, calls: 2 });
    expect(toMicroUsd(summary.costUsd)).toBe(toMicroUsd(2 * 0.01325));
    for (const record of await records(p, 'wide')) expect(record).toMatchObject({ size: '2048x1152', costUsd: 0.01325, costSource: 'usage', usage: { output_tokens: 441 } });
  });

  it('a budget below one call\'s expected cost makes no call at all', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.batches.setMaxCost('tiny', 0.008);
    await p.producer.enqueue(kites(2), { batchId: 'tiny' });
    expect(await p.waitForBatch('tiny')).toMatchObject({ counts: { skipped: 2 }, costUsd: 0 });
    expect(p.simulator.stats()).toHaveLength(0);
  });

  it('records every image\'s cost and where it comes from, and the manifest\'s cost column matches the records and adds up to the batch', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue(
      [
        { id: 'kite', prompt: 'A kite number 1', model: 'gpt-image-1.5', quality: 'low', n: 2 },
        // Prompt filter: nothing generated, nothing billed.
        { id: 'gore', prompt: 'A gore scene', model: 'gpt-image-1.5', quality: 'low' },
        // Output filter in a 400 (no usage): billed as an image at the table price.
        { id: 'out', prompt: 'A [output-filter] scene', model: 'gpt-image-1.5', quality: 'low' },
        // Output filter inside a 200 (with usage): billed by usage.
        { id: 'item', prompt: 'An [item-filter] kite', model: 'gpt-image-1.5', quality: 'high', size: '1024x1536' },
      ],
      { batchId: 'mixed' },
    );
    const summary = await p.waitForBatch('mixed');
    expect(summary).toMatchObject({ counts: { stored: 2, filtered: 3 } });

    const byKey = Object.fromEntries((await records(p, 'mixed')).map((r) => [`${r.requestId}-${r.variant}`, r]));
    expect(byKey['kite-0']).toMatchObject({ costUsd: IMAGE_USD, costSource: 'usage' });
    expect(byKey['kite-1']).toMatchObject({ costUsd: IMAGE_USD, costSource: 'usage' });
    expect(byKey['gore-0']).toMatchObject({ status: 'filtered', costUsd: 0, costSource: 'unbilled' });
    // 272 × $32/1M + 6 tokens × $5/1M (23 characters)
    expect(byKey['out-0']).toMatchObject({ status: 'filtered', costUsd: 0.008734, costSource: 'table' });
    // 6240 × $32/1M + 6 tokens × $5/1M (21 characters)
    expect(byKey['item-0']).toMatchObject({ status: 'filtered', costUsd: 0.19971, costSource: 'usage' });
    expect(toMicroUsd(summary.costUsd)).toBe(toMicroUsd(2 * IMAGE_USD + 0.008734 + 0.19971));

    const rows = (): AsyncIterable<ManifestRow> => listManifestRows({ store: p.store, batches: p.producer.batches }, 'mixed');
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await writeManifest(rows, 'csv', out);
    const table = parse<Record<string, string>>(text, { columns: true });
    expect(table).toHaveLength(5);
    let sumMicros = 0;
    for (const row of table) {
      const record = byKey[`${row.id ?? ''}-${row.variant ?? ''}`];
      expect(Number(row.cost), `${row.id ?? ''}-${row.variant ?? ''}`).toBe(record?.costUsd);
      sumMicros += toMicroUsd(Number(row.cost));
    }
    expect(sumMicros).toBe(toMicroUsd(summary.costUsd));
  });

  it('a skipped image is in the manifest as skipped with its budget reason', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.batches.setMaxCost('one', 0.011);
    await p.producer.enqueue(kites(2), { batchId: 'one' });
    await p.waitForBatch('one');
    const rows: ManifestRow[] = [];
    for await (const row of listManifestRows({ store: p.store, batches: p.producer.batches }, 'one')) rows.push(row);
    expect(rows.map((r) => r.status).sort()).toEqual(['skipped', 'stored']);
    const skipped = rows.find((r) => r.status === 'skipped');
    expect(skipped?.error).toMatch(/^budget: /);
    expect(skipped?.costUsd).toBeUndefined();
  });
});
