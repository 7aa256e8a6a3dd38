import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { parse } from 'csv-parse/sync';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { readCsvRequests } from '../../../src/ingest/read-csv-requests.js';
import { createSeededRandom } from '../../../src/simulator/seeded-random.js';
import { generateHostileCsv } from '../../helpers/hostile-csv.js';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 6_000, latency: { meanMs: 5, sdMs: 1 } };
const SEED = 7;
const FORMULA_START = /^[=+\-@\t\r]/;
// What a store may create: `<batch>/<request>-<variant>.<png|json>` with the edge's id characters.
const SAFE_PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*-\d+\.(png|json)$/;

function goodJob(requestId: string, prompt: string): Record<string, unknown> {
  return { v: 1, batchId: 'raw', requestId, variants: [0], prompt, model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', enqueuedAt: Date.now() };
}

/**
 * Raw job payloads as a careless or hostile producer in another language might add them, each
 * with the field the refusal must name. `requestId` stays parseable where the point is another
 * field, so the refusal is also recorded in the batch.
 */
function hostileJobs(seed: number): Array<{ readonly name: string; readonly data: unknown; readonly field: string }> {
  const random = createSeededRandom(seed);
  const long = 'x'.repeat(32_001 + Math.floor(random.next() * 50_000));
  const cases: Array<{ name: string; data: unknown; field: string }> = [
    { name: 'nul-prompt', data: goodJob('nul', 'a red\u0000mug'), field: 'prompt' },
    { name: 'escape-prompt', data: goodJob('esc', '\u001b[31mred'), field: 'prompt' },
    { name: 'lone-surrogate', data: goodJob('surrogate', 'a mug \ud800'), field: 'prompt' },
    { name: 'replacement-char', data: goodJob('fffd', 'a mug \ufffd'), field: 'prompt' },
    { name: 'long-prompt', data: goodJob('long', long), field: 'prompt' },
    { name: 'unknown-model', data: { ...goodJob('model', 'a mug'), model: 'gpt-image-9' }, field: 'model' },
    { name: 'wrong-size', data: { ...goodJob('size', 'a mug'), size: '1792x1024' }, field: 'size' },
    { name: 'wrong-quality', data: { ...goodJob('quality', 'a mug'), quality: '=1+1' }, field: 'quality' },
    { name: 'too-many-variants', data: { ...goodJob('many', 'a mug'), variants: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, field: 'variants' },
    { name: 'variant-out-of-range', data: { ...goodJob('range', 'a mug'), variants: [42] }, field: 'variants' },
    { name: 'variant-twice', data: { ...goodJob('twice', 'a mug'), variants: [0, 0] }, field: 'variants' },
    { name: 'metadata-nul', data: { ...goodJob('meta', 'a mug'), metadata: { note: 'a\u0000b' } }, field: 'metadata' },
    { name: 'user-newline', data: { ...goodJob('user', 'a mug'), user: 'alice\nbob' }, field: 'user' },
    { name: 'reserved-request-id', data: goodJob('CON', 'a mug'), field: 'requestId' },
    { name: 'dot-request-id', data: goodJob('..', 'a mug'), field: 'requestId' },
    { name: 'traversal-request-id', data: goodJob('../../etc/passwd', 'a mug'), field: 'requestId' },
    { name: 'slash-request-id', data: goodJob('a/b', 'a mug'), field: 'requestId' },
    { name: 'traversal-batch-id', data: { ...goodJob('batch', 'a mug'), batchId: '../outside' }, field: 'batchId' },
    { name: 'formula-batch-id', data: { ...goodJob('formula', 'a mug'), batchId: '=cmd' }, field: 'batchId' },
    { name: 'version-2', data: { ...goodJob('version', 'a mug'), v: 2 }, field: 'v' },
    { name: 'not-an-object', data: 'generate a mug', field: '(job)' },
  ];
  // Shuffled with the seed, so good and bad jobs interleave differently per seed.
  for (let i = cases.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const a = cases[i];
    const b = cases[j];
    if (a !== undefined && b !== undefined) [cases[i], cases[j]] = [b, a];
  }
  return cases;
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listFiles(root, path)));
    else found.push(relative(root, path));
  }
  return found;
}

describe('hostile input through the whole pipeline (seeded, so a failure reproduces)', () => {
  let pipeline: Pipeline | undefined;
  let queue: Queue | undefined;
  let connection: Redis | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await queue?.close();
    await connection?.quit();
    await pipeline?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    pipeline = queue = connection = dir = undefined;
  });

  it('CSV rows and raw BullMQ jobs: nothing crashes, each bad one is refused naming its field, every good one is stored inside the output folder, and the exported CSV starts no formula', async () => {
    const p = (pipeline = await createPipeline({ simulator: { deployments: [GPT] } }));
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-hostile-'));
    const csv = generateHostileCsv(SEED, 60);
    const csvPath = join(dir, 'hostile.csv');
    await writeFile(csvPath, csv.bytes);

    const enqueued = await p.producer.enqueueInputs(readCsvRequests(csvPath), { batchId: 'fuzz-csv' });
    expect(enqueued.rejected.map((r) => r.location).sort()).toEqual(csv.bad.map((r) => `row ${r.row}`).sort());
    for (const bad of csv.bad) {
      const rejection = enqueued.rejected.find((r) => r.location === `row ${bad.row}`);
      expect(rejection?.issues.map((issue) => issue.field), `row ${bad.row} (${bad.defect?.kind ?? ''})`).toContain(bad.defect?.field);
    }
    const goodImages = csv.good.reduce((sum, row) => sum + row.n, 0);
    expect(enqueued.imagesAdded).toBe(goodImages);

    connection = new Redis(p.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue('images', { connection, prefix: `{${p.prefix}}` });
    queue.on('error', () => undefined);
    const jobs = hostileJobs(SEED);
    const goodRaw = ['mug', 'lamp', 'kite'];
    await queue.add('generate', goodJob(goodRaw[0] ?? '', '=HYPERLINK("http://evil")'), { jobId: `raw/${goodRaw[0] ?? ''}/v0` });
    for (const [index, job] of jobs.entries()) await queue.add('generate', job.data, { jobId: `hostile-${index}` });
    await queue.add('generate', goodJob(goodRaw[1] ?? '', '@SUM(1+1) a lamp'), { jobId: `raw/${goodRaw[1] ?? ''}/v0` });
    p.startWorker();

    const csvSummary = await p.waitForBatch('fuzz-csv', 45_000);
    expect(csvSummary.counts).toMatchObject({ stored: goodImages, failed: 0, rejected: 0 });
    let counts: Record<string, number> = {};
    await waitFor(
      async () => {
        // Completed jobs leave the queue at once; the refused ones stay, failed. The CSV's jobs share the queue.
        counts = (await queue?.getJobCounts('failed', 'waiting', 'active', 'delayed', 'prioritized')) ?? {};
        const isSettled = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) === 0;
        return isSettled && counts.failed === jobs.length ? true : undefined;
      },
      30_000,
      () => `jobs not finished: ${JSON.stringify(counts)}; ${jobs.length} hostile jobs should have failed`,
    );
    // Added after every hostile job: the worker is still alive to take it.
    await queue.add('generate', goodJob(goodRaw[2] ?? '', 'a kite'), { jobId: `raw/${goodRaw[2] ?? ''}/v0` });
    await waitFor(async () => (await p.store.getRecord('raw/kite-0')) ?? undefined, 20_000, () => 'raw/kite-0 never stored: the worker stopped taking jobs');

    for (const requestId of goodRaw) expect(await p.store.getRecord(`raw/${requestId}-0`)).toMatchObject({ status: 'stored' });
    const errors = await p.producer.batches.errors('raw');
    for (const [index, job] of jobs.entries()) {
      const stored = await queue.getJob(`hostile-${index}`);
      expect(await stored?.getState(), job.name).toBe('failed');
      expect(stored?.failedReason, job.name).toMatch(new RegExp(`invalid job payload: .*${job.field.replace(/[()]/g, '\\$&')}`));
      // The refusal never echoes a control character into logs or the registry.
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      expect(stored?.failedReason, job.name).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    // Refusals of jobs whose batch and request ids are usable are counted in the batch too.
    expect(Object.values(errors).filter((e) => e.startsWith('invalid job payload')).length).toBeGreaterThanOrEqual(10);
    expect(p.simulator.stats().every((call) => !(call.prompt ?? '').includes('\u0000') && !(call.prompt ?? '').includes('\ufffd'))).toBe(true);

    const files = await listFiles(p.outputDir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file, 'a file outside <batch>/<request>-<variant>.<ext>').toMatch(SAFE_PATH);
    expect(files.filter((f) => f.startsWith('raw/')).sort()).toEqual(goodRaw.flatMap((id) => [`raw/${id}-0.json`, `raw/${id}-0.png`]).sort());

    const env = { REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix, IMGBATCH_OUTPUT_DIR: p.outputDir };
    for (const batch of ['fuzz-csv', 'raw']) {
      const exported = await runCli(['results', batch, '--format', 'csv'], env);
      expect(exported.code, exported.stderr).toBe(0);
      const rows = parse<Record<string, string>>(exported.stdout, { columns: true });
      expect(rows.length).toBe(batch === 'raw' ? goodRaw.length + Object.keys(errors).length : goodImages);
      for (const row of rows) for (const cell of Object.values(row)) expect(cell, `${batch}: a cell starts a formula`).not.toMatch(FORMULA_START);
      if (batch === 'raw') expect(rows.find((row) => row.id === 'mug')?.prompt).toBe(`'=HYPERLINK("http://evil")`);
    }
  }, 90_000);
});
