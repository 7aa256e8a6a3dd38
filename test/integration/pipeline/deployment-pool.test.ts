import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startRedisServer, type RedisServerProcess } from '../../../src/cli/redis-server-process.js';
import { createPipeline, type Pipeline, type PipelineOptions } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

const MODEL = 'gpt-image-1-mini';
const deployment = (name: string, ratePerMinute: number) => ({ name, model: MODEL, ratePerMinute, latency: { meanMs: 30, sdMs: 5 } });
const requests = (count: number, prefix = 'p') => Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, prompt: `kite number ${i}`, model: MODEL }));

describe('a pool of deployments of one model, one shared limiter', () => {
  let pipeline: Pipeline | undefined;
  let redisServer: RedisServerProcess | undefined;
  let dataDir: string | undefined;
  async function open(options: PipelineOptions): Promise<Pipeline> {
    pipeline = await createPipeline(options);
    return pipeline;
  }
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
    await redisServer?.stop();
    redisServer = undefined;
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('gives a deployment that answered 429 with an 8 s wait no call for 8 s, while the others carry the load, then calls it again', async () => {
    const p = await open({ simulator: { deployments: [deployment('a', 120), deployment('b', 120), deployment('c', 120)] } });
    p.simulator.script({ deployment: 'a' }, [{ kind: '429', retryAfterMs: 8_000, headers: 'ms-and-seconds' }]);
    p.startWorker();
    // More than b and c make in 8 s (about 32), so a has work again once its wait is over.
    await p.producer.enqueue(requests(50), { batchId: 'cooldown' });
    const summary = await p.waitForBatch('cooldown', 45_000);
    expect(summary.counts.stored).toBe(50);

    const calls = p.simulator.stats();
    const throttled = calls.find((c) => c.deployment === 'a' && c.outcome === 'rate_limited');
    expect(throttled).toBeDefined();
    const throttledAt = throttled?.arrivedAtMs ?? 0;
    const toA = calls.filter((c) => c.deployment === 'a' && c.arrivedAtMs > throttledAt);
    expect(toA.length).toBeGreaterThan(0);
    for (const call of toA) expect(call.arrivedAtMs - throttledAt).toBeGreaterThanOrEqual(7_950);
    // b and c kept going during a's cooldown: about 2 calls/s each for most of 8 s.
    const duringCooldown = calls.filter((c) => c.deployment !== 'a' && c.arrivedAtMs > throttledAt && c.arrivedAtMs < throttledAt + 8_000);
    expect(duringCooldown.length).toBeGreaterThan(24);
    expect(calls.filter((c) => c.outcome === 'rate_limited')).toHaveLength(1);
  }, 60_000);

  it('pauses a deployment that starts answering 401 and moves its share to the rest', async () => {
    const p = await open({ simulator: { deployments: [deployment('a', 600), deployment('b', 600), deployment('c', 600)] } });
    p.startWorker();
    await p.producer.enqueue(requests(30, 'early'), { batchId: 'revoked' });
    await p.waitForBatch('revoked');
    const before = p.simulator.stats().filter((c) => c.deployment === 'b').length;
    expect(before).toBeGreaterThan(0);

    p.simulator.script({ deployment: 'b' }, Array.from({ length: 100 }, () => ({ kind: '401' as const })));
    await p.producer.enqueue(requests(60, 'late'), { batchId: 'revoked' });
    const summary = await p.waitForBatch('revoked', 30_000);
    expect(summary.counts).toMatchObject({ stored: 90, failed: 0, rejected: 0 });

    expect((await p.limiter.state('b')).pausedReason).toMatch(/^auth \(HTTP 401\)/);
    const afterwards = p.simulator.stats().slice(before === 0 ? 0 : undefined).filter((c) => c.prompt?.includes('kite number') === true);
    const unauthorized = afterwards.filter((c) => c.outcome === 'unauthorized');
    // One call found the revoked key (two at most: a call already in flight); then b got no more.
    expect(unauthorized.length).toBeGreaterThanOrEqual(1);
    expect(unauthorized.length).toBeLessThanOrEqual(2);
    const lateOk = afterwards.filter((c) => c.outcome === 'ok' && c.clientRequestId?.includes('/late') === true);
    expect(lateOk).toHaveLength(60);
    expect(lateOk.every((c) => c.deployment !== 'b')).toBe(true);
  });

  it('rebuilds the limiter after a Redis restart (append-only file on) and over-books no deployment afterwards', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'imgbatch-aof-'));
    const port = await freePort();
    redisServer = await startRedisServer({ port, dir: dataDir, appendOnly: true });
    // 900 rpm over two deployments: 150 images take ~10 s, so the 10 s windows fill up.
    const p = await open({ redisUrl: redisServer.url, simulator: { deployments: [deployment('a', 600), deployment('b', 300)] } });
    p.startWorker();
    await p.producer.enqueue(requests(150), { batchId: 'restart' });
    // Restarted mid-batch, with calls in both deployments' current windows: once 40 images
    // (~3 s at 900 rpm) are stored.
    await waitFor(
      async () => ((await p.producer.batches.summary('restart')).counts.stored >= 40 ? true : undefined),
      20_000,
      () => 'fewer than 40 images stored',
    );
    await redisServer.stop();
    redisServer = await startRedisServer({ port, dir: dataDir, appendOnly: true });

    const summary = await p.waitForBatch('restart', 40_000);
    expect(summary.counts.stored).toBe(150);
    const stats = p.simulator.summary();
    expect(stats.byDeployment.a?.maxAcceptedPerWindow ?? 0).toBeLessThanOrEqual(100);
    expect(stats.byDeployment.b?.maxAcceptedPerWindow ?? 0).toBeLessThanOrEqual(50);
    expect(p.simulator.stats().filter((c) => c.outcome === 'rate_limited')).toHaveLength(0);
  }, 60_000);
});
