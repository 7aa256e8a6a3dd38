/**
 * npm run bench:fairness [-- --scale 0.1] — does a small batch that matters get through while
 * a big one drains the same deployments, without the quota going unused? Everything local: the
 * simulator with two deployments of one model (120 and 60 rpm, ~2 s latency), two `imgbatch
 * worker` processes, a private redis-server.
 *  1. A `bulk` batch of 1,500 images; 30 s later a `high` batch of 10. The high batch's wait
 *     (its enqueue to its last image stored) against the ideal: 10 images at the summed rate
 *     plus one call's latency. Utilization and 429s over the whole drain.
 *  2. Two `normal` batches of 1,000 and 50, enqueued together: the small one's finish against
 *     its fair share (50 images at half the summed rate, plus one call's latency).
 * --scale shrinks the big batches and the 30 s (not the high batch nor the small one).
 * Calls, latencies and 429s come from the simulator's own record. Prints a summary, then one
 * JSON object as the last line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../src/cli/redis-server-process.js';
import type { JobPriority } from '../src/job/job-priority.js';
import { createProducer, type Producer } from '../src/queue/producer.js';
import { RATE_COUNTED_OUTCOMES, type CallRecord } from '../src/simulator/call-stats.js';
import { createSimulator, type Simulator } from '../src/simulator/create-simulator.js';
import { spawnNode, stopAll, waitUntil } from './bench/child-processes.js';
import { quotaUtilization } from './bench/quota-utilization.js';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' } }, strict: true, allowPositionals: false });
const scale = Number(values.scale);
if (!Number.isFinite(scale) || scale <= 0 || scale > 1) throw new Error(`--scale: ${values.scale} is not allowed (a number above 0, at most 1)`);

const MODEL = 'gpt-image-1-mini';
const DEPLOYMENTS = [
  { name: 'east', ratePerMinute: 120 },
  { name: 'west', ratePerMinute: 60 },
] as const;
const TOTAL_RPM = DEPLOYMENTS.reduce((sum, d) => sum + d.ratePerMinute, 0);
const LATENCY = { meanMs: 2_000, sdMs: 300 };
const WORKER_PROCESSES = 2;
const SIM_KEY = 'sim-key';
const BULK_IMAGES = Math.round(1_500 * scale);
const INTERACTIVE_IMAGES = 10;
const INTERACTIVE_AFTER_MS = Math.max(5_000, 30_000 * scale);
const BIG_IMAGES = Math.round(1_000 * scale);
const SMALL_IMAGES = 50;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

interface Setup {
  readonly simulator: Simulator;
  readonly producer: Producer;
  readonly outputDir: string;
  close(): Promise<void>;
}

/** A fresh simulator, key prefix and output folder, and two worker processes on them. */
async function setUp(redisUrl: string): Promise<Setup> {
  const simulator = await createSimulator({ deployments: DEPLOYMENTS.map((d) => ({ name: d.name, model: MODEL, ratePerMinute: d.ratePerMinute, latency: LATENCY })) });
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-fairness-'));
  const prefix = `fair-${randomBytes(3).toString('hex')}`;
  const configPath = join(dir, 'deployments.json');
  await writeFile(
    configPath,
    JSON.stringify({
      deployments: DEPLOYMENTS.map((d) => ({ name: d.name, endpoint: simulator.url, deployment: d.name, model: MODEL, ratePerMinute: d.ratePerMinute, auth: { apiKeyEnv: 'SIM_KEY' } })),
    }),
  );
  const outputDir = join(dir, 'output');
  const env = { REDIS_URL: redisUrl, IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_CONFIG: configPath, IMGBATCH_OUTPUT_DIR: outputDir, IMGBATCH_LOG_LEVEL: 'warn', SIM_KEY };
  const workers = Array.from({ length: WORKER_PROCESSES }, () => spawnNode(['src/cli/main.ts', 'worker'], env));
  const producer = createProducer({ connection: redisUrl, prefix });
  return {
    simulator,
    producer,
    outputDir,
    async close() {
      await stopAll(workers);
      await producer.close();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function enqueue(producer: Producer, batchId: string, images: number, priority: JobPriority): Promise<unknown> {
  const requests = Array.from({ length: images }, (_, i) => ({ id: `img${i}`, prompt: `${batchId} image ${i}`, model: MODEL }));
  return producer.enqueue(requests, { batchId, priority });
}

async function waitForBatch(producer: Producer, batchId: string, what: string): Promise<void> {
  await waitUntil(async () => (await producer.batches.summary(batchId)).pending === 0, 1_800_000, what, 200);
}

/** When the batch's last image file was written (epoch ms), from the folder store. */
async function lastStoredAtMs(outputDir: string, batchId: string): Promise<number> {
  const folder = join(outputDir, batchId);
  const names = (await readdir(folder)).filter((name) => name.endsWith('.png'));
  const times = await Promise.all(names.map(async (name) => (await stat(join(folder, name))).mtimeMs));
  return Math.max(...times);
}

function meanLatencyMs(calls: readonly CallRecord[]): number {
  const answered = calls.filter((c) => RATE_COUNTED_OUTCOMES.includes(c.outcome) && c.latencyMs !== null);
  return answered.reduce((sum, c) => sum + (c.latencyMs ?? 0), 0) / Math.max(1, answered.length);
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

async function priorityScenario(redisUrl: string): Promise<{ waitS: number; idealS: number; utilization: number; rate429: number; latencyMs: number }> {
  log(`1. bulk ${BULK_IMAGES} images, then after ${INTERACTIVE_AFTER_MS / 1000} s a high batch of ${INTERACTIVE_IMAGES}`);
  const setup = await setUp(redisUrl);
  try {
    await enqueue(setup.producer, 'bulk', BULK_IMAGES, 'bulk');
    await new Promise((r) => setTimeout(r, INTERACTIVE_AFTER_MS));
    const highAt = Date.now();
    await enqueue(setup.producer, 'high', INTERACTIVE_IMAGES, 'high');
    await waitForBatch(setup.producer, 'high', 'the high batch');
    const waitS = ((await lastStoredAtMs(setup.outputDir, 'high')) - highAt) / 1000;
    log(`   high batch done in ${waitS.toFixed(1)} s; waiting for the bulk batch to drain`);
    await waitForBatch(setup.producer, 'bulk', 'the bulk batch');
    const calls = setup.simulator.stats();
    const quota = quotaUtilization(calls, TOTAL_RPM);
    const latencyMs = meanLatencyMs(calls);
    const idealS = INTERACTIVE_IMAGES / (TOTAL_RPM / 60) + latencyMs / 1000;
    const firstCallAtMs = Math.min(...calls.map((c) => c.arrivedAtMs));
    const settled = quotaUtilization(
      calls.filter((c) => c.arrivedAtMs >= firstCallAtMs + 60_000),
      TOTAL_RPM,
    );
    log(`   ${quota.calls} calls over ${quota.spanSeconds.toFixed(0)} s, ${quota.rateLimited} 429s, utilization ${quota.utilization.toFixed(3)} (${settled.utilization.toFixed(3)} after the first minute)`);
    return { waitS, idealS, utilization: quota.utilization, rate429: quota.rate429, latencyMs };
  } finally {
    await setup.close();
  }
}

async function fairShareScenario(redisUrl: string): Promise<{ smallS: number; fairS: number }> {
  log(`2. two normal batches, ${BIG_IMAGES} and ${SMALL_IMAGES} images, enqueued together`);
  const setup = await setUp(redisUrl);
  try {
    const startedAt = Date.now();
    await Promise.all([enqueue(setup.producer, 'big', BIG_IMAGES, 'normal'), enqueue(setup.producer, 'small', SMALL_IMAGES, 'normal')]);
    await waitForBatch(setup.producer, 'small', 'the small batch');
    const smallS = ((await lastStoredAtMs(setup.outputDir, 'small')) - startedAt) / 1000;
    const fairS = SMALL_IMAGES / (TOTAL_RPM / 60 / 2) + meanLatencyMs(setup.simulator.stats()) / 1000;
    log(`   small batch done in ${smallS.toFixed(1)} s (fair share ${fairS.toFixed(1)} s)`);
    return { smallS, fairS };
  } finally {
    await setup.close();
  }
}

const redis = await startRedisServer();
try {
  const first = await priorityScenario(redis.url);
  const second = await fairShareScenario(redis.url);
  process.stdout.write(
    `deployments: ${DEPLOYMENTS.map((d) => `${d.name} ${d.ratePerMinute} rpm`).join(', ')}; ${WORKER_PROCESSES} worker processes; mean latency ${(first.latencyMs / 1000).toFixed(2)} s\n` +
      `high batch: ${first.waitS.toFixed(1)} s against an ideal ${first.idealS.toFixed(1)} s; small batch: ${second.smallS.toFixed(1)} s against a fair share of ${second.fairS.toFixed(1)} s\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bulk_images: BULK_IMAGES,
      interactive_images: INTERACTIVE_IMAGES,
      interactive_wait_s: round(first.waitS, 2),
      interactive_ideal_s: round(first.idealS, 2),
      ratio: round(first.waitS / first.idealS, 3),
      utilization: round(first.utilization, 4),
      rate429: round(first.rate429, 4),
      small_batch_s: round(second.smallS, 2),
      small_fair_share_s: round(second.fairS, 2),
      small_ratio: round(second.smallS / second.fairS, 3),
    })}\n`,
  );
} finally {
  await redis.stop();
}
