import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../test/helpers/services.js';
import type { ImageOutcome } from '../../src/batch/image-outcome.js';
import { freePort, startRedisServer, type RedisServerProcess } from '../../src/cli/redis-server-process.js';
import { imageKey } from '../../src/job/image-job.js';
import { createProducer } from '../../src/queue/producer.js';
import { createSimulator } from '../../src/simulator/create-simulator.js';
import { fakeImage } from '../../src/simulator/fake-image.js';
import { createSeededRandom } from '../../src/simulator/seeded-random.js';
import { DEFAULT_PRICE_TABLE } from '../../src/cost/default-price-table.js';
import { expectedCallCost } from '../../src/cost/expected-call-cost.js';
import { createBlobResultStore } from '../../src/storage/blob-result-store.js';
import type { ImageRecord } from '../../src/storage/image-record.js';
import type { ChaosOptions } from './chaos-options.js';
import { buildChaosReport, type ChaosReport, type StoredFile } from './chaos-report.js';
import { attributeCalls } from './attribute-calls.js';
import { createCallerProxies } from './caller-proxy.js';
import { createWorkerFleet } from './worker-fleet.js';

const MODEL = 'gpt-image-1-mini';
const DEPLOYMENTS = ['east', 'west'] as const;
const BATCH = 'chaos';
const PREFIX = 'chaos';
const SIM_KEY = 'sim-key';
const IMAGE_PX = 64;
const SIZE = '1024x1024';
const QUALITY = 'low';
const CONTAINER = 'imgbatch';
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChaosRun {
  readonly report: ChaosReport;
  readonly kills: number;
  readonly redisRestarts: number;
  /** Times redis-server was paused (SIGSTOP) longer than the job lock, then continued. */
  readonly redisPauses: number;
  /** Times the store (Azurite) was stopped mid-batch, then started again on the same port and data. */
  readonly storeOutages: number;
  /** The batch's budget, USD: the images' expected cost times (1 + budgetMargin). */
  readonly maxCostUsd: number;
  /** What the batch cost, USD, possibly billed calls (timeouts, resets, killed workers) included. */
  readonly spentUsd: number;
  /** The part of `spentUsd` that is possibly billed. */
  readonly possiblyBilledUsd: number;
  /** max(0, spentUsd - maxCostUsd): must be 0. */
  readonly overBudgetUsd: number;
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

/** The batch's image blobs (not records, not images kept aside in sub-folders), by URL as a record's `location` names them. */
async function listBatchBlobs(connectionString: string): Promise<StoredFile[]> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(CONTAINER);
  const files: StoredFile[] = [];
  const folder = `${BATCH}/`;
  for await (const item of container.listBlobsFlat({ prefix: folder })) {
    if (item.name.endsWith('.json') || item.name.slice(folder.length).includes('/')) continue;
    const blob = container.getBlockBlobClient(item.name);
    files.push({ path: blob.url, bytes: await blob.downloadToBuffer() });
  }
  return files;
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
  // Each line stamped with the time of day (UTC), the clock the report's call times use.
  const log = (line: string): void => hooks.log?.(`${new Date().toISOString().slice(11, 23)} ${line}`);
  const random = createSeededRandom(options.seed * 7919 + 1);
  const jitter = (meanMs: number): number => Math.round(meanMs * (0.8 + 0.4 * random.next()));

  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-chaos-'));
  const redisDir = join(dir, 'redis');
  const azuriteDir = join(dir, 'azurite');
  const logDir = join(dir, 'logs');
  await Promise.all([mkdir(redisDir), mkdir(azuriteDir), mkdir(logDir)]);
  const redisPort = await freePort();
  let redis: RedisServerProcess = await startRedisServer({ port: redisPort, dir: redisDir, appendOnly: true });
  // Blobs in a folder, so that a stop and a start on the same port keep them: a real outage, not a wipe.
  let azurite = await startAzurite({ location: azuriteDir });
  const azuritePort = azurite.port;
  const { connectionString } = azurite;
  const redisPauseMs = options.redisPauseMs ?? 3 * options.lockMs;
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
  const proxies = createCallerProxies(simulator.url);
  // Each worker calls the simulator through its own proxy, so that every call has a known caller.
  const writeWorkerConfig = async (worker: number): Promise<string> => {
    const endpoint = await proxies.open(worker);
    const configPath = join(dir, `deployments-${String(worker)}.json`);
    await writeFile(
      configPath,
      JSON.stringify({
      deployments: DEPLOYMENTS.map((name) => ({ name, endpoint, deployment: name, model: MODEL, ratePerMinute: options.ratePerMinute, auth: { apiKeyEnv: 'SIM_KEY' } })),
      worker: {
        // Enough calls in flight for both quotas through hung calls, without thousands of idle slots.
        concurrency: 64,
        timeoutMs: options.timeoutMs,
        backoffBaseMs: 200,
        backoffMaxMs: 2_000,
        pauseRecheckMs: 1_000,
        lockDurationMs: options.lockMs,
        stalledIntervalMs: options.lockMs,
        // The run's own spool: another run on this machine with the same prefix must not share it.
        spoolDir: join(dir, 'spool'),
      },
    }),
  );
    return configPath;
  };
  const fleet = createWorkerFleet({
    cwd: PROJECT_ROOT,
    logDir,
    envFor: async (worker) => ({ IMGBATCH_CONFIG: await writeWorkerConfig(worker) }),
    env: {
      REDIS_URL: redis.url,
      IMGBATCH_REDIS_PREFIX: PREFIX,
      AZURE_STORAGE_CONNECTION_STRING: connectionString,
      IMGBATCH_BLOB_CONTAINER: CONTAINER,
      IMGBATCH_LOG_LEVEL: hooks.workerLogLevel ?? 'info',
      SIM_KEY,
    },
  });
  const producer = createProducer({ connection: redis.url, prefix: PREFIX });

  // What the chaos did and when, epoch ms (the simulator's clock): which duplicate a kill explains.
  const events: Array<{ readonly atMs: number; readonly what: string }> = [];
  const killed: Array<{ readonly atMs: number; readonly worker: number }> = [];
  let kills = 0;
  let redisRestarts = 0;
  let redisPauses = 0;
  let storeOutages = 0;
  // When the stopped store is started again, epoch ms; undefined while it runs.
  let storeBackAt: number | undefined;
  const promptChars = `chaos image ${options.images}`.length;
  const maxCostUsd = expectedCallCost(DEFAULT_PRICE_TABLE, { model: MODEL, size: SIZE, quality: QUALITY, images: 1, promptChars }).usd * options.images * (1 + options.budgetMargin);
  let spentUsd: number;
  let possiblyBilledUsd: number;
  let bursts = 0;
  let wallSeconds: number;
  let isFinished = false;
  let report: ChaosReport | undefined;
  try {
    log(
      `${options.images} images, ${options.workers} workers, 2 deployments at ${options.ratePerMinute} rpm, latency ~${options.latencyMs} ms, ` +
        `faults 500 ${options.error500Rate} / hang ${options.hangRate} / reset ${options.resetRate}, kill every ~${options.killEveryMs} ms, ` +
        `redis restart at ${Math.round(options.redisRestartAt * 100)} %, store outage ${options.storeOutageMs} ms at ${Math.round(options.storeOutageAt * 100)} %, ` +
        `redis pause ${redisPauseMs} ms at ${Math.round(options.redisPauseAt * 100)} %, budget $${maxCostUsd.toFixed(4)}, folder ${dir}`,
    );
    for (let i = 0; i < options.workers; i++) await fleet.start();
    const startedAt = Date.now();
    const requests = Array.from({ length: options.images }, (_, i) => ({ id: `img${i}`, prompt: `chaos image ${i}`, model: MODEL, size: SIZE, quality: QUALITY }));
    const enqueued = await producer.enqueue(requests, { batchId: BATCH, maxCostUsd });
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
        const victim = await fleet.kill(Math.floor(random.next() * options.workers));
        kills++;
        events.push({ atMs: killAt, what: `kill worker ${String(victim?.worker)} pid ${String(victim?.pid)}` });
        if (victim !== undefined) killed.push({ atMs: killAt, worker: victim.worker });
        await fleet.start();
        log(`SIGKILL worker ${String(victim?.worker)} pid ${String(victim?.pid)} (kill ${kills}); ${done}/${options.images} done`);
        nextKillAt = Date.now() + jitter(options.killEveryMs);
      }
      if (storeOutages === 0 && options.storeOutageMs > 0 && done >= options.images * options.storeOutageAt) {
        log(`stopping the store (Azurite) for ${options.storeOutageMs} ms; ${done}/${options.images} done`);
        events.push({ atMs: Date.now(), what: 'store stop' });
        await azurite.stop();
        storeOutages++;
        storeBackAt = Date.now() + options.storeOutageMs;
      }
      if (storeBackAt !== undefined && Date.now() >= storeBackAt) {
        azurite = await startAzurite({ port: azuritePort, location: azuriteDir });
        events.push({ atMs: Date.now(), what: 'store up' });
        storeBackAt = undefined;
        log(`the store is back; ${done}/${options.images} done`);
      }
      // One fault at a time: the Redis faults wait for the store to be back.
      const isStoreUp = storeBackAt === undefined;
      if (isStoreUp && redisRestarts === 0 && done >= options.images * options.redisRestartAt) {
        log(`restarting redis-server (SIGTERM; same port and append-only file); ${done}/${options.images} done`);
        events.push({ atMs: Date.now(), what: 'redis stop' });
        await redis.stop();
        redis = await startRedisServer({ port: redisPort, dir: redisDir, appendOnly: true });
        events.push({ atMs: Date.now(), what: 'redis up' });
        redisRestarts++;
        log('redis-server is back');
      }
      if (isStoreUp && redisPauses === 0 && redisPauseMs > 0 && done >= options.images * options.redisPauseAt) {
        // Longer than the job lock: the stalled checker hands every in-flight job to another
        // worker once Redis answers again, while the first calls are still running.
        log(`pausing redis-server (SIGSTOP) for ${redisPauseMs} ms; ${done}/${options.images} done`);
        events.push({ atMs: Date.now(), what: 'redis pause' });
        redis.process.kill('SIGSTOP');
        try {
          await sleep(redisPauseMs);
        } finally {
          redis.process.kill('SIGCONT');
        }
        events.push({ atMs: Date.now(), what: 'redis continue' });
        redisPauses++;
        log('redis-server continues');
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
    if (storeBackAt !== undefined) {
      azurite = await startAzurite({ port: azuritePort, location: azuriteDir });
      storeBackAt = undefined;
    }

    const finalSummary = await producer.batches.summary(BATCH);
    spentUsd = finalSummary.costUsd;
    possiblyBilledUsd = finalSummary.possiblyBilledCostUsd;
    const records = new Map<string, ImageRecord>();
    for await (const record of createBlobResultStore({ container: CONTAINER, connectionString }).listRecords(BATCH)) records.set(record.key, record);
    const outcomes = new Map<string, ImageOutcome>();
    for await (const page of producer.batches.outcomes(BATCH)) for (const [key, outcome] of page) outcomes.set(key, outcome);
    const files = await listBatchBlobs(connectionString);
    // Blob uploads are atomic: no unfinished writes to count.
    const tempFiles = 0;
    const calls = simulator.stats();
    // The bytes the simulator makes for each stored record's prompt, to tell a file from another image's.
    const expected = new Map<string, Uint8Array>();
    for (const record of records.values()) {
      expected.set(record.key, (await fakeImage({ prompt: record.prompt, variant: 0, widthPx: IMAGE_PX, heightPx: IMAGE_PX, format: 'png' })).bytes);
    }
    const callers = attributeCalls(calls, proxies.callers(), proxies.unanswered());
    if (options.keep) await writeFile(join(dir, 'calls.json'), JSON.stringify({ calls, events, callers: Object.fromEntries(callers), unanswered: proxies.unanswered() }, null, 1));
    report = buildChaosReport({
      imageKeys: requests.map((r) => imageKey(BATCH, r.id, 0)),
      calls,
      records,
      files,
      tempFiles,
      kills: killed,
      callers,
      outcomes,
      errors: await producer.batches.errors(BATCH),
      expectedBytes: (record) => expected.get(record.key) ?? new Uint8Array(),
    });
  } finally {
    await fleet.stopAll(5_000);
    await producer.close().catch(() => undefined);
    await proxies.close();
    await simulator.close();
    await redis.stop();
    await azurite.stop();
    if (options.keep || report === undefined) log(`kept ${dir} (worker logs in ${logDir})`);
    else await rm(dir, { recursive: true, force: true });
  }
  const overBudgetUsd = Math.max(0, spentUsd - maxCostUsd);
  return { report, kills, redisRestarts, redisPauses, storeOutages, maxCostUsd, spentUsd, possiblyBilledUsd, overBudgetUsd, bursts, workersStarted: fleet.started(), wallSeconds, isFinished, dir };
}
