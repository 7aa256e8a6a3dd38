import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { createSilentLogger } from '../../../src/log/logger.js';
import { renderBatchName } from '../../../src/schedule/batch-name-template.js';
import { fireSchedule } from '../../../src/schedule/fire-schedule.js';
import { parseScheduleFile } from '../../../src/schedule/schedule-file.js';
import { createScheduleQueue, type ScheduleQueue } from '../../../src/schedule/schedule-queue.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from '../../helpers/worker-process.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

describe('schedules: files -> BullMQ job schedulers -> batches', () => {
  const open = usePipeline();
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ p: Pipeline; dir: string; redis: Redis; queue: ScheduleQueue; env: Record<string, string> }> {
    const p = await open({ simulator: { deployments: [GPT] } });
    const dir = await mkdtemp(join(tmpdir(), 'imgbatch-schedules-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const redis = createRedisConnection(p.redisUrl, 'producer');
    const queue = createScheduleQueue(redis, createKeySpace(p.prefix), createSilentLogger());
    cleanups.push(() => redis.quit());
    cleanups.push(() => queue.close());
    return { p, dir, redis, queue, env: { REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix } };
  }

  it('a schedule firing every second becomes one batch a worker process makes; list shows the next run; deleting the file and syncing removes it', async () => {
    const { p, dir, redis, queue, env } = await setUp();
    await writeFile(join(dir, 'banners.csv'), 'id,prompt\nkite,A banner with a red kite\nlamp,A banner with a brass lamp\n');
    await writeFile(
      join(dir, 'every-second.schedule.json'),
      JSON.stringify({ cron: '* * * * * *', tz: 'Europe/Paris', csv: 'banners.csv', model: 'gpt-image-1-mini', batch: 'sched-{date}' }),
    );
    const configPath = await writeWorkerConfig(dir, 'worker-config.json', { deployments: [{ ...GPT, endpoint: p.simulator.url }] });
    const worker: WorkerProcess = startWorkerProcess({ redisUrl: p.redisUrl, prefix: p.prefix, outputDir: p.outputDir, configPath });
    cleanups.push(() => worker.stop());
    await worker.waitForLog('worker started');

    const synced = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain('upserted every-second: * * * * * * (Europe/Paris) -> batch sched-{date}');

    // Every run of the day lands in one batch named from the run's due date in Paris.
    const batchIds = (): Promise<string[]> => redis.zrange(createKeySpace(p.prefix).batches, 0, -1);
    const batchId = await waitFor(async () => (await batchIds()).find((id) => id.startsWith('sched-')), 20_000, () => worker.stderr());
    expect(batchId).toMatch(/^sched-\d{4}-\d{2}-\d{2}$/);
    const summary = await p.waitForBatch(batchId, 30_000);
    expect(summary).toMatchObject({ images: 2, jobs: 2, pending: 0, counts: { stored: 2 } });
    expect((await p.store.getRecord(`${batchId}/kite-0`))?.status).toBe('stored');
    expect((await p.store.getRecord(`${batchId}/lamp-0`))?.status).toBe('stored');

    // Later runs the same day add nothing: still one batch of two images, two API calls.
    await waitFor(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 3 || undefined, 20_000, () => worker.stderr());
    expect((await batchIds()).filter((id) => id.startsWith('sched-'))).toEqual([batchId]);
    expect(await p.producer.batches.summary(batchId)).toMatchObject({ images: 2, jobs: 2, calls: 2 });
    expect(p.simulator.summary().total).toBe(2);
    // Each run is named after the time it was due (BullMQ's `repeat:<scheduler>:<due ms>`), and only the first added jobs.
    const runs = await queue.getJobs(['completed']);
    for (const run of runs) {
      const dueMs = Number(/^repeat:every-second:(\d+)$/.exec(run.id ?? '')?.[1]);
      expect((run.returnvalue as { batchId: string }).batchId).toBe(renderBatchName('sched-{date}', dueMs, 'Europe/Paris', 'every-second'));
    }
    expect(runs.filter((run) => (run.returnvalue as { isNew: boolean }).isNew)).toHaveLength(1);

    const listed = await runCli(['schedules', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^name\s+cron\s+tz\s+next run\s+batch\n/);
    expect(listed.stdout).toMatch(/every-second\s+\* \* \* \* \* \*\s+Europe\/Paris\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+sched-\{date\}\n/);
    const listedJson = JSON.parse((await runCli(['schedules', 'list', '--json'], env)).stdout) as Array<Record<string, unknown>>;
    expect(listedJson).toEqual([expect.objectContaining({ name: 'every-second', cron: '* * * * * *', tz: 'Europe/Paris', nextRunAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown })]);

    await unlink(join(dir, 'every-second.schedule.json'));
    const resynced = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(resynced.code).toBe(0);
    expect(resynced.stdout).toContain('removed every-second (no file defines it)');
    expect(await queue.getJobSchedulers()).toEqual([]);
    expect((await runCli(['schedules', 'list'], env)).stdout).toBe('no schedules (imgbatch schedules sync --dir jobs)\n');
    // SIGTERM closes the schedules worker with the image worker.
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it('a folder with a bad file changes nothing, and the error names the file and the field', async () => {
    const { dir, queue, env } = await setUp();
    await writeFile(join(dir, 'good.schedule.json'), JSON.stringify({ cron: '0 2 * * *', tz: 'UTC', requests: [{ prompt: 'x', model: 'gpt-image-1-mini' }], batch: 'good-{date}' }));
    expect((await runCli(['schedules', 'sync', '--dir', dir], env)).code).toBe(0);
    const badFile = join(dir, 'bad.schedule.json');
    await writeFile(badFile, JSON.stringify({ cron: '0 2 * * *', tz: 'Europe/Atlantis', csv: 'missing.csv', batch: 'bad-{date}' }));
    await unlink(join(dir, 'good.schedule.json'));

    const refused = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`imgbatch: ${badFile}: tz: "Europe/Atlantis" is not a time zone`);
    // The good scheduler stays: a sync that fails applies nothing, removals included.
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['good']);

    await writeFile(badFile, JSON.stringify({ cron: '0 2 * * *', tz: 'UTC', csv: 'missing.csv', batch: 'bad-{date}' }));
    const noCsv = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(noCsv.code).toBe(1);
    expect(noCsv.stderr).toContain(`${badFile}: csv: no file at ${join(dir, 'missing.csv')}`);
  });

  it('a run fired twice for the same due time adds its jobs once', async () => {
    const { p, redis } = await setUp();
    const schedule = parseScheduleFile(
      'jobs/inline.schedule.json',
      JSON.stringify({ cron: '0 2 * * *', tz: 'Europe/Paris', batch: 'inline-{date}', requests: [{ id: 'a', prompt: 'A kite', model: 'gpt-image-1-mini', n: 2 }] }),
    );
    const deps = { producer: p.producer, redis, keys: createKeySpace(p.prefix) };
    const dueAtMs = Date.UTC(2025, 0, 31, 1, 0, 0);
    const first = await fireSchedule(deps, schedule, dueAtMs);
    expect(first).toMatchObject({ kind: 'enqueued', batchId: 'inline-2025-01-31', result: { jobsAdded: 2, imagesAdded: 2 } });
    expect(await fireSchedule(deps, schedule, dueAtMs)).toEqual({ kind: 'already_fired', batchId: 'inline-2025-01-31' });
    // Even a run that died after enqueueing but before it was marked adds nothing again.
    await redis.del(createKeySpace(p.prefix).scheduleFired);
    expect(await fireSchedule(deps, schedule, dueAtMs)).toMatchObject({ kind: 'enqueued', result: { jobsAdded: 0, jobsAlreadyQueued: 2 } });
    expect(await p.producer.batches.summary('inline-2025-01-31')).toMatchObject({ images: 2, jobs: 2 });
  });
});
