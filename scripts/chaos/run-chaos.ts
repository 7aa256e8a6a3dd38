import { mkdir, mkdtemp, opendir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageOutcome } from '../../src/batch/image-outcome.js';
import { freePort, startRedisServer, type RedisServerProcess } from '../../src/cli/redis-server-process.js';
import { imageKey } from '../../src/job/image-job.js';
import { createProducer } from '../../src/queue/producer.js';
import { createSimulator } from '../../src/simulator/create-simulator.js';
import { fakeImage } from '../../src/simulator/fake-image.js';
import { createSeededRandom } from '../../src/simulator/seeded-random.js';
import { createFsResultStore } from '../../src/storage/fs-result-store.js';
import type { ImageRecord } from '../../src/storage/image-record.js';
import type { ChaosOptions } from './chaos-options.js';
import { buildChaosReport, type ChaosReport, type StoredFile } from './chaos-report.js';
import { createWorkerFleet } from './worker-fleet.js';

const MODEL = 'gpt-image-1-mini';
const DEPLOYMENTS = ['east', 'west'] as const;
const BATCH = 'chaos';
const PREFIX = 'chaos';
const SIM_KEY = 'sim-key';
const IMAGE_PX = 64;
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChaosRun {
  readonly report: ChaosReport;
  readonly kills: number;
  readonly redisRestarts: number;
  readonly bursts: number;
  readonly workersStarted: number;
  /** From the first enqueue until every image had an outcome (or the deadline). */
  readonly wallSeconds: number;
  /** Whether every image had an outcome before the deadline. */
  readonly isFinished: boolean;
  /** The run's folder (Redis data, output, worker logs, calls.json); removed unless `keep`. */
  readonly dir: string;
}

export interface ChaosRunHooks {
  /** Progress lines (default: none). */
  readonly log?: (message: string) => void;
  /** Aborting ends the run early through the same cleanup: nothing is left running. */
  readonly signal?: AbortSignal;
  /** Log level of the worker processes (default `info`). */
  readonly workerLogLevel?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function listBatchFolder(folder: string): Promise<{ files: StoredFile[]; tempFiles: number }> {
  const files: StoredFile[] = [];
  let tempFiles = 0;
  let directory;
  try {
    directory = await opendir(folder);
  } catch {
    return { files, tempFiles };
  }
  for await (const entry of directory) {
    if (!entry.isFile()) continue;
    if (entry.name.startsWith('.')) {
      if (entry.name.endsWith('.tmp')) tempFiles++;
      continue;
    }
    if (entry.name.endsWith('.json')) continue;
    const path = join(folder, entry.name);
    files.push({ path, bytes: await readFile(path) });
  }
  return { files, tempFiles };
}

/**
 * One chaos run: a private redis-server (append-only file on), the simulator with faults, two
 * deployments, `options.workers` worker processes, one batch of `options.images` images. While
 * it runs, a random worker is SIGKILLed about every `killEveryMs` and replaced, a random
 * deployment answers 429 to every call for 1–3 s about every `burstEveryMs`, and redis-server is restarted once (SIGTERM, then started
 * again on the same port and folder) when `redisRestartAt` of the images are done. The report
 * is built from the simulator's record of calls and what the store and registry hold after the
 * workers stopped.
 */
export async function runChaos(options: ChaosOptions, hooks: ChaosRunHooks = {}): Promise<ChaosRun> {
  const log = hooks.log ?? ((): void => undefined);
  const random = createSeededRandom(options.seed * 7919 + 1);
  const jitter = (meanMs: number): number => Math.round(meanMs * (0.8 + 0.4 * random.next()));

  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-chaos-'));
  const redisDir = join(dir, 'redis');
  const outputDir = join(dir, 'output');
  const logDir = join(dir, 'logs');
  await Promise.all([mkdir(redisDir), mkdir(outputDir), mkdir(logDir)]);
  const redisPort = await freePort();
  let redis: RedisServerProcess = await startRedisServer({ port: redisPort, dir: redisDir, appendOnly: true });
  const simulator = await createSimulator({
    deployments: DEPLOYMENTS.map((name) => ({
      name,
      model: MODEL,
      ratePerMinute: options.ratePerMinute,
      latency: { meanMs: options.latencyMs, sdMs: options.latencyMs / 3 },
    })),
    faults: { seed: options.seed, error500Rate: options.error500Rate, hangRate: options.hangRate, resetRate: options.resetRate },
    imageWidthPx: IMAGE_PX,
    imageHeightPx: IMAGE_PX,
  });
  const configPath = join(dir, 'deployments.json');
  await writeFile(
    configPath,
    JSON.stringify({
      deployments: DEPLOYMENTS.map((name) => ({ name, endpoint: simulator.url, deployment: name, model: MODEL, ratePerMinute: options.ratePerMinute, auth: { apiKeyEnv: 'SIM_KEY' } })),
      worker: {
        // Enough calls in flight for both quotas through hung calls, without thousands of idle slots.
        concurrency: 64,
        timeoutMs: options.timeoutMs,
        backoffBaseMs: 200,
        backoffMaxMs: 2_000,
        pauseRecheckMs: 1_000,
        lockDurationMs: options.lockMs,
        stalledIntervalMs: options.lockMs,
      },
    }),
  );
  const fleet = createWorkerFleet({
    cwd: PROJECT_ROOT,
    logDir,
    env: {
      REDIS_URL: redis.url,
      IMGBATCH_REDIS_PREFIX: PREFIX,
      IMGBATCH_CONFIG: configPath,
      IMGBATCH_OUTPUT_DIR: outputDir,
      IMGBATCH_LOG_LEVEL: hooks.workerLogLevel ?? 'info',
      SIM_KEY,
    },
  });
  const producer = createProducer({ connection: redis.url, prefix: PREFIX });

  // What the chaos did and when, epoch ms (the simulator's clock): which duplicate a kill explains.
  const events: Array<{ readonly atMs: number; readonly what: string }> = [];
  let kills = 0;
  let redisRestarts = 0;
  let bursts = 0;
  let wallSeconds: number;
  let isFinished = false;
  let report: ChaosReport | undefined;
  try {
    log(
      `${options.images} images, ${options.workers} workers, 2 deployments at ${options.ratePerMinute} rpm, latency ~${options.latencyMs} ms, ` +
        `faults 500 ${options.error500Rate} / hang ${options.hangRate} / reset ${options.resetRate}, kill every ~${options.killEveryMs} ms, ` +
        `redis restart at ${Math.round(options.redisRestartAt * 100)} %, folder ${dir}`,
    );
    for (let i = 0; i < options.workers; i++) fleet.start();
    const startedAt = Date.now();
    const requests = Array.from({ length: options.images }, (_, i) => ({ id: `img${i}`, prompt: `chaos image ${i}`, model: MODEL }));
    const enqueued = await producer.enqueue(requests, { batchId: BATCH });
    log(`enqueued ${enqueued.imagesAdded} images`);

    let nextKillAt = Date.now() + jitter(options.killEveryMs);
    let nextBurstAt = options.burstEveryMs === 0 ? Number.POSITIVE_INFINITY : Date.now() + jitter(options.burstEveryMs);
    let done = 0;
    for (;;) {
      if (hooks.signal?.aborted === true) throw new Error('chaos run aborted');
      // Fails while redis-server restarts; the next poll reads again.
      const summary = await producer.batches.summary(BATCH).catch(() => undefined);
      if (summary !== undefined) {
        done = summary.images - summary.pending;
        if (summary.images >= options.images && summary.pending === 0) {
          isFinished = true;
          break;
        }
      }
      if (Date.now() - startedAt > options.deadlineMs) {
        log(`deadline: ${done} of ${options.images} images have an outcome after ${options.deadlineMs} ms; reporting what is there`);
        break;
      }
      if (Date.now() >= nextKillAt && (options.maxKills === undefined || kills < options.maxKills)) {
        const killAt = Date.now();
        const pid = await fleet.kill(Math.floor(random.next() * options.workers));
        kills++;
        events.push({ atMs: killAt, what: `kill ${String(pid)}` });
        fleet.start();
        log(`SIGKILL worker ${String(pid)} (kill ${kills}); ${done}/${options.images} done`);
        nextKillAt = Date.now() + jitter(options.killEveryMs);
      }
      if (redisRestarts === 0 && done >= options.images * options.redisRestartAt) {
        log(`restarting redis-server (SIGTERM; same port and append-only file); ${done}/${options.images} done`);
        events.push({ atMs: Date.now(), what: 'redis stop' });
        await redis.stop();
        redis = await startRedisServer({ port: redisPort, dir: redisDir, appendOnly: true });
        events.push({ atMs: Date.now(), what: 'redis up' });
        redisRestarts++;
        log('redis-server is back');
      }
      if (Date.now() >= nextBurstAt) {
        // Every call to the deployment in the next 1-3 s gets a 429 telling it to wait out the rest.
        const deployment = DEPLOYMENTS[Math.floor(random.next() * DEPLOYMENTS.length)] ?? 'east';
        simulator.throttle(deployment, 1_000 + Math.floor(random.next() * 2_000));
        bursts++;
        nextBurstAt = Date.now() + jitter(options.burstEveryMs);
      }
      await sleep(200);
    }
    wallSeconds = (Date.now() - startedAt) / 1000;
    log(`${isFinished ? 'batch finished' : 'stopped'} after ${wallSeconds.toFixed(1)} s; stopping workers`);
    await fleet.stopAll(20_000);

    const records = new Map<string, ImageRecord>();
    for await (const record of createFsResultStore({ root: outputDir }).listRecords(BATCH)) records.set(record.key, record);
    const outcomes = new Map<string, ImageOutcome>();
    for await (const page of producer.batches.outcomes(BATCH)) for (const [key, outcome] of page) outcomes.set(key, outcome);
    const { files, tempFiles } = await listBatchFolder(join(outputDir, BATCH));
    const calls = simulator.stats();
    // The bytes the simulator makes for each stored record's prompt, to tell a file from another image's.
    const expected = new Map<string, Uint8Array>();
    for (const record of records.values()) {
      expected.set(record.key, (await fakeImage({ prompt: record.prompt, variant: 0, widthPx: IMAGE_PX, heightPx: IMAGE_PX, format: 'png' })).bytes);
    }
    if (options.keep) await writeFile(join(dir, 'calls.json'), JSON.stringify({ calls, events }, null, 1));
    report = buildChaosReport({
      imageKeys: requests.map((r) => imageKey(BATCH, r.id, 0)),
      calls,
      records,
      files,
      tempFiles,
      killTimesMs: events.filter((e) => e.what.startsWith('kill')).map((e) => e.atMs),
      outcomes,
      errors: await producer.batches.errors(BATCH),
      expectedBytes: (record) => expected.get(record.key) ?? new Uint8Array(),
    });
  } finally {
    await fleet.stopAll(5_000);
    await producer.close().catch(() => undefined);
    await simulator.close();
    await redis.stop();
    if (options.keep || report === undefined) log(`kept ${dir} (worker logs in ${logDir})`);
    else await rm(dir, { recursive: true, force: true });
  }
  return { report, kills, redisRestarts, bursts, workersStarted: fleet.started(), wallSeconds, isFinished, dir };
}
