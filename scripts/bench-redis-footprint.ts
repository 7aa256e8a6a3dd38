/**
 * npm run bench:redis-footprint — how much Redis a finished image leaves behind, against bare
 * BullMQ. Everything local: a private redis-server, the simulator in this process, one
 * `imgbatch worker` process (the real composition root) over a folder store.
 *
 *   imgbatch  N images (default 2,000) enqueued as one batch and run until every image has an
 *             outcome and the queue holds no job waiting, delayed or active;
 *   bare      bare BullMQ: the same number of jobs through a no-op worker (scripts/baseline/)
 *             with BullMQ's default options (finished jobs kept).
 *
 * Redis is emptied before each run. A run's bytes are the sum of `MEMORY USAGE <key> SAMPLES 0`
 * (every element counted, not sampled) over every key after the run, minus the same sum before
 * it: what the data costs. INFO used_memory is printed beside it for reference: after an imgbatch
 * run it carries about 1.3 MB that no key holds and that does not grow with the images (500,
 * 2,000 and 4,000 images leave +1.5, +2.3 and +2.9 MB: ~300 bytes per image between the last
 * two, transient keys included); it stays when every key is deleted. bytes_per_image = that / images, keys that expire
 * within 5 minutes left out and shown apart as transient_bytes_per_image (the limiter's log of
 * the last minute's calls: a window bounded by the quota, not by the images). Prints a table of
 * bytes by kind of key, then one JSON object as the last line: {"images","bytes_per_image",
 * "transient_bytes_per_image","used_memory_bytes_per_image","bare_bullmq_bytes_per_job"}.
 * Target: bytes_per_image <= 500.
 *
 * Flags: --images N (default 2000).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/cli/redis-server-process.js';
import { IMAGE_QUEUE_NAME } from '../src/job/image-job.js';
import { createKeySpace } from '../src/queue/key-space.js';
import { createProducer } from '../src/queue/producer.js';
import { createSimulator } from '../src/simulator/create-simulator.js';
import { spawnNode, stopAll, waitForLogLine, waitUntil } from './bench/child-processes.js';
import { formatTable } from './bench/format-table.js';

const MODEL = 'gpt-image-1-mini';
const SIM_KEY = 'sim-key';
const BATCH = 'bench';
const DEPLOYMENTS = ['d0', 'd1', 'd2', 'd3'];
/** Fast enough that 2,000 images take seconds; the footprint does not depend on the rate. */
const RATE_PER_MINUTE = 6_000;

const { values } = parseArgs({ options: { images: { type: 'string', default: '2000' } }, strict: true, allowPositionals: false });
const IMAGES = Number(values.images);
if (!Number.isInteger(IMAGES) || IMAGES < 1) throw new Error(`--images: ${values.images} is not allowed (a whole number, 1 or more)`);

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Keys that expire within this long are windows, not what finished images leave behind: the
 * limiter's log of the last minute's calls per deployment (expires 2 minutes after the last
 * call) holds as many entries as the quota allows in a minute, however many images there were.
 */
const TRANSIENT_TTL_MS = 5 * 60_000;

interface Footprint {
  /** Every key that stays longer than TRANSIENT_TTL_MS (or for ever). */
  readonly totalBytes: number;
  /** Keys that expire within TRANSIENT_TTL_MS. */
  readonly transientBytes: number;
  readonly usedMemory: number;
  /** Bytes by kind of key: the key with its ids replaced by `*`. */
  readonly byKind: ReadonlyMap<string, { keys: number; bytes: number }>;
}

/** `{p}:batch:bench:outcomes` -> `{p}:batch:*:outcomes`; `{p}:images:bench/img1/v0` -> `{p}:images:*`. */
function kindOf(key: string, prefix: string): string {
  const rest = key.startsWith(`${prefix}:`) ? key.slice(prefix.length + 1) : key;
  const queueJob = new RegExp(`^(${IMAGE_QUEUE_NAME}|images|[a-z-]+):[^:]*/`);
  if (queueJob.test(rest)) return `${rest.slice(0, rest.indexOf(':'))}:<job>`;
  return rest
    .replace(/^batch:[^:]+/, 'batch:<id>')
    .replace(/^settled-call:.*/, 'settled-call:<call>')
    .replace(/^job-state:.*/, 'job-state:<job>')
    .replace(/^([a-z-]+):(\d+|img\d+)$/, '$1:<job>')
    .replace(/:\d+$/, ':<n>');
}

async function footprint(redis: Redis, prefix: string): Promise<Footprint> {
  const byKind = new Map<string, { keys: number; bytes: number }>();
  let totalBytes = 0;
  let transientBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const sizes = await Promise.all(keys.map((key) => redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') as Promise<number | null>));
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    keys.forEach((key, i) => {
      const bytes = sizes[i] ?? 0;
      const ttlMs = ttls[i] ?? -1;
      const isTransient = ttlMs > 0 && ttlMs <= TRANSIENT_TTL_MS;
      if (isTransient) transientBytes += bytes;
      else totalBytes += bytes;
      const kind = `${kindOf(key, prefix)}${isTransient ? ' (transient)' : ''}`;
      const entry = byKind.get(kind) ?? { keys: 0, bytes: 0 };
      entry.keys++;
      entry.bytes += bytes;
      byKind.set(kind, entry);
    });
  } while (cursor !== '0');
  const info = await redis.info('memory');
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const usedMemory = field('used_memory');
  log(
    `used_memory ${usedMemory}: dataset ${field('used_memory_dataset')}, overhead ${field('used_memory_overhead')} ` +
      `(clients ${field('mem_clients_normal')}, scripts ${field('used_memory_scripts')}, startup ${field('used_memory_startup')})`,
  );
  return { totalBytes, transientBytes, usedMemory, byKind };
}

function printKinds(label: string, after: Footprint, count: number): void {
  const rows = [...after.byKind.entries()]
    .sort((x, y) => y[1].bytes - x[1].bytes)
    .map(([kind, { keys, bytes }]) => [kind, String(keys), String(bytes), (bytes / count).toFixed(1)]);
  log(`${label}: Redis after the run, by kind of key\n${formatTable(['key', 'keys', 'bytes', 'bytes/image'], rows)}`);
}

interface RunFigures {
  readonly images: number;
  readonly finished: number;
  readonly bytesPerImage: number;
  readonly transientBytesPerImage: number;
  readonly usedMemoryPerImage: number;
}

async function runImgbatch(redis: Redis, redisUrl: string): Promise<RunFigures> {
  await redis.flushall();
  const simulator = await createSimulator({ deployments: DEPLOYMENTS.map((name) => ({ name, model: MODEL, ratePerMinute: RATE_PER_MINUTE, latency: { meanMs: 50, sdMs: 10 } })) });
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-footprint-'));
  const prefix = `fp-${randomBytes(3).toString('hex')}`;
  const configPath = join(dir, 'deployments.json');
  await writeFile(
    configPath,
    JSON.stringify({ deployments: DEPLOYMENTS.map((name) => ({ name, endpoint: simulator.url, deployment: name, model: MODEL, ratePerMinute: RATE_PER_MINUTE, auth: { apiKeyEnv: 'SIM_KEY' } })) }),
  );
  const producer = createProducer({ connection: redisUrl, prefix });
  const before = await footprint(redis, createKeySpace(prefix).bullPrefix);
  const worker = spawnNode(['src/cli/main.ts', 'worker'], {
    REDIS_URL: redisUrl,
    IMGBATCH_REDIS_PREFIX: prefix,
    IMGBATCH_CONFIG: configPath,
    IMGBATCH_OUTPUT_DIR: join(dir, 'output'),
    IMGBATCH_LOG_LEVEL: 'info',
    SIM_KEY,
  });
  try {
    await waitForLogLine(worker, 'worker started', 120_000);
    log(`imgbatch: ${IMAGES} images, ${DEPLOYMENTS.length} simulated deployments at ${RATE_PER_MINUTE} rpm each`);
    await producer.enqueue(
      Array.from({ length: IMAGES }, (_, i) => ({ id: `img${i}`, prompt: `benchmark image ${i}`, model: MODEL })),
      { batchId: BATCH },
    );
    // Finished: every image has an outcome, and BullMQ has moved every job on (an outcome is
    // recorded before its job leaves the active list).
    await waitUntil(
      async () => {
        if ((await producer.batches.summary(BATCH)).pending > 0) return false;
        const counts = await producer.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      600_000,
      'the batch to finish',
      500,
    );
    const summary = await producer.batches.summary(BATCH);
    await stopAll([worker]);
    const after = await footprint(redis, createKeySpace(prefix).bullPrefix);
    printKinds('imgbatch', after, IMAGES);
    const finished = IMAGES - summary.pending;
    log(`imgbatch: ${summary.counts.stored} stored, ${summary.counts.failed} failed, ${simulator.stats().length} calls`);
    return {
      images: IMAGES,
      finished,
      bytesPerImage: (after.totalBytes - before.totalBytes) / finished,
      transientBytesPerImage: (after.transientBytes - before.transientBytes) / finished,
      usedMemoryPerImage: (after.usedMemory - before.usedMemory) / finished,
    };
  } finally {
    await stopAll([worker]);
    await producer.close();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runBare(redis: Redis, redisUrl: string): Promise<RunFigures> {
  await redis.flushall();
  const prefix = `bare-${randomBytes(3).toString('hex')}`;
  const queueName = 'images';
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix });
  queue.on('error', () => undefined);
  const before = await footprint(redis, prefix);
  const worker = spawnNode(['scripts/baseline/bullmq-baseline-worker.ts'], { REDIS_URL: redisUrl, BASELINE_QUEUE: queueName, BASELINE_PREFIX: prefix, BASELINE_NOOP: '1' });
  try {
    log(`bare BullMQ: ${IMAGES} jobs, no-op worker`);
    for (let from = 0; from < IMAGES; from += 1_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, IMAGES - from) }, (_, i) => ({ name: 'generate', data: { prompt: `benchmark image ${from + i}`, key: `img${from + i}` }, opts: { jobId: `img${from + i}` } })),
      );
    }
    let finished = 0;
    await waitUntil(
      async () => {
        const counts = await queue.getJobCounts('completed', 'failed');
        finished = (counts.completed ?? 0) + (counts.failed ?? 0);
        return finished >= IMAGES;
      },
      600_000,
      'the bare BullMQ worker to finish',
      500,
    );
    await stopAll([worker]);
    const after = await footprint(redis, prefix);
    printKinds('bare BullMQ', after, IMAGES);
    return {
      images: IMAGES,
      finished,
      bytesPerImage: (after.totalBytes - before.totalBytes) / finished,
      transientBytesPerImage: (after.transientBytes - before.transientBytes) / finished,
      usedMemoryPerImage: (after.usedMemory - before.usedMemory) / finished };
  } finally {
    await stopAll([worker]);
    await queue.close();
    await connection.quit();
  }
}

const server = await startRedisServer();
const redis = new Redis(server.url, { maxRetriesPerRequest: null });
let imgbatch: RunFigures;
let bare: RunFigures;
try {
  imgbatch = await runImgbatch(redis, server.url);
  bare = await runBare(redis, server.url);
} finally {
  await redis.quit();
  await server.stop();
}
process.stdout.write(
  `${formatTable(
    ['run', 'images', 'finished', 'key bytes/image', 'transient key bytes/image', 'used_memory bytes/image'],
    [imgbatch, bare].map((r, i) => [
      i === 0 ? 'imgbatch' : 'bare BullMQ',
      String(r.images),
      String(r.finished),
      r.bytesPerImage.toFixed(0),
      r.transientBytesPerImage.toFixed(0),
      r.usedMemoryPerImage.toFixed(0),
    ]),
  )}\n`,
);
process.stdout.write(
  `${JSON.stringify({
    images: imgbatch.images,
    bytes_per_image: Math.round(imgbatch.bytesPerImage),
    transient_bytes_per_image: Math.round(imgbatch.transientBytesPerImage),
    used_memory_bytes_per_image: Math.round(imgbatch.usedMemoryPerImage),
    bare_bullmq_bytes_per_job: Math.round(bare.bytesPerImage),
  })}\n`,
);
