import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';
import { startRedisServer, type RunningService } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait-for.js';

const LOCK_MS = 1_000;
const PAUSE_MS = 3 * LOCK_MS;
// Every call outlasts the pause: when Redis answers again, each one is still running.
const CALL_MS = PAUSE_MS + 2_000;
const IMAGES = 50;
const SLOW = { name: 'slow', model: 'gpt-image-1-mini', ratePerMinute: 6_000, latency: { meanMs: CALL_MS, sdMs: 0 } };

describe('Redis paused (SIGSTOP) longer than the job lock while calls run', () => {
  let server: RunningService | undefined;
  let p: Pipeline | undefined;
  // In this order: the workers close while their Redis still runs (and is not stopped).
  afterEach(async () => {
    server?.process.kill('SIGCONT');
    await p?.close();
    p = undefined;
    await server?.stop();
    server = undefined;
  });

  it(`paused for 3× the lock while ${String(IMAGES)} calls run: every image is made by one call, none is called a second time`, async () => {
    // A private redis-server: a SIGSTOP stops everything on it.
    server = await startRedisServer();
    const pipeline = await createPipeline({
      simulator: { deployments: [SLOW] },
      redisUrl: `redis://127.0.0.1:${String(server.port)}`,
      worker: { concurrency: IMAGES, lockDurationMs: LOCK_MS, stalledIntervalMs: LOCK_MS, timeoutMs: 20_000 },
    });
    p = pipeline;
    // Two workers: once the locks have expired, either may take over the other's jobs.
    const stalled: string[] = [];
    for (const { worker } of [pipeline.startWorker(), pipeline.startWorker()]) worker.on('stalled', (jobId) => stalled.push(jobId));
    const requests = Array.from({ length: IMAGES }, (_, i) => ({ id: `vase${String(i)}`, prompt: `a paused vase ${String(i)}`, model: SLOW.model }));
    await pipeline.producer.enqueue(requests, { batchId: 'paused' });

    // Every call has reached the service (and is now running for CALL_MS) before Redis stops.
    await waitFor(
      () => Promise.resolve(pipeline.simulator.stats().length >= IMAGES || undefined),
      20_000,
      () => `${String(pipeline.simulator.stats().length)} of ${String(IMAGES)} calls started`,
    );
    const runningServer = server;
    runningServer.process.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    runningServer.process.kill('SIGCONT');

    const summary = await pipeline.waitForBatch('paused', 30_000);
    const callsPerKey = new Map<string, number>();
    for (const call of pipeline.simulator.stats()) callsPerKey.set(call.clientRequestId ?? '?', (callsPerKey.get(call.clientRequestId ?? '?') ?? 0) + 1);
    const context = JSON.stringify({ stalled, calls: Object.fromEntries(callsPerKey) });
    // The pause did what it is for: every lock expired and every job was handed over while its call ran.
    expect(new Set(stalled).size, context).toBe(IMAGES);
    expect(summary.counts, context).toMatchObject({ stored: IMAGES, failed: 0 });
    expect(callsPerKey.size, context).toBe(IMAGES);
    expect([...callsPerKey.values()].filter((calls) => calls > 1), context).toEqual([]);
    expect(summary.calls, context).toBe(IMAGES);
  }, 40_000);
});
