/**
 * npm run bench:ingest — how fast does a large CSV get into Redis, and in how much memory?
 * Writes a 1,000,000-row CSV to a temp folder and starts a private redis-server. Then, each in
 * a child process of its own (so its peak RSS is its own, read from the kernel's max RSS):
 *   real  the real ingest path, readCsvRequests -> producer.enqueueInputs (parse, validate,
 *         fan out, add, count in the batch registry);
 *   raw   the same jobs (same ids, data and options) built in memory and added with plain BullMQ
 *         Queue.addBulk in chunks, one chunk after another: the floor.
 * Redis is emptied before each phase, so both start from the same state. Prints a table, then one
 * JSON object as the last line: {"rows","rows_per_s","peak_rss_mb","raw_rows_per_s","ratio"}.
 * Targets: rows_per_s >= 20,000, peak_rss_mb <= 300, ratio >= 0.7.
 *
 * Options: --rows N (default 1,000,000), --chunk N (raw addBulk chunk, default 1000).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/cli/redis-server-process.js';
import { readCsvRequests } from '../src/ingest/read-csv-requests.js';
import { IMAGE_JOB_NAME, IMAGE_JOB_VERSION, IMAGE_QUEUE_NAME, imageJobId, type ImageJobData } from '../src/job/image-job.js';
import { IMAGE_QUEUE_EVENTS_MAX_LEN, KEEP_FAILED_JOBS_SECONDS } from '../src/queue/image-queue.js';
import { createKeySpace } from '../src/queue/key-space.js';
import { createProducer } from '../src/queue/producer.js';

const MODEL = 'gpt-image-1-mini';
const BATCH = 'bench';
const PREFIX = { real: 'bench-real', raw: 'bench-raw' } as const;
type Phase = keyof typeof PREFIX;

interface PhaseResult {
  readonly phase: Phase;
  readonly rows: number;
  readonly jobs: number;
  readonly ms: number;
  readonly peakRssMb: number;
}

const { values } = parseArgs({
  options: {
    phase: { type: 'string' },
    csv: { type: 'string' },
    redis: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    chunk: { type: 'string', default: '1000' },
  },
});
const ROWS = Number(values.rows);
const RAW_CHUNK = Number(values.chunk);

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Row i of the benchmark: a product-shot prompt with a comma and a quote, so the CSV is quoted like a real export. */
function rowOf(i: number): { id: string; prompt: string } {
  return { id: `p${String(i).padStart(7, '0')}`, prompt: `Studio photo of product ${i}, "hero" shot on white, soft light` };
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,prompt,n,model\n');
  let lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const { id, prompt } = rowOf(i);
    lines.push(`${id},"${prompt.replaceAll('"', '""')}",1,${MODEL}\n`);
    if (lines.length === 10_000) {
      if (!out.write(lines.join(''))) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.join(''));
  await once(out, 'finish');
}

function peakRssMb(): number {
  // maxRSS is in kilobytes: the process's high-water mark, however short the peak.
  return process.resourceUsage().maxRSS / 1024;
}

async function runReal(csv: string, redisUrl: string): Promise<PhaseResult> {
  const producer = createProducer({ connection: redisUrl, prefix: PREFIX.real });
  try {
    const startedAt = performance.now();
    const result = await producer.enqueueInputs(readCsvRequests(csv), { batchId: BATCH });
    const ms = performance.now() - startedAt;
    if (result.rejected.length > 0) throw new Error(`benchmark rows were refused: ${JSON.stringify(result.rejected.slice(0, 3))}`);
    return { phase: 'real', rows: result.accepted, jobs: result.jobsAdded, ms, peakRssMb: peakRssMb() };
  } finally {
    await producer.close();
  }
}

async function runRaw(redisUrl: string): Promise<PhaseResult> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  // The same queue options the producer's queue uses, so both store the same jobs.
  const queue = new Queue<ImageJobData>(IMAGE_QUEUE_NAME, {
    connection,
    prefix: createKeySpace(PREFIX.raw).bullPrefix,
    streams: { events: { maxLen: IMAGE_QUEUE_EVENTS_MAX_LEN } },
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: { age: KEEP_FAILED_JOBS_SECONDS } },
  });
  queue.on('error', () => undefined);
  try {
    const startedAt = performance.now();
    const enqueuedAt = Date.now();
    for (let first = 0; first < ROWS; first += RAW_CHUNK) {
      const chunk = [];
      for (let i = first; i < Math.min(first + RAW_CHUNK, ROWS); i++) {
        const { id, prompt } = rowOf(i);
        const data: ImageJobData = { v: IMAGE_JOB_VERSION, batchId: BATCH, requestId: id, variants: [0], prompt, model: MODEL, size: '1024x1024', quality: 'medium', enqueuedAt };
        chunk.push({ name: IMAGE_JOB_NAME, data, opts: { jobId: imageJobId(data) } });
      }
      await queue.addBulk(chunk);
    }
    const ms = performance.now() - startedAt;
    return { phase: 'raw', rows: ROWS, jobs: ROWS, ms, peakRssMb: peakRssMb() };
  } finally {
    await queue.close();
    await connection.quit();
  }
}

async function runPhaseInChild(phase: Phase, csv: string, redisUrl: string): Promise<PhaseResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench-ingest.ts', '--phase', phase, '--csv', csv, '--redis', redisUrl, '--rows', String(ROWS), '--chunk', String(RAW_CHUNK)],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${phase} phase exited with ${String(code)}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as PhaseResult;
}

/** A stored job's data without its enqueue time, to check that both phases stored the same jobs. */
async function sampleJob(redis: Redis, phase: Phase): Promise<unknown> {
  const { id, prompt } = rowOf(ROWS - 1);
  const raw = await redis.hget(`${createKeySpace(PREFIX[phase]).bullPrefix}:${IMAGE_QUEUE_NAME}:${BATCH}/${id}/v0`, 'data');
  if (raw === null) throw new Error(`${phase}: job for ${id} (${prompt}) is missing`);
  const { enqueuedAt: _enqueuedAt, ...rest } = JSON.parse(raw) as Record<string, unknown>;
  return rest;
}

function table(results: readonly PhaseResult[]): string {
  const header = ['phase', 'rows', 'jobs', 'seconds', 'rows/s', 'peak RSS MB'];
  const rows = results.map((r) => [r.phase, String(r.rows), String(r.jobs), (r.ms / 1000).toFixed(2), Math.round(r.rows / (r.ms / 1000)).toString(), r.peakRssMb.toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-bench-ingest-'));
  const redisServer = await startRedisServer();
  const admin = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  try {
    const csv = join(dir, 'prompts.csv');
    await writeCsv(csv, ROWS);
    log(`wrote ${ROWS} rows (${((await stat(csv)).size / 1e6).toFixed(1)} MB) to ${csv}; redis-server at ${redisServer.url}`);

    log('real: readCsvRequests -> producer.enqueueInputs ...');
    const real = await runPhaseInChild('real', csv, redisServer.url);
    const realJob = await sampleJob(admin, 'real');
    await admin.flushall();

    log(`raw: plain BullMQ Queue.addBulk, chunks of ${RAW_CHUNK} ...`);
    const raw = await runPhaseInChild('raw', csv, redisServer.url);
    const rawJob = await sampleJob(admin, 'raw');
    if (JSON.stringify(realJob) !== JSON.stringify(rawJob)) throw new Error(`the phases stored different jobs: ${JSON.stringify(realJob)} vs ${JSON.stringify(rawJob)}`);
    if (real.jobs !== ROWS) throw new Error(`real phase added ${real.jobs} jobs, expected ${ROWS}`);

    const rowsPerSecond = real.rows / (real.ms / 1000);
    const rawRowsPerSecond = raw.rows / (raw.ms / 1000);
    process.stdout.write(`${table([real, raw])}\n`);
    process.stdout.write('targets: rows_per_s >= 20000, peak_rss_mb <= 300, ratio (real / raw rows per second) >= 0.7\n');
    process.stdout.write(
      `${JSON.stringify({
        rows: real.rows,
        rows_per_s: Math.round(rowsPerSecond),
        peak_rss_mb: Number(real.peakRssMb.toFixed(1)),
        raw_rows_per_s: Math.round(rawRowsPerSecond),
        ratio: Number((rowsPerSecond / rawRowsPerSecond).toFixed(3)),
      })}\n`,
    );
  } finally {
    await admin.quit();
    await redisServer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.phase === undefined) {
  await main();
} else {
  const redisUrl = values.redis ?? '';
  const result = values.phase === 'real' ? await runReal(values.csv ?? '', redisUrl) : await runRaw(redisUrl);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
