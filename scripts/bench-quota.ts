/**
 * npm run bench:quota — does imgbatch keep several deployments at their quota, without 429
 * storms, whatever the number of worker processes? Everything local: the simulator with three
 * deployments of one model (600, 300 and 120 rpm; 10 s windows at rpm/6), three worker
 * processes, 1,500 images at ~2 s latency; then the same workload through a plain BullMQ
 * worker (scripts/baseline/); then imgbatch again at ~30 s latency with 600 images.
 * Every figure comes from the simulator's own record of calls, not from the workers.
 * Prints a table, then one JSON object as the last line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/cli/redis-server-process.js';
import { createProducer } from '../src/queue/producer.js';
import type { CallRecord } from '../src/simulator/call-stats.js';
import { createSimulator, type Simulator } from '../src/simulator/create-simulator.js';
import { spawnNode, stopAll, waitUntil } from './bench/child-processes.js';
import { formatTable } from './bench/format-table.js';
import { quotaUtilization } from './bench/quota-utilization.js';

const MODEL = 'gpt-image-1-mini';
const DEPLOYMENTS = [
  { name: 'east', ratePerMinute: 600 },
  { name: 'west', ratePerMinute: 300 },
  { name: 'north', ratePerMinute: 120 },
] as const;
const TOTAL_RPM = DEPLOYMENTS.reduce((sum, d) => sum + d.ratePerMinute, 0);
const WORKER_PROCESSES = 3;
const SIM_KEY = 'sim-key';

interface Latency {
  readonly meanMs: number;
  readonly sdMs: number;
}

interface ScenarioResult {
  readonly label: string;
  readonly images: number;
  readonly stored: number;
  readonly calls: number;
  readonly accepted: number;
  readonly rateLimited: number;
  readonly utilization: number;
  readonly rate429: number;
  readonly imagesPerSecond: number;
  readonly wallSeconds: number;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function startSimulator(latency: Latency): Promise<Simulator> {
  return createSimulator({ deployments: DEPLOYMENTS.map((d) => ({ name: d.name, model: MODEL, ratePerMinute: d.ratePerMinute, latency })) });
}

/** Utilization and 429 share from the simulator's own record of calls. */
function measure(label: string, calls: readonly CallRecord[], images: number, stored: number, wallMs: number): ScenarioResult {
  const quota = quotaUtilization(calls, TOTAL_RPM);
  return {
    label,
    images,
    stored,
    calls: quota.calls,
    accepted: quota.accepted,
    rateLimited: quota.rateLimited,
    utilization: quota.utilization,
    rate429: quota.rate429,
    imagesPerSecond: stored / (wallMs / 1000),
    wallSeconds: wallMs / 1000,
  };
}

async function runImgbatch(label: string, redisUrl: string, latency: Latency, images: number): Promise<ScenarioResult> {
  log(`${label}: ${images} images, ${WORKER_PROCESSES} worker processes, latency ${latency.meanMs}±${latency.sdMs} ms`);
  const simulator = await startSimulator(latency);
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-bench-'));
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const configPath = join(dir, 'deployments.json');
  await writeFile(
    configPath,
    JSON.stringify({
      deployments: DEPLOYMENTS.map((d) => ({ name: d.name, endpoint: simulator.url, deployment: d.name, model: MODEL, ratePerMinute: d.ratePerMinute, auth: { apiKeyEnv: 'SIM_KEY' } })),
    }),
  );
  const env = { REDIS_URL: redisUrl, IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_CONFIG: configPath, IMGBATCH_OUTPUT_DIR: join(dir, 'output'), IMGBATCH_LOG_LEVEL: 'warn', SIM_KEY };
  const workers = Array.from({ length: WORKER_PROCESSES }, () => spawnNode(['src/cli/main.ts', 'worker'], env));
  const producer = createProducer({ connection: redisUrl, prefix });
  try {
    // Workers load in ~1-3 s; jobs wait in Redis meanwhile, so the clock starts at enqueue.
    const startedAt = Date.now();
    await producer.enqueue(
      Array.from({ length: images }, (_, i) => ({ id: `img${i}`, prompt: `benchmark image ${i}`, model: MODEL })),
      { batchId: 'bench' },
    );
    await waitUntil(async () => (await producer.batches.summary('bench')).pending === 0, 900_000, `${label} to finish`);
    const wallMs = Date.now() - startedAt;
    const summary = await producer.batches.summary('bench');
    return measure(label, simulator.stats(), images, summary.counts.stored, wallMs);
  } finally {
    await stopAll(workers);
    await producer.close();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runBaseline(redisUrl: string, latency: Latency, images: number): Promise<ScenarioResult> {
  const label = 'baseline BullMQ';
  log(`${label}: ${images} images, ${WORKER_PROCESSES} worker processes, limiter { max: ${TOTAL_RPM}, duration: 60000 }, round-robin, openai default retries`);
  const simulator = await startSimulator(latency);
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-baseline-'));
  const prefix = `baseline-${randomBytes(3).toString('hex')}`;
  const queueName = 'images';
  const env = {
    REDIS_URL: redisUrl,
    BASELINE_QUEUE: queueName,
    BASELINE_PREFIX: prefix,
    BASELINE_DEPLOYMENTS: JSON.stringify(DEPLOYMENTS.map((d) => ({ name: d.name, endpoint: simulator.url, ratePerMinute: d.ratePerMinute }))),
    BASELINE_API_KEY: SIM_KEY,
    BASELINE_OUTPUT_DIR: join(dir, 'output'),
  };
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix });
  queue.on('error', () => undefined);
  const workers = Array.from({ length: WORKER_PROCESSES }, () => spawnNode(['scripts/baseline/bullmq-baseline-worker.ts'], env));
  try {
    const startedAt = Date.now();
    // A typical setup: three attempts with exponential backoff.
    await queue.addBulk(
      Array.from({ length: images }, (_, i) => ({
        name: 'generate',
        data: { prompt: `benchmark image ${i}`, key: `img${i}` },
        opts: { jobId: `img${i}`, attempts: 3, backoff: { type: 'exponential', delay: 1_000 } },
      })),
    );
    await waitUntil(
      async () => {
        const counts = await queue.getJobCounts('completed', 'failed');
        return (counts.completed ?? 0) + (counts.failed ?? 0) >= images;
      },
      900_000,
      'the baseline to finish',
    );
    const wallMs = Date.now() - startedAt;
    const stored = (await readdir(join(dir, 'output'))).filter((f) => f.endsWith('.png')).length;
    return measure(label, simulator.stats(), images, stored, wallMs);
  } finally {
    await stopAll(workers);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function table(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'images', 'stored', 'calls', '429s', 'utilization', 'rate429', 'images/s', 'wall s'];
  const rows = results.map((r) => [
    r.label,
    String(r.images),
    String(r.stored),
    String(r.calls),
    String(r.rateLimited),
    r.utilization.toFixed(3),
    r.rate429.toFixed(4),
    r.imagesPerSecond.toFixed(2),
    r.wallSeconds.toFixed(1),
  ]);
  return formatTable(header, rows);
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

const redis = await startRedisServer();
try {
  const ours = await runImgbatch('imgbatch', redis.url, { meanMs: 2_000, sdMs: 500 }, 1_500);
  const baseline = await runBaseline(redis.url, { meanMs: 2_000, sdMs: 500 }, 1_500);
  const slow = await runImgbatch('imgbatch, 30 s latency', redis.url, { meanMs: 30_000, sdMs: 5_000 }, 600);
  process.stdout.write(`deployments: ${DEPLOYMENTS.map((d) => `${d.name} ${d.ratePerMinute} rpm`).join(', ')} (sum ${TOTAL_RPM} rpm); utilization = accepted calls / (sum rpm / 60 x seconds from first to last call)\n`);
  process.stdout.write(`${table([ours, baseline, slow])}\n`);
  process.stdout.write(
    `${JSON.stringify({
      utilization: round(ours.utilization, 4),
      rate429: round(ours.rate429, 4),
      images_per_s: round(ours.imagesPerSecond, 3),
      baseline: { utilization: round(baseline.utilization, 4), rate429: round(baseline.rate429, 4), images_per_s: round(baseline.imagesPerSecond, 3) },
      slow: { utilization: round(slow.utilization, 4), rate429: round(slow.rate429, 4) },
    })}\n`,
  );
} finally {
  await redis.stop();
}
