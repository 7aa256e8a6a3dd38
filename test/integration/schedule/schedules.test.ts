import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { createLogger, createSilentLogger } from '../../../src/log/logger.js';
import { renderBatchName } from '../../../src/schedule/batch-name-template.js';
import { fireSchedule } from '../../../src/schedule/fire-schedule.js';
import { parseScheduleFile } from '../../../src/schedule/schedule-file.js';
import type { ScheduleJobData } from '../../../src/schedule/schedule-job.js';
import { createScheduleQueue, SCHEDULE_JOB_NAME, type ScheduleQueue } from '../../../src/schedule/schedule-queue.js';
import { createScheduleWorker } from '../../../src/worker/schedule-worker.js';
import { freePort } from '../../helpers/free-port.js';
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

  it('a schedule firing every second makes a new batch per run, each made by a worker process; list shows the next run; deleting the file and syncing removes it', async () => {
    const { p, dir, redis, queue, env } = await setUp();
    const keys = createKeySpace(p.prefix);
    await writeFile(join(dir, 'banners.csv'), 'id,prompt\nkite,A banner with a red kite\nlamp,A banner with a brass lamp\n');
    const scheduleFile = join(dir, 'every-second.schedule.json');
    // `{date}` would give every run of a day one batch, and all but the first would add nothing: refused.
    await writeFile(scheduleFile, JSON.stringify({ cron: '* * * * * *', tz: 'Europe/Paris', csv: 'banners.csv', model: 'gpt-image-1-mini', batch: 'sched-{date}' }));
    const refused = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`imgbatch: ${scheduleFile}: batch: gives two consecutive runs (due `);
    expect(refused.stderr).toMatch(/ the same batch "sched-\d{4}-\d{2}-\d{2}", so the later would add nothing/);
    expect(refused.stderr).toContain('use {datetime} (date and time to the second), e.g. "sched-{datetime}"');
    expect(await queue.getJobSchedulers()).toEqual([]);

    await writeFile(scheduleFile, JSON.stringify({ cron: '* * * * * *', tz: 'Europe/Paris', csv: 'banners.csv', model: 'gpt-image-1-mini', batch: 'sched-{datetime}' }));
    const configPath = await writeWorkerConfig(dir, 'worker-config.json', { deployments: [{ ...GPT, endpoint: p.simulator.url }] });
    const worker: WorkerProcess = startWorkerProcess({ redisUrl: p.redisUrl, prefix: p.prefix, outputDir: p.outputDir, configPath });
    cleanups.push(() => worker.stop());
    await worker.waitForLog('worker started');

    const synced = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain('upserted every-second: * * * * * * (Europe/Paris) -> batch sched-{datetime}');

    // Each run is a batch of its own, named from the second it was due in Paris, and made whole.
    const schedBatchIds = async (): Promise<string[]> => (await redis.zrange(keys.batches, 0, -1)).filter((id) => id.startsWith('sched-'));
    const firstTwo = await waitFor(async () => {
      const ids = await schedBatchIds();
      return ids.length >= 2 ? ids.slice(0, 2) : undefined;
    }, 20_000, () => worker.stderr());
    for (const batchId of firstTwo) {
      expect(batchId).toMatch(/^sched-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}$/);
      expect(await p.waitForBatch(batchId, 30_000)).toMatchObject({ images: 2, jobs: 2, pending: 0, counts: { stored: 2 } });
      expect((await p.store.getRecord(`${batchId}/kite-0`))?.status).toBe('stored');
      expect((await p.store.getRecord(`${batchId}/lamp-0`))?.status).toBe('stored');
    }

    // The same run fired again adds nothing: its batch is marked fired, by its own due time.
    const [firstRun] = (await queue.getJobs(['completed'])).filter((run) => (run.returnvalue as { isNew?: boolean } | null)?.isNew === true);
    if (firstRun === undefined) throw new Error(`no completed run; ${worker.stderr()}`);
    const firstDueMs = Number(/^repeat:every-second:(\d+)$/.exec(firstRun.id ?? '')?.[1]);
    const firstBatchId = renderBatchName('sched-{datetime}', firstDueMs, 'Europe/Paris', 'every-second');
    const before = await p.producer.batches.summary(firstBatchId);
    expect(await fireSchedule({ producer: p.producer, redis, keys }, firstRun.data, firstDueMs)).toEqual({ kind: 'already_fired', batchId: firstBatchId, firedByDueAtMs: firstDueMs });
    expect(await p.producer.batches.summary(firstBatchId)).toEqual(before);

    const listed = await runCli(['schedules', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^name\s+cron\s+tz\s+next run\s+batch\n/);
    expect(listed.stdout).toMatch(/every-second\s+\* \* \* \* \* \*\s+Europe\/Paris\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+sched-\{datetime\}\n/);
    const listedJson = JSON.parse((await runCli(['schedules', 'list', '--json'], env)).stdout) as Array<Record<string, unknown>>;
    expect(listedJson).toEqual([expect.objectContaining({ name: 'every-second', cron: '* * * * * *', tz: 'Europe/Paris', nextRunAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown })]);

    await unlink(scheduleFile);
    const resynced = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(resynced.code).toBe(0);
    expect(resynced.stdout).toContain('removed every-second (no file defines it)');
    expect(await queue.getJobSchedulers()).toEqual([]);
    expect((await runCli(['schedules', 'list'], env)).stdout).toBe('no schedules (imgbatch schedules sync --dir jobs)\n');

    // Once the last run is done: every run made a new batch of its own, named after the time
    // it was due (BullMQ's `repeat:<scheduler>:<due ms>`), and every batch is whole.
    await waitFor(async () => {
      const counts = await queue.getJobCounts('active', 'wait', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0) || undefined;
    }, 20_000, () => worker.stderr());
    const runs = await queue.getJobs(['completed']);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    const runBatchIds = runs.map((run) => {
      const dueMs = Number(/^repeat:every-second:(\d+)$/.exec(run.id ?? '')?.[1]);
      expect(run.returnvalue).toMatchObject({ batchId: renderBatchName('sched-{datetime}', dueMs, 'Europe/Paris', 'every-second'), isNew: true, jobsAdded: 2, imagesAdded: 2 });
      return (run.returnvalue as { batchId: string }).batchId;
    });
    const batchIds = await schedBatchIds();
    expect(new Set(runBatchIds).size).toBe(runs.length);
    expect([...batchIds].sort()).toEqual([...runBatchIds].sort());
    for (const batchId of batchIds) {
      expect(await p.waitForBatch(batchId, 30_000)).toMatchObject({ images: 2, jobs: 2, calls: 2, counts: { stored: 2 } });
      // One short-lived mark per batch, holding its run's due time; no ever-growing hash.
      expect(await redis.ttl(keys.scheduleFired(batchId))).toBeGreaterThan(29 * 24 * 3600);
      expect(await redis.ttl(keys.scheduleFired(batchId))).toBeLessThanOrEqual(30 * 24 * 3600);
    }
    expect(await redis.get(keys.scheduleFired(firstBatchId))).toBe(String(firstDueMs));
    expect(await redis.exists(`${keys.bullPrefix}:schedules:fired`)).toBe(0);
    expect(p.simulator.summary().total).toBe(2 * batchIds.length);
    // SIGTERM closes the schedules worker (and its producer connection) with the image worker.
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
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`imgbatch: ${badFile}: tz: "Europe/Atlantis" is not a time zone`);
    // The good scheduler stays: a sync that fails applies nothing, removals included.
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['good']);

    await writeFile(badFile, JSON.stringify({ cron: '0 2 * * *', tz: 'UTC', csv: 'missing.csv', batch: 'bad-{date}' }));
    const noCsv = await runCli(['schedules', 'sync', '--dir', dir], env);
    expect(noCsv.code).toBe(2);
    expect(noCsv.stderr).toContain(`${badFile}: csv: no file at ${join(dir, 'missing.csv')}`);
  });

  it('a run fired twice for the same due time adds its jobs once', async () => {
    const { p, redis } = await setUp();
    const schedule = parseScheduleFile(
      'jobs/inline.schedule.json',
      JSON.stringify({ cron: '0 2 * * *', tz: 'Europe/Paris', batch: 'inline-{date}', requests: [{ id: 'a', prompt: 'A kite', model: 'gpt-image-1-mini', n: 2 }] }),
    );
    const keys = createKeySpace(p.prefix);
    const deps = { producer: p.producer, redis, keys };
    const dueAtMs = Date.UTC(2025, 0, 31, 1, 0, 0);
    const first = await fireSchedule(deps, schedule, dueAtMs);
    expect(first).toMatchObject({ kind: 'enqueued', batchId: 'inline-2025-01-31', result: { jobsAdded: 2, imagesAdded: 2 } });
    expect(await fireSchedule(deps, schedule, dueAtMs)).toEqual({ kind: 'already_fired', batchId: 'inline-2025-01-31', firedByDueAtMs: dueAtMs });
    // Even a run that died after enqueueing but before it was marked adds nothing again.
    await redis.del(keys.scheduleFired('inline-2025-01-31'));
    expect(await fireSchedule(deps, schedule, dueAtMs)).toMatchObject({ kind: 'enqueued', result: { jobsAdded: 0, jobsAlreadyQueued: 2 } });
    expect(await p.producer.batches.summary('inline-2025-01-31')).toMatchObject({ images: 2, jobs: 2 });
  });

  it("a run's batch takes the schedule file's callback", async () => {
    const { p, redis } = await setUp();
    const schedule = parseScheduleFile(
      'jobs/hooked.schedule.json',
      JSON.stringify({ cron: '0 2 * * *', batch: 'hooked-{date}', requests: [{ id: 'a', prompt: 'A kite', model: 'gpt-image-1-mini' }], callback: { url: 'https://hooks.example.com/imgbatch', perImage: true } }),
      { callbackPolicy: { allowedHosts: ['hooks.example.com'] } },
    );
    const fired = await fireSchedule({ producer: p.producer, redis, keys: createKeySpace(p.prefix) }, schedule, Date.UTC(2025, 0, 31, 2));
    expect(fired).toMatchObject({ kind: 'enqueued', batchId: 'hooked-2025-01-31' });
    expect(await p.producer.batches.callbackOf('hooked-2025-01-31')).toEqual({ url: 'https://hooks.example.com/imgbatch', perImage: true });
  });

  it('a run that finds its batch already fired adds nothing and the worker says why, at warn', async () => {
    const { p, redis, queue } = await setUp();
    const keys = createKeySpace(p.prefix);
    // Synced before sync refused it: `{date}` on a pattern that fires twice a day.
    const schedule: ScheduleJobData = {
      ...parseScheduleFile('jobs/twice.schedule.json', JSON.stringify({ cron: '0 2 * * *', tz: 'Europe/Paris', batch: 'twice-{date}', requests: [{ id: 'a', prompt: 'A kite', model: 'gpt-image-1-mini' }] })),
      name: 'twice',
      cron: '0 2,14 * * *',
    };
    const morningMs = Date.UTC(2025, 0, 31, 1, 0, 0);
    const afternoonMs = Date.UTC(2025, 0, 31, 13, 0, 0);
    expect(await fireSchedule({ producer: p.producer, redis, keys }, schedule, morningMs)).toMatchObject({ kind: 'enqueued', batchId: 'twice-2025-01-31' });

    const logs: Array<Record<string, unknown>> = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
    });
    const connection = createRedisConnection(p.redisUrl, 'worker');
    cleanups.push(() => connection.quit());
    const scheduleWorker = createScheduleWorker({ connection, redis: p.redisUrl, prefix: p.prefix, logger: createLogger({ level: 'info', destination: logStream }) });
    cleanups.push(() => scheduleWorker.close());
    // BullMQ hands a scheduler's runs their due time in `prevMillis` (custom ids may not hold ":").
    await queue.add(SCHEDULE_JOB_NAME, schedule, { jobId: 'twice-afternoon', prevMillis: afternoonMs });
    await queue.add(SCHEDULE_JOB_NAME, schedule, { jobId: 'twice-morning-again', prevMillis: morningMs });
    const done = await waitFor(async () => {
      const completed = await queue.getJobs(['completed']);
      return completed.length >= 2 ? completed : undefined;
    }, 10_000, () => JSON.stringify(logs));
    for (const run of done) expect(run.returnvalue).toEqual({ batchId: 'twice-2025-01-31', isNew: false, jobsAdded: 0, imagesAdded: 0, rejected: 0 });
    expect(await p.producer.batches.summary('twice-2025-01-31')).toMatchObject({ images: 1, jobs: 1 });

    const warnings = logs.filter((line) => line.level === 40 && line.batchId === 'twice-2025-01-31');
    expect(warnings.map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        'schedule twice: run due 2025-01-31T13:00:00.000Z added nothing to batch twice-2025-01-31: the run due 2025-01-31T01:00:00.000Z had already enqueued it: ' +
          'the template "twice-{date}" gives both runs one name; run `imgbatch schedules sync`, which refuses such a template and says what to use',
        'schedule twice: run due 2025-01-31T01:00:00.000Z added nothing to batch twice-2025-01-31: this run had already enqueued it (a repeat firing)',
      ]),
    );
  });

  it('a run whose enqueue cannot reach Redis fails within seconds instead of holding the schedule worker', async () => {
    const { p, redis, queue } = await setUp();
    const schedule = parseScheduleFile(
      'jobs/offline.schedule.json',
      JSON.stringify({ cron: '0 2 * * *', tz: 'UTC', batch: 'offline-{date}', requests: [{ id: 'a', prompt: 'A kite', model: 'gpt-image-1-mini' }] }),
    );
    // Runs are taken from the live Redis; the producer side points at a port nothing listens on,
    // as during an outage. A producer connection gives up; a worker one would wait for ever.
    const connection = createRedisConnection(p.redisUrl, 'worker');
    cleanups.push(() => connection.quit());
    const scheduleWorker = createScheduleWorker({ connection, redis: `redis://127.0.0.1:${await freePort()}`, prefix: p.prefix, logger: createSilentLogger() });
    cleanups.push(() => scheduleWorker.close());
    const startedMs = Date.now();
    await queue.add(SCHEDULE_JOB_NAME, schedule, { jobId: 'offline-run', prevMillis: Date.UTC(2025, 0, 31, 2, 0, 0) });
    const failed = await waitFor(async () => (await queue.getJobs(['failed']))[0], 15_000, () => 'the run neither failed nor finished');
    expect(Date.now() - startedMs).toBeLessThan(15_000);
    expect(failed.failedReason).toMatch(/max retries per request|Connection is closed|ECONNREFUSED/i);
    expect(await redis.zscore(createKeySpace(p.prefix).batches, 'offline-2025-01-31')).toBeNull();
  });
});
