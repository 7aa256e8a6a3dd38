import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCsvRequests } from '../../../src/ingest/read-csv-requests.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { gifBytes, maskPng, photoJpeg, photoPng, writeFiles, writeOversizePng } from '../../helpers/edit-images.js';

const GPT = { name: 'gpt', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgbatch-edits-csv-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function enqueueCsv(p: Pipeline, batchId: string, text: string) {
  const csv = join(dir, `${batchId}.csv`);
  await writeFile(csv, text);
  return p.producer.enqueueInputs(readCsvRequests(csv), { batchId, localInputsDir: dirname(csv) });
}

function callsFor(p: Pipeline, prefix: string) {
  return p.simulator.stats().filter((call) => call.clientRequestId?.startsWith(prefix) === true);
}

describe('edits in bulk: a CSV through the producer, a worker and the simulator', () => {
  const open = usePipeline();

  it('sends single-image, multi-image and masked rows as multipart edits with the right fields and files, and stores each output with its inputs’ hashes', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    const front = await photoPng(64, 64, { r: 200, g: 30, b: 30 });
    const back = await photoJpeg(64, 64);
    const side = await photoPng(64, 64, { r: 10, g: 160, b: 60 });
    const mask = await maskPng(64, 64);
    await writeFiles(dir, { 'photos/front.png': front, 'photos/back.jpg': back, 'photos/side.png': side, 'masks/front.png': mask });
    const enqueued = await enqueueCsv(
      p,
      'edits',
      [
        'id,prompt,model,image,mask,input_fidelity,quality,n',
        'single,Make the mug blue,gpt-image-1.5,photos/front.png,,,low,1',
        'multi,Put all three on one shelf,gpt-image-1.5,photos/front.png|photos/back.jpg|photos/side.png,,high,medium,2',
        'masked,Fill the hole with a handle,gpt-image-1.5,photos/front.png,masks/front.png,,low,1',
      ].join('\n'),
    );
    expect(enqueued).toMatchObject({ accepted: 3, rejected: [], jobsAdded: 4 });
    p.startWorker();
    const summary = await p.waitForBatch('edits');
    expect(summary.counts).toMatchObject({ stored: 4, failed: 0, rejected: 0 });

    const single = callsFor(p, 'edits/single-');
    expect(single).toHaveLength(1);
    expect(single[0]?.edit).toMatchObject({
      fields: { prompt: 'Make the mug blue', n: '1', quality: 'low', size: '1024x1024' },
      images: [{ field: 'image', contentType: 'image/png', sha256: sha256(front), widthPx: 64, heightPx: 64 }],
      mask: null,
    });
    expect(single[0]?.edit?.fields).not.toHaveProperty('input_fidelity');

    const multi = callsFor(p, 'edits/multi-');
    expect(multi).toHaveLength(2);
    for (const call of multi) {
      expect(call.edit?.images.map((image) => [image.field, image.contentType, image.sha256])).toEqual([
        ['image[]', 'image/png', sha256(front)],
        ['image[]', 'image/jpeg', sha256(back)],
        ['image[]', 'image/png', sha256(side)],
      ]);
      expect(call.edit?.fields).toMatchObject({ input_fidelity: 'high', quality: 'medium', n: '1' });
    }

    const masked = callsFor(p, 'edits/masked-');
    expect(masked[0]?.edit?.mask).toMatchObject({ field: 'mask', contentType: 'image/png', sha256: sha256(mask) });

    const frontRef = { source: `store:edits/inputs/${sha256(front)}.png`, sha256: sha256(front) };
    expect(await p.store.getRecord('edits/single-0')).toMatchObject({ status: 'stored', inputs: { images: [frontRef] } });
    expect(await p.store.getRecord('edits/masked-0')).toMatchObject({
      status: 'stored',
      inputs: { images: [frontRef], mask: { source: `store:edits/inputs/${sha256(mask)}.png`, sha256: sha256(mask) } },
    });
    const multiRecord = await p.store.getRecord('edits/multi-1');
    expect(multiRecord?.inputs?.images.map((image) => image.sha256)).toEqual([sha256(front), sha256(back), sha256(side)]);
    expect(multiRecord?.inputs?.inputFidelity).toBe('high');
    // The cost comes from usage, input image tokens included (3 × (194 + 4160) at high fidelity).
    expect(multiRecord?.usage).toMatchObject({ input_tokens_details: { image_tokens: 3 * (194 + 4160) } });
    expect(multiRecord?.costSource).toBe('usage');
    // The front photo, named by all three rows, is copied once: four inputs, four files.
    expect((await readdir(join(p.outputDir, 'edits', 'inputs'))).sort()).toEqual(
      [`${sha256(front)}.png`, `${sha256(back)}.jpeg`, `${sha256(side)}.png`, `${sha256(mask)}.png`].sort(),
    );
    expect((await readFile(join(p.outputDir, 'edits', 'inputs', `${sha256(front)}.png`))).equals(front)).toBe(true);
  });

  it('refuses every bad input as a row error naming the row, field and reason, makes no call for those rows, and makes the good row', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    await writeFiles(dir, {
      'good.png': await photoPng(),
      'animated.png': await gifBytes(),
      'mask-small.png': await maskPng(32, 32),
      'mask-flat.png': await photoPng(),
    });
    await writeOversizePng(join(dir, 'huge.png'), 51_000_000);
    const seventeen = Array.from({ length: 17 }, () => 'good.png').join('|');
    const enqueued = await enqueueCsv(
      p,
      'bad',
      [
        'id,prompt,model,image,mask',
        'missing,Edit it,gpt-image-1.5,nowhere.png,',
        'gif,Edit it,gpt-image-1.5,animated.png,',
        'huge,Edit it,gpt-image-1.5,huge.png,',
        'small-mask,Edit it,gpt-image-1.5,good.png,mask-small.png',
        'flat-mask,Edit it,gpt-image-1.5,good.png,mask-flat.png',
        `many,Edit it,gpt-image-1.5,${seventeen},`,
        'outside,Edit it,gpt-image-1.5,../elsewhere/photo.png,',
        'private,Edit it,gpt-image-1.5,http://10.0.0.8/photo.png,',
        'good,Edit it,gpt-image-1.5,good.png,',
      ].join('\n'),
    );
    expect(enqueued.accepted).toBe(1);
    expect(enqueued.rejected.map((r) => [r.location, r.issues.map((issue) => `${issue.field}: ${issue.reason}`)])).toEqual([
      ['row 2', [expect.stringMatching(/^image: "nowhere\.png" does not exist/) as string]],
      ['row 3', ['image: "animated.png" is a GIF by its bytes, not PNG or JPEG']],
      ['row 4', ['image: "huge.png" is 51 MB (51000000 bytes); it must be less than 50 MB']],
      ['row 5', ["mask: \"mask-small.png\" is 32x32; a mask must have the first input image's dimensions, 64x64"]],
      ['row 6', ['mask: "mask-flat.png" has no alpha channel; a mask marks the area to edit with fully transparent pixels']],
      ['row 7', ["image: 17 input images are over gpt-image-1.5's limit of 16"]],
      ['row 8', [expect.stringMatching(/^image: "\.\.\/elsewhere\/photo\.png" is outside the CSV's folder/) as string]],
      ['row 9', [expect.stringMatching(/^image: "http:\/\/10\.0\.0\.8\/photo\.png" cannot be fetched: only https:\/\/ URLs are fetched/) as string]],
    ]);
    p.startWorker();
    const summary = await p.waitForBatch('bad');
    expect(summary).toMatchObject({ images: 1, counts: { stored: 1 } });
    for (const row of ['missing', 'gif', 'huge', 'small-mask', 'flat-mask', 'many', 'outside', 'private']) expect(callsFor(p, `bad/${row}-`)).toHaveLength(0);
    expect(p.simulator.stats()).toHaveLength(1);
  });

  it('fails an image whose input changed after enqueue, with the reason and no call', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    const photo = await photoPng();
    await writeFiles(dir, { 'photo.png': photo });
    await enqueueCsv(p, 'changed', 'id,prompt,model,image\nmug,Make it blue,gpt-image-1.5,photo.png\n');
    // Someone overwrites the batch's copy before a worker takes the job.
    await writeFile(join(p.outputDir, 'changed', 'inputs', `${sha256(photo)}.png`), await photoPng(64, 64, { r: 0, g: 0, b: 255 }));
    p.startWorker();
    const summary = await p.waitForBatch('changed');
    expect(summary.counts).toMatchObject({ failed: 1, stored: 0 });
    const errors = await p.producer.batches.errors('changed');
    expect(errors['changed/mug-0']).toMatch(
      new RegExp(`^the input image \\(store:changed/inputs/${sha256(photo)}\\.png\\) changed after it was enqueued: its SHA-256 is [0-9a-f]{12}…, the job expects ${sha256(photo).slice(0, 12)}…; no call made$`),
    );
    expect(p.simulator.stats()).toHaveLength(0);
    expect(await p.store.getRecord('changed/mug-0')).toBeNull();
  });

  it("--max-cost counts an edit's input images: an edit that only fits without them is skipped for the budget, with no call", async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    await writeFiles(dir, { 'photo.png': await photoPng() });
    const csv = join(dir, 'budget.csv');
    // Output alone: 272 tokens × $32/1M ≈ $0.0087; the input at high fidelity adds (194 + 4160) × $8/1M ≈ $0.035.
    await writeFile(csv, 'id,prompt,model,image,quality,input_fidelity\nmug,Make it blue,gpt-image-1.5,photo.png,low,high\n');
    await p.producer.enqueueInputs(readCsvRequests(csv), { batchId: 'budget', localInputsDir: dir, maxCostUsd: 0.03 });
    p.startWorker();
    const summary = await p.waitForBatch('budget');
    expect(summary.counts).toMatchObject({ skipped: 1, stored: 0 });
    expect((await p.producer.batches.errors('budget'))['budget/mug-0']).toMatch(/^budget: .*\$0\.04\d* expected for this call would exceed the batch's budget of \$0\.03/);
    expect(p.simulator.stats()).toHaveLength(0);
  });
});
