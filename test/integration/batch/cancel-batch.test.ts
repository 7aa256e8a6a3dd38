import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelBatch } from '../../../src/batch/cancel-batch.js';
import { restoreCancelled } from '../../../src/batch/restore-cancelled.js';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { slotGroupOf } from '../../../src/limiter/slot-group.js';
import { createSlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createPendingDownloads } from '../../../src/queue/pending-downloads.js';
import { unstartedLineOf } from '../../../src/queue/unstarted-lines.js';
import { waitForIdleQueue } from '../../helpers/job-events.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';

const SLOW = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 1_500, sdMs: 0 } };
const FAST = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

function requests(count: number): Array<{ id: string; prompt: string; model: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `r${i}`, prompt: `kite number ${i}`, model: 'gpt-image-1-mini' }));
}


describe('cancelling a batch', () => {
  const openPipeline = usePipeline();
  let redis: Redis | undefined;
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });
  async function open(deployment: typeof SLOW, concurrency = 16): Promise<{ p: Pipeline; redis: Redis; cancel: (batchId: string) => ReturnType<typeof cancelBatch> }> {
    const p = await openPipeline({ simulator: { deployments: [deployment] }, worker: { concurrency } });
    const connection = (redis = new Redis(p.redisUrl, { maxRetriesPerRequest: null }));
    const deps = { queue: p.producer.queue, batches: p.producer.batches, redis: connection, keys: createKeySpace(p.prefix) };
    return { p, redis: connection, cancel: (batchId) => cancelBatch(deps, batchId) };
  }

  it('removes every job no worker has started, records its images as cancelled, and the batch is finished', async () => {
    const { p, redis: connection, cancel } = await open(FAST);
    await p.producer.enqueue(requests(2), { batchId: 'other' });
    await p.producer.enqueue(requests(4).map((r, i) => (i === 0 ? { ...r, n: 3 } : r)), { batchId: 'idle' });
    const unstartedLines = createKeySpace(p.prefix).unstartedLines;
    expect(await connection.hgetall(unstartedLines)).toEqual({ [unstartedLineOf({ model: 'gpt-image-1-mini', batchId: 'idle' })]: '6', [unstartedLineOf({ model: 'gpt-image-1-mini', batchId: 'other' })]: '2' });
    const result = await cancel('idle');
    // No job of it waits unfetched: a full worker no longer parks its jobs to let it in; the other batch still counts.
    expect(await connection.hgetall(unstartedLines)).toEqual({ [unstartedLineOf({ model: 'gpt-image-1-mini', batchId: 'other' })]: '2' });
    expect(result).toEqual({ batchId: 'idle', jobsCancelled: 6, imagesCancelled: 6, jobsInFlight: 0 });
    const summary = await p.producer.batches.summary('idle');
    expect(summary).toMatchObject({ images: 6, pending: 0, counts: { stored: 0, cancelled: 6 } });
    // Only the other batch's two jobs wait.
    expect(await p.producer.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active')).toMatchObject({ waiting: 2, delayed: 0, prioritized: 0, active: 0 });
    // Cancelling twice changes nothing.
    expect(await cancel('idle')).toEqual({ batchId: 'idle', jobsCancelled: 0, imagesCancelled: 0, jobsInFlight: 0 });
  });

  it('leaves jobs in flight alone: they finish and are stored, the rest is never called', async () => {
    const { p, cancel } = await open(SLOW, 2);
    p.startWorker();
    await p.producer.enqueue(requests(8), { batchId: 'busy' });
    const deadline = Date.now() + 10_000;
    while ((await p.producer.queue.getActiveCount()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const result = await cancel('busy');
    expect(result).toMatchObject({ jobsCancelled: 6, imagesCancelled: 6, jobsInFlight: 2 });
    const summary = await p.waitForBatch('busy', 15_000);
    expect(summary.counts).toEqual({ stored: 2, filtered: 0, failed: 0, rejected: 0, cancelled: 6, skipped: 0 });
    // The two jobs in flight have completed and the cancelled ones are gone: with no job of the
    // batch left to run, no further call can be made.
    await waitForIdleQueue(p.producer.queue);
    expect(p.simulator.stats().filter((c) => c.clientRequestId?.startsWith('busy/') === true)).toHaveLength(2);
  });

  it('forgets the pending download of a cancelled job that waited for its image\'s URL, instead of keeping it until it expires', async () => {
    const { p, redis: connection, cancel } = await open(FAST);
    await p.producer.enqueue(requests(2), { batchId: 'urls' });
    const keys = createKeySpace(p.prefix);
    const downloads = createPendingDownloads(connection, keys);
    const record = {
      key: 'urls/r0-0', batchId: 'urls', requestId: 'r0', variant: 0, status: 'stored', prompt: 'kite number 0', model: 'dalle-like',
      size: '1024x1024', quality: 'standard', deployment: 'dalle', latencyMs: 900, attempts: 1, createdAt: new Date().toISOString(),
    } as const;
    await downloads.keep('urls/r0/v0', 0, { url: 'https://blob.example.net/a.png', expiresAtMs: Date.now() + 24 * 3_600_000, tries: 1, cause: 'HTTP 503', record });
    expect((await downloads.read('urls/r0/v0')).size).toBe(1);
    expect(await cancel('urls')).toMatchObject({ jobsCancelled: 2, imagesCancelled: 2 });
    expect(await connection.exists(keys.pendingDownloads('urls/r0/v0'))).toBe(0);
  });

  it('gives back the budget a cancelled job\'s call held, left open by a worker killed mid-call: it is kept in the job\'s state, which the cancel deletes', async () => {
    const { p, cancel } = await open(FAST);
    await p.producer.enqueue(requests(1), { batchId: 'held', maxCostUsd: 1 });
    // As a killed worker leaves it: the call open, its cost reserved, the job back in the wait list.
    expect(await p.producer.batches.openCall('held', 'held/r0/v0', { callId: 'killed', usd: 0.2, images: [], timeoutMs: 60_000 })).toMatchObject({ kind: 'opened' });
    expect((await p.producer.batches.summary('held')).inFlightCostUsd).toBe(0.2);
    expect(await cancel('held')).toMatchObject({ jobsCancelled: 1 });
    expect((await p.producer.batches.summary('held')).inFlightCostUsd).toBe(0);
  });

  it('finds jobs another BullMQ client added that no worker has seen yet (by the contract job id)', async () => {
    const { p, cancel } = await open(FAST);
    const connection = new Redis(p.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('images', { connection, prefix: `{${p.prefix}}` });
    queue.on('error', () => undefined);
    try {
      const data = { v: 1, batchId: 'foreign', requestId: 'a', variants: [0], prompt: 'a kite', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', enqueuedAt: Date.now() };
      await queue.add('generate', data, { jobId: 'foreign/a/v0' });
      await queue.add('generate', { ...data, requestId: 'b' }, { jobId: 'foreign/b/v0', delay: 60_000 });
      expect(await cancel('foreign')).toEqual({ batchId: 'foreign', jobsCancelled: 2, imagesCancelled: 2, jobsInFlight: 0 });
      expect(await p.producer.batches.summary('foreign')).toMatchObject({ images: 2, pending: 0, counts: { cancelled: 2 } });
    } finally {
      await queue.close();
      await connection.quit();
    }
  });

  it('enqueueing a cancelled batch again brings its images back and makes them', async () => {
    const { p, cancel } = await open(FAST);
    await p.producer.enqueue(requests(3), { batchId: 'again' });
    await cancel('again');
    const enqueued = await p.producer.enqueue(requests(3), { batchId: 'again' });
    expect(enqueued).toMatchObject({ jobsAdded: 0, jobsAlreadyQueued: 3 });
    expect(await restoreCancelled({ queue: p.producer.queue, batches: p.producer.batches }, 'again')).toBe(3);
    expect((await p.producer.batches.summary('again')).pending).toBe(3);
    p.startWorker();
    const summary = await p.waitForBatch('again');
    expect(summary.counts).toMatchObject({ stored: 3, cancelled: 0 });
  });

  it("takes the cancelled jobs out of the limiter's waiting room, so a live job behind them no longer counts them ahead of it", async () => {
    const { p, redis: connection, cancel } = await open(FAST);
    const keys = createKeySpace(p.prefix);
    await p.producer.enqueue(requests(1), { batchId: 'front' });
    await p.producer.enqueue(requests(3), { batchId: 'dead' });
    await p.producer.enqueue(requests(1), { batchId: 'live' });
    const idsOf = async (batchId: string): Promise<string[]> =>
      (await p.producer.queue.getRanges(['waiting', 'prioritized', 'delayed'], 0, 99)).filter((id) => id.startsWith(`${batchId}/`)).sort();
    // One slot a second and maxSleepMs 500: after the opener's call every job waits in line.
    const line = [{ name: 'room-dep', ratePerMinute: 60 }];
    const limiter = createSlotLimiter(connection, keys, { ...DEFAULT_LIMITER_SETTINGS, headroom: 0, maxSleepMs: 500 });
    expect(await limiter.acquire('opener', line)).toMatchObject({ kind: 'go' });
    // A live job heads the line, so the dead ones behind it are not swept as heads.
    for (const id of await idsOf('front')) expect(await limiter.acquireInLine(id, line, { priority: 'high', batchId: 'front' })).toMatchObject({ kind: 'queued', ahead: 0 });
    const dead = await idsOf('dead');
    for (const id of dead) await limiter.acquireInLine(id, line, { priority: 'normal', batchId: 'dead' });
    const live = (await idsOf('live'))[0] ?? 'no live job';
    // Batches take turns: the dead batch's first job and the front one are ahead of it.
    expect(await limiter.acquireInLine(live, line, { priority: 'normal', batchId: 'live' })).toMatchObject({ kind: 'queued', ahead: 2 });
    expect(await cancel('dead')).toMatchObject({ jobsCancelled: 3 });
    expect(await limiter.acquireInLine(live, line, { priority: 'normal', batchId: 'live' })).toMatchObject({ kind: 'queued', ahead: 1 });
    const room = keys.limiterRoom(slotGroupOf(line, 0).id);
    expect(await connection.zrange(room, 0, -1)).not.toContain(dead[0]);
    expect(await connection.hkeys(keys.limiterRoomUntil(slotGroupOf(line, 0).id))).not.toContain(dead[0]);
  });

  it('imgbatch cancel <batch> removes queued jobs and says how many', async () => {
    const { p } = await open(FAST);
    await p.producer.enqueue(requests(2), { batchId: 'cli' });
    const env = { REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix };
    const { code, stdout, stderr } = await runCli(['cancel', 'cli'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('batch cli: 2 jobs cancelled (2 images), 0 in flight left to finish; now 0 stored, 2 cancelled, 0 pending');
    const json = await runCli(['cancel', 'cli', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobsCancelled: 0, summary: { counts: { cancelled: 2 } } });
    const bad = await runCli(['cancel', 'no/such'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^imgbatch: batchId: /);
  });
});
