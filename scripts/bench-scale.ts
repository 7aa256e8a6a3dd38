/**
 * npm run bench:scale — what imgbatch costs as it grows: quota use with slow calls, CPU and
 * memory of one worker process, and Redis work per image, against bare BullMQ. Everything
 * local: a private redis-server, the simulator in this process, `imgbatch worker` processes.
 * Every figure comes from the simulator's record of calls, /proc of the worker process, or
 * Redis INFO (commandstats, stats, memory) on the private server:
 *
 *   A     16 deployments × 150 rpm, latency 60 ± 15 s, one worker process, 8,000 images
 *   B     the same deployments, latency 120 ± 20 s, 6,000 images
 *   C     4 deployments × 600 rpm, then 64 × 40 rpm (the same total), latency 10 ± 2 s,
 *         3,000 images each: Redis commands per image as the number of deployments grows
 *   bare  bare BullMQ: a no-op worker (scripts/baseline/) over as many jobs as A
 *
 * utilization: accepted calls / (summed rpm / 60 × seconds from first call to last); rate429:
 * 429s / calls; cpu_ms_per_image: the worker's user + system CPU from the first job to the
 * last / images stored; peak_rss_mb: its VmHWM; redis_cmds_per_image: commands Redis ran
 * (inside scripts included; this script's own progress reads taken out) / images;
 * redis_bytes_per_finished_image: Redis used_memory after the batch minus before / images
 * stored (what a finished image leaves behind); the bare_ figures are the same for BullMQ.
 *
 * Flags: --image-scale F and --latency-scale F (default 1: the sizes above) shrink the runs,
 * e.g. `--image-scale 0.05 --latency-scale 0.05` for a check in about two minutes; --scenarios
 * A,B,C,bare picks runs (default all); --timeout-ms N sets the worker's call timeout (default:
 * imgbatch's own); --calls-out FILE writes every call the simulator saw (run, deployment, arrival
 * ms after the run's first call, outcome) as JSON lines, to see where quota went unused. Takes about 15 minutes at full size; run it on a quiet machine. Prints a
 * table, then one JSON object as the last line.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/cli/redis-server-process.js';
import { createProducer } from '../src/queue/producer.js';
import { readRedisUsage } from '../src/queue/read-redis-usage.js';
import type { CallRecord } from '../src/simulator/call-stats.js';
import { createSimulator } from '../src/simulator/create-simulator.js';
import { spawnNode, stopAll, waitForExit, waitForLogLine, waitUntil } from './bench/child-processes.js';
import { formatTable } from './bench/format-table.js';
import { readProcessUsage } from './bench/process-usage.js';
import { quotaUtilization } from './bench/quota-utilization.js';

const MODEL = 'gpt-image-1-mini';
const SIM_KEY = 'sim-key';
const SCENARIOS = ['A', 'B', 'C', 'bare'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function scaleFlag(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || parsed > 1) throw new Error(`--${name}: ${value} is not allowed (a number above 0, at most 1)`);
  return parsed;
}

const { values } = parseArgs({
  options: {
    'image-scale': { type: 'string', default: '1' },
    'latency-scale': { type: 'string', default: '1' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    'timeout-ms': { type: 'string' },
    'calls-out': { type: 'string' },
  },
  strict: true,
  allowPositionals: false,
});
const imageScale = scaleFlag('image-scale', values['image-scale']);
const latencyScale = scaleFlag('latency-scale', values['latency-scale']);
const chosen = new Set(
  values.scenarios.split(',').map((name) => {
    const scenario = SCENARIOS.find((s) => s === name.trim());
    if (scenario === undefined) throw new Error(`--scenarios: "${name}" is not allowed (allowed: ${SCENARIOS.join(', ')})`);
    return scenario;
  }),
);
const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) throw new Error(`--timeout-ms: ${values['timeout-ms'] ?? ''} is not allowed (a whole number of ms)`);

const callsOut = values['calls-out'];

async function writeCalls(path: string, label: string, calls: readonly CallRecord[]): Promise<void> {
  const first = Math.min(...calls.map((c) => c.arrivedAtMs));
  const lines = calls.map((c) => JSON.stringify({ run: label, deployment: c.deployment, atMs: c.arrivedAtMs - first, outcome: c.outcome }));
  await appendFile(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}

const images = (full: number): number => Math.max(1, Math.round(full * imageScale));
const latency = (meanMs: number, sdMs: number): Latency => ({ meanMs: Math.round(meanMs * latencyScale), sdMs: Math.round(sdMs * latencyScale) });

interface Latency {
  readonly meanMs: number;
  readonly sdMs: number;
}

interface Deployment {
  readonly name: string;
  readonly ratePerMinute: number;
}

function deployments(count: number, ratePerMinute: number): Deployment[] {
  return Array.from({ length: count }, (_, i) => ({ name: `d${String(i).padStart(2, '0')}`, ratePerMinute }));
}

interface RunFigures {
  readonly label: string;
  readonly images: number;
  readonly stored: number;
  readonly failed: number;
  readonly calls: number;
  readonly rate429: number;
  readonly utilization: number | undefined;
  readonly cpuMsPerImage: number | undefined;
  readonly peakRssMb: number | undefined;
  readonly cmdsPerImage: number;
  readonly netBytesPerImage: number;
  readonly memoryBytesPerImage: number;
  readonly wallSeconds: number;
  /** The commands Redis ran most, per image. */
  readonly topCommands: string;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function topCommands(commands: Readonly<Record<string, number>>, count: number): string {
  return Object.entries(commands)
    .filter(([name]) => name !== 'info' && name !== 'config' && !name.startsWith('config|'))
    .sort((x, y) => y[1] - x[1])
    .slice(0, 16)
    .map(([name, calls]) => `${name} ${(calls / count).toFixed(1)}`)
    .join(', ');
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** Commands one call of `read` runs, so a run's progress reads can be taken out of its count. */
async function commandsOf(redis: Redis, read: () => Promise<unknown>): Promise<number> {
  await redis.config('RESETSTAT');
  await read();
  return (await readRedisUsage(redis)).totalCommands;
}

async function runImgbatch(redis: Redis, redisUrl: string, label: string, fleet: readonly Deployment[], callLatency: Latency, count: number): Promise<RunFigures> {
  const totalRpm = fleet.reduce((sum, d) => sum + d.ratePerMinute, 0);
  log(`${label}: ${count} images, ${fleet.length} deployments (${totalRpm} rpm in all), latency ${callLatency.meanMs} ± ${callLatency.sdMs} ms, one worker process`);
  await redis.flushall();
  const simulator = await createSimulator({ deployments: fleet.map((d) => ({ name: d.name, model: MODEL, ratePerMinute: d.ratePerMinute, latency: callLatency })) });
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-scale-'));
  const prefix = `scale-${randomBytes(3).toString('hex')}`;
  const configPath = join(dir, 'deployments.json');
  await writeFile(
    configPath,
    JSON.stringify({
      deployments: fleet.map((d) => ({ name: d.name, endpoint: simulator.url, deployment: d.name, model: MODEL, ratePerMinute: d.ratePerMinute, auth: { apiKeyEnv: 'SIM_KEY' } })),
      ...(timeoutMs !== undefined && { worker: { timeoutMs } }),
    }),
  );
  const producer = createProducer({ connection: redisUrl, prefix });
  const readProgress = () => producer.batches.summary('bench');
  const commandsPerRead = await commandsOf(redis, readProgress);
  const memoryBefore = await usedMemory(redis);
  await redis.config('RESETSTAT');
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
    // The CPU of loading the process is not the images': counted from here.
    await new Promise((r) => setTimeout(r, 2_000));
    const pid = worker.pid ?? 0;
    const cpuAtStart = readProcessUsage(pid).cpuMs;
    const startedAt = Date.now();
    // From a process of its own, as a producer would be: not in this one, the simulator's.
    await waitForExit(spawnNode(['scripts/bench/enqueue-images.ts', String(count), MODEL, 'bench'], { REDIS_URL: redisUrl, IMGBATCH_REDIS_PREFIX: prefix }), 'the producer');
    log(`${label}: enqueued by the producer process ${Date.now() - startedAt} ms after its start`);
    let reads = 0;
    const expectedMs = (count / (totalRpm / 60)) * 1_000 + 4 * (callLatency.meanMs + 3 * callLatency.sdMs) + 300_000;
    await waitUntil(
      async () => {
        reads++;
        return (await readProgress()).pending === 0;
      },
      expectedMs,
      `${label} to finish`,
      1_000,
    );
    const wallMs = Date.now() - startedAt;
    const usage = await readRedisUsage(redis);
    const processUsage = readProcessUsage(pid);
    const summary = await readProgress();
    const memoryAfter = await usedMemory(redis);
    const calls = simulator.stats();
    const quota = quotaUtilization(calls, totalRpm);
    if (callsOut !== undefined) await writeCalls(callsOut, label, calls);
    const stored = summary.counts.stored;
    return {
      label,
      images: count,
      stored,
      failed: summary.counts.failed,
      calls: quota.calls,
      rate429: quota.rate429,
      utilization: quota.utilization,
      cpuMsPerImage: (processUsage.cpuMs - cpuAtStart) / Math.max(1, stored),
      peakRssMb: processUsage.peakRssBytes / 2 ** 20,
      cmdsPerImage: (usage.totalCommands - reads * commandsPerRead) / count,
      netBytesPerImage: (usage.netInputBytes + usage.netOutputBytes) / count,
      memoryBytesPerImage: (memoryAfter - memoryBefore) / Math.max(1, stored),
      wallSeconds: wallMs / 1000,
      topCommands: topCommands(usage.commands, count),
    };
  } finally {
    await stopAll([worker]);
    await producer.close();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runBare(redis: Redis, redisUrl: string, count: number): Promise<RunFigures> {
  const label = 'bare BullMQ (no-op)';
  log(`${label}: ${count} jobs, one worker process`);
  await redis.flushall();
  const prefix = `bare-${randomBytes(3).toString('hex')}`;
  const queueName = 'images';
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix });
  queue.on('error', () => undefined);
  const readProgress = () => queue.getJobCounts('completed', 'failed');
  const commandsPerRead = await commandsOf(redis, readProgress);
  const memoryBefore = await usedMemory(redis);
  await redis.config('RESETSTAT');
  const worker = spawnNode(['scripts/baseline/bullmq-baseline-worker.ts'], { REDIS_URL: redisUrl, BASELINE_QUEUE: queueName, BASELINE_PREFIX: prefix, BASELINE_NOOP: '1' });
  try {
    const startedAt = Date.now();
    for (let from = 0; from < count; from += 1_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, count - from) }, (_, i) => ({ name: 'generate', data: { prompt: `benchmark image ${from + i}`, key: `img${from + i}` }, opts: { jobId: `img${from + i}` } })),
      );
    }
    let reads = 0;
    let completed = 0;
    await waitUntil(
      async () => {
        reads++;
        const counts = await readProgress();
        completed = counts.completed ?? 0;
        return completed + (counts.failed ?? 0) >= count;
      },
      600_000,
      'the bare BullMQ worker to finish',
      1_000,
    );
    const wallMs = Date.now() - startedAt;
    const usage = await readRedisUsage(redis);
    const memoryAfter = await usedMemory(redis);
    return {
      label,
      images: count,
      stored: completed,
      failed: count - completed,
      calls: 0,
      rate429: 0,
      utilization: undefined,
      cpuMsPerImage: undefined,
      peakRssMb: undefined,
      cmdsPerImage: (usage.totalCommands - reads * commandsPerRead) / count,
      netBytesPerImage: (usage.netInputBytes + usage.netOutputBytes) / count,
      memoryBytesPerImage: (memoryAfter - memoryBefore) / Math.max(1, completed),
      wallSeconds: wallMs / 1000,
      topCommands: topCommands(usage.commands, count),
    };
  } finally {
    await stopAll([worker]);
    await queue.close();
    await connection.quit();
  }
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined ? '-' : value.toFixed(digits));
const round = (value: number | undefined, digits: number): number | null => (value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits)));

const server = await startRedisServer();
const redis = new Redis(server.url, { maxRetriesPerRequest: null });
const results = new Map<string, RunFigures>();
try {
  const run = async (name: ScenarioName, key: string, make: () => Promise<RunFigures>): Promise<void> => {
    if (chosen.has(name)) results.set(key, await make());
  };
  await run('A', 'A', () => runImgbatch(redis, server.url, 'A: 16 × 150 rpm, 60 s calls', deployments(16, 150), latency(60_000, 15_000), images(8_000)));
  await run('B', 'B', () => runImgbatch(redis, server.url, 'B: 16 × 150 rpm, 120 s calls', deployments(16, 150), latency(120_000, 20_000), images(6_000)));
  await run('C', 'C4', () => runImgbatch(redis, server.url, 'C: 4 × 600 rpm, 10 s calls', deployments(4, 600), latency(10_000, 2_000), images(3_000)));
  await run('C', 'C64', () => runImgbatch(redis, server.url, 'C: 64 × 40 rpm, 10 s calls', deployments(64, 40), latency(10_000, 2_000), images(3_000)));
  await run('bare', 'bare', () => runBare(redis, server.url, images(8_000)));
} finally {
  await redis.quit();
  await server.stop();
}

const header = ['run', 'images', 'stored', 'failed', 'calls', 'utilization', 'rate429', 'cpu ms/img', 'peak RSS MB', 'Redis cmds/img', 'net bytes/img', 'mem bytes/img', 'wall s'];
const rows = [...results.values()].map((r) => [
  r.label,
  String(r.images),
  String(r.stored),
  String(r.failed),
  String(r.calls),
  fixed(r.utilization, 3),
  r.rate429.toFixed(4),
  fixed(r.cpuMsPerImage, 2),
  fixed(r.peakRssMb, 1),
  r.cmdsPerImage.toFixed(1),
  r.netBytesPerImage.toFixed(0),
  r.memoryBytesPerImage.toFixed(0),
  r.wallSeconds.toFixed(1),
]);
process.stdout.write(`image scale ${imageScale}, latency scale ${latencyScale}\n${formatTable(header, rows)}\n`);
for (const r of results.values()) process.stdout.write(`${r.label}: most run per image: ${r.topCommands}\n`);
const bareRun = results.get('bare');
if (bareRun !== undefined) {
  for (const r of results.values()) if (r !== bareRun) process.stdout.write(`${r.label}: Redis commands per image ÷ bare BullMQ's per job: ${(r.cmdsPerImage / bareRun.cmdsPerImage).toFixed(2)} (target ≤ 2.5)\n`);
}
const a = results.get('A');
const b = results.get('B');
const c4 = results.get('C4');
const c64 = results.get('C64');
const bare = results.get('bare');
process.stdout.write(
  `${JSON.stringify({
    utilization: round(a?.utilization, 4),
    rate429: round(a?.rate429, 5),
    slow_utilization: round(b?.utilization, 4),
    slow_rate429: round(b?.rate429, 5),
    cpu_ms_per_image: round(a?.cpuMsPerImage, 3),
    peak_rss_mb: round(a?.peakRssMb, 1),
    redis_cmds_per_image: round(a?.cmdsPerImage, 2),
    bare_redis_cmds_per_job: round(bare?.cmdsPerImage, 2),
    cmds_growth_64_vs_4: c4 === undefined || c64 === undefined ? null : round(c64.cmdsPerImage / c4.cmdsPerImage, 3),
    redis_bytes_per_finished_image: round(a?.memoryBytesPerImage, 0),
    bare_redis_bytes_per_job: round(bare?.memoryBytesPerImage, 0),
  })}\n`,
);
