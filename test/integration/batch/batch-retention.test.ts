import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { resumeBatch } from '../../../src/batch/resume-batch.js';
import { imageJobId, imageKey } from '../../../src/job/image-job.js';
import { createJobState } from '../../../src/queue/job-state.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';

// gpt-image-1.5 low 1024² of a short prompt: $0.008724 expected and billed (see budget-and-cost.test.ts).
const GPT = { name: 'gpt', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const RETENTION_SECONDS = 3 * 3600;

function kites(count: number, from = 0): Array<{ id: string; prompt: string; model: string; quality: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `kite-${from + i}`, prompt: `A kite number ${from + i}`, model: 'gpt-image-1.5', quality: 'low' }));
}

/** Every key of the batch (header, outcomes, counts, ...) and its TTL in seconds (-1: none). */
async function batchKeyTtls(redis: Redis, p: Pipeline, batchId: string): Promise<Map<string, number>> {
  const header = createKeySpace(p.prefix).batch(batchId);
  const found = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${header}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) if (key === header || key.startsWith(`${header}:`)) found.set(key.slice(header.length) || '(header)', await redis.ttl(key));
  } while (cursor !== '0');
  return found;
}

function jobIdOf(batchId: string, requestId: string): string {
  return imageJobId({ batchId, requestId, variants: [0] });
}

describe('Redis stays bounded: finished jobs leave, ended batches expire', () => {
  const open = usePipeline();
  let redis: Redis | undefined;
  const connect = (p: Pipeline): Redis => (redis = createRedisConnection(p.redisUrl, 'producer'));
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  it('a batch that ends gets a TTL equal to the retention on every key, loses it when enqueued again, and gets it back when it ends again', async () => {
    const p = await open({ simulator: { deployments: [GPT] }, batchRetentionSeconds: RETENTION_SECONDS });
    const admin = connect(p);
    const first = p.startWorker();
    await p.producer.enqueue(kites(3), { batchId: 'kept' });
    const ended = await p.waitForBatch('kept');
    expect(ended).toMatchObject({ counts: { stored: 3 }, endedAt: expect.any(Number) as unknown });

    const ttls = await batchKeyTtls(admin, p, 'kept');
    // Header, outcomes, counts, jobs and costs at least; whatever the batch has, all expire.
    expect([...ttls.keys()]).toEqual(expect.arrayContaining(['(header)', ':outcomes', ':counts', ':jobs', ':costs']));
    for (const [key, ttl] of ttls) {
      expect(ttl, key).toBeGreaterThan(RETENTION_SECONDS - 30);
      expect(ttl, key).toBeLessThanOrEqual(RETENTION_SECONDS);
    }
    // Completed jobs are gone with their data: the outcome and the record say what was done.
    for (const id of ['kite-0', 'kite-1', 'kite-2']) expect(await p.producer.queue.getJob(jobIdOf('kept', id))).toBeUndefined();

    // More images while no worker runs: the batch is running again, nothing of it may expire.
    await first.close();
    await p.producer.enqueue(kites(1, 3), { batchId: 'kept' });
    const reopened = await p.producer.batches.summary('kept');
    expect(reopened).toMatchObject({ pending: 1, endedAt: undefined });
    for (const [key, ttl] of await batchKeyTtls(admin, p, 'kept')) expect(ttl, key).toBe(-1);

    p.startWorker();
    const again = await p.waitForBatch('kept');
    expect(again.counts.stored).toBe(4);
    expect(again.endedAt).toBeGreaterThanOrEqual(ended.endedAt ?? Infinity);
    for (const [key, ttl] of await batchKeyTtls(admin, p, 'kept')) expect(ttl, key).toBeGreaterThan(RETENTION_SECONDS - 30);
  });

  it('resume brings back failed and budget-skipped images though completed jobs were removed at once', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    const admin = connect(p);
    p.startWorker();
    // Three 500s use up the job's three attempts (billing nothing); the call after them succeeds.
    p.simulator.script({ promptIncludes: 'unlucky' }, [{ kind: '500' }, { kind: '500' }, { kind: '500' }]);
    await p.producer.enqueue([{ id: 'unlucky', prompt: 'An unlucky kite', model: 'gpt-image-1.5', quality: 'low' }], { batchId: 'mixed' });
    expect(await p.waitForBatch('mixed')).toMatchObject({ counts: { failed: 1 } });
    // Then five more under a budget of $0.02: two calls fit, three images are skipped.
    await p.producer.batches.setMaxCost('mixed', 0.02);
    await p.producer.enqueue(kites(5), { batchId: 'mixed' });
    const stopped = await p.waitForBatch('mixed');
    expect(stopped).toMatchObject({ images: 6, counts: { failed: 1, stored: 2, skipped: 3 }, endedAt: expect.any(Number) as unknown });
    // The reason codes of the failed and skipped images expire with the rest of the batch.
    const ttls = await batchKeyTtls(admin, p, 'mixed');
    expect(ttls.get(':reasons')).toBeGreaterThan(0);
    for (const [key, ttl] of ttls) expect(ttl, key).toBeGreaterThan(0);
    const reasons = await p.producer.batches.reasons('mixed');
    expect(reasons[imageKey('mixed', 'unlucky', 0)]).toBe('attempts_exhausted');
    expect(Object.values(reasons).sort()).toEqual(['attempts_exhausted', 'budget_exceeded', 'budget_exceeded', 'budget_exceeded']);

    const states = new Map<string, string>();
    for (const id of ['kite-0', 'kite-1', 'kite-2', 'kite-3', 'kite-4', 'unlucky']) {
      const job = await p.producer.queue.getJob(jobIdOf('mixed', id));
      states.set(id, job === undefined ? 'removed' : await job.getState());
    }
    // Stored images' jobs are gone; failed and skipped ones are kept (failed) for resume.
    expect([...states.values()].filter((s) => s === 'removed')).toHaveLength(stopped.counts.stored);
    expect([...states.values()].filter((s) => s === 'failed')).toHaveLength(stopped.counts.skipped + 1);
    expect(states.get('unlucky')).toBe('failed');

    const callsBefore = p.simulator.stats().length;
    const deps = { queue: p.producer.queue, batches: p.producer.batches, jobState: createJobState(admin, createKeySpace(p.prefix)), store: p.store };
    // A priority slot a 429 left held for the failed job: once retried its state counts no call,
    // so it would never look for it again; resume forgets it with the state.
    const reservations = createKeySpace(p.prefix).limiterReservations;
    const leftBy429 = 'left-by-a-429|1|1|p';
    await admin.hset(reservations, jobIdOf('mixed', 'unlucky'), leftBy429);
    const resumed = await resumeBatch(deps, 'mixed', { maxCostUsd: 1 });
    expect(resumed).toMatchObject({ retried: stopped.counts.skipped + 1, unskipped: stopped.counts.skipped, requeued: 0, forgotten: 0 });
    expect(await admin.hget(reservations, jobIdOf('mixed', 'unlucky'))).not.toBe(leftBy429);

    const finished = await p.waitForBatch('mixed');
    expect(finished).toMatchObject({ pending: 0, counts: { stored: 6, failed: 0, skipped: 0 } });
    // One call for each image brought back, none for the images already stored.
    expect(p.simulator.stats().length - callsBefore).toBe(stopped.counts.skipped + 1);
    const okPrompts = p.simulator
      .stats()
      .filter((c) => c.status === 200)
      .map((c) => c.prompt);
    expect(new Set(okPrompts).size).toBe(okPrompts.length);
  });

  it('imgbatch batches list shows an ended batch with its priority and expiry; prune --older-than removes it with its kept jobs, and bad durations are refused', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    const admin = connect(p);
    p.startWorker();
    p.simulator.script({ promptIncludes: 'unlucky' }, [{ kind: '500' }, { kind: '500' }, { kind: '500' }]);
    await p.producer.enqueue([...kites(2), { id: 'unlucky', prompt: 'An unlucky kite', model: 'gpt-image-1.5', quality: 'low' }], { batchId: 'old', priority: 'bulk' });
    const ended = await p.waitForBatch('old');
    expect(ended.counts).toMatchObject({ stored: 2, failed: 1 });
    const kept = p.producer.queue.getJob(jobIdOf('old', 'unlucky'));
    expect(await kept).toBeDefined();
    const env = { REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix, IMGBATCH_OUTPUT_DIR: p.outputDir };

    const listed = await runCli(['batches', 'list', '--json'], env);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([expect.objectContaining({ batchId: 'old', images: 3, pending: 0, priority: 'bulk', endedAt: ended.endedAt, expiresAt: expect.any(Number) as unknown })]);
    const expiresAt = Number(rows[0]?.expiresAt);
    // Thirty days (the default retention) after the end, as the TTL says to the second.
    expect(Math.abs(expiresAt - ((ended.endedAt ?? 0) + 30 * 86_400_000))).toBeLessThan(60_000);

    const table = await runCli(['batches', 'list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^BATCH\s+IMAGES\s+STORED\s+FAILED\s+PENDING\s+PRIORITY\s+ENDED\s+EXPIRES\n/);
    expect(table.stdout).toMatch(/\nold\s+3\s+2\s+1\s+0\s+bulk\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\n/);

    // Within the retention, a plain prune keeps it.
    const kept30 = await runCli(['batches', 'prune', '--json'], env);
    expect(kept30.code).toBe(0);
    expect(JSON.parse(kept30.stdout)).toEqual({ pruned: [], jobsRemoved: 0, expired: [] });
    expect((await batchKeyTtls(admin, p, 'old')).size).toBeGreaterThan(0);

    const bad = await runCli(['batches', 'prune', '--older-than', '5 days'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than');
    expect(bad.stderr).toContain('"5 days" is not a duration');
    const stray = await runCli(['batches', 'prune', '--olderthan', '0'], env);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('unknown option --olderthan; did you mean --older-than?');

    const pruned = await runCli(['batches', 'prune', '--older-than', '0', '--json'], env);
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({ pruned: ['old'], jobsRemoved: 1, expired: [] });
    expect(await batchKeyTtls(admin, p, 'old')).toEqual(new Map());
    expect(await p.producer.queue.getJob(jobIdOf('old', 'unlucky'))).toBeUndefined();
    expect(await admin.zrange(createKeySpace(p.prefix).batches, 0, -1)).toEqual([]);

    const empty = await runCli(['batches', 'list', '--json'], env);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    // The store is not touched: the images made stay.
    expect(await p.store.getRecord('old/kite-0-0')).toMatchObject({ status: 'stored' });
  });
});
