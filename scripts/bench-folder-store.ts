/**
 * npm run bench:folder-store — the CPU a worker process spends per image in the folder store,
 * paced as a worker at 2,400 rpm meets it (one image every 25 ms), against the same file calls
 * made through `fs/promises` (the store's way before it had file threads) in the same run:
 *
 *   store        createFsResultStore: getRecord (a miss, as at every job's start: one stat on
 *                this thread), then putImage (the image and its record, each a temp file
 *                flushed and renamed, their folder flushed once) on the store's file threads
 *   fs/promises  the store's calls as they were before file threads: readFile of the record (a
 *                miss), then writeFileAtomic of the image and of the record (the folder flushed
 *                after each)
 *   pacing       the timer alone, no file call: what every figure includes
 *
 * CPU is the whole process's (process.cpuUsage: every thread, user + system) per image, over
 * `--images N` images (default 400) after 20 unmeasured ones; each way writes into a fresh
 * folder of its own under the system's temp folder. Runs alternate (store, fs/promises, pacing,
 * three rounds) so a machine that slows down meanwhile slows both. Last line, one JSON object:
 * {"store_cpu_ms_per_image":…,"fs_promises_cpu_ms_per_image":…,"pacing_cpu_ms_per_image":…,"ratio":…}
 * where the figures are medians over the rounds and ratio = (store − pacing) ÷ (fs/promises − pacing).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFsResultStore } from '../src/storage/fs-result-store.js';
import type { ImageRecord } from '../src/storage/image-record.js';
import { encodeRecord } from '../src/storage/encode-record.js';
import { writeFileAtomic } from '../src/storage/write-file-atomic.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '400' } } });
const images = Number(values.images);
if (!Number.isInteger(images) || images < 1) throw new Error(`--images: ${values.images} is not a whole number above 0`);

const PACE_MS = 25;
const WARM_UP = 20;
const ROUNDS = 3;
/** About what the simulator's low-quality images weigh; a real 1024² PNG is 1-3 MB. */
const IMAGE_BYTES = 3_000;

const bytes = new Uint8Array(IMAGE_BYTES).fill(7);

function recordOf(key: string): ImageRecord {
  const [batchId = '', name = ''] = key.split('/');
  return {
    key,
    batchId,
    requestId: name.slice(0, name.lastIndexOf('-')),
    variant: 0,
    status: 'stored',
    prompt: 'a lighthouse at dusk, oil painting',
    model: 'gpt-image-1-mini',
    size: '1024x1024',
    quality: 'low',
    outputFormat: 'png',
    deployment: 'images-east',
    latencyMs: 8123,
    attempts: 1,
    createdAt: '2026-12-07T00:00:00.000Z',
  };
}

type Way = (index: number) => Promise<void>;

function storeWay(root: string): Promise<Way> {
  const store = createFsResultStore({ root });
  return Promise.resolve(async (index: number) => {
    const key = `bench/image${index}-0`;
    await store.getRecord(key);
    await store.putImage(key, { bytes, contentType: 'image/png', extension: 'png' }, recordOf(key));
  });
}

async function fsPromisesWay(root: string): Promise<Way> {
  const folder = join(root, 'bench');
  await mkdir(folder, { recursive: true });
  return async (index) => {
    const key = `bench/image${index}-0`;
    await readFile(join(folder, `image${index}-0.json`), 'utf8').catch(() => null);
    await writeFileAtomic(join(folder, `image${index}-0.png`), bytes);
    await writeFileAtomic(join(folder, `image${index}-0.json`), encodeRecord(key, recordOf(key)));
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU ms per image of `way`, one image started every PACE_MS as a worker's would be. */
async function measure(way: Way, count: number, firstIndex: number): Promise<number> {
  const running: Array<Promise<void>> = [];
  for (let i = 0; i < WARM_UP; i++) {
    running.push(way(firstIndex + i));
    await sleep(PACE_MS);
  }
  await Promise.all(running.splice(0));
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    running.push(way(firstIndex + WARM_UP + i));
    await sleep(PACE_MS);
  }
  await Promise.all(running);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const figures = { store: [] as number[], fsPromises: [] as number[], pacing: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of [
    ['store', storeWay],
    ['fsPromises', fsPromisesWay],
    ['pacing', () => Promise.resolve<Way>(() => Promise.resolve())],
  ] as const) {
    const root = await mkdtemp(join(tmpdir(), `imgbatch-bench-store-${name}-`));
    try {
      const cpuMs = await measure(await make(root), images, 0);
      figures[name].push(cpuMs);
      console.log(`round ${round + 1}, ${name}: ${cpuMs.toFixed(3)} ms of CPU per image`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
}

const store = median(figures.store);
const fsPromises = median(figures.fsPromises);
const pacing = median(figures.pacing);
const round3 = (value: number): number => Number(value.toFixed(3));
console.log(JSON.stringify({ store_cpu_ms_per_image: round3(store), fs_promises_cpu_ms_per_image: round3(fsPromises), pacing_cpu_ms_per_image: round3(pacing), ratio: round3((store - pacing) / (fsPromises - pacing)) }));
