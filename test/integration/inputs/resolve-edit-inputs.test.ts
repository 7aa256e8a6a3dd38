import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_FETCH_SETTINGS } from '../../../src/config/load-config.js';
import { createInputReader } from '../../../src/inputs/input-reader.js';
import { resolveEditInputs } from '../../../src/inputs/resolve-edit-inputs.js';
import { createJobPreparer, type RequestInput } from '../../../src/job/prepare-jobs.js';
import { createFsResultStore } from '../../../src/storage/fs-result-store.js';
import type { ResultStore } from '../../../src/storage/result-store.js';
import { gifBytes, maskPng, photoJpeg, photoPng, writeFiles, writeOversizePng } from '../../helpers/edit-images.js';

let csvDir: string;
let storeRoot: string;
let store: ResultStore;
const servers: Server[] = [];

beforeEach(async () => {
  csvDir = await mkdtemp(join(tmpdir(), 'imgbatch-csv-dir-'));
  storeRoot = await mkdtemp(join(tmpdir(), 'imgbatch-inputs-store-'));
  store = createFsResultStore({ root: storeRoot });
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }
  await rm(csvDir, { recursive: true, force: true });
  await rm(storeRoot, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function row(n: number, fields: Record<string, unknown>): RequestInput {
  return { request: { prompt: 'Make the mug blue', model: 'gpt-image-1.5', ...fields }, location: `row ${n}`, defaultId: `row-${n}` };
}

async function resolveAll(inputs: RequestInput[], options: { withStore?: boolean; localDir?: string | undefined; allowLoopback?: boolean } = {}): Promise<RequestInput[]> {
  const reader = createInputReader({ store, fetch: { ...DEFAULT_FETCH_SETTINGS, allowLoopback: options.allowLoopback ?? false, timeoutMs: 2_000 } });
  const out: RequestInput[] = [];
  const localDir = 'localDir' in options ? options.localDir : csvDir;
  for await (const input of resolveEditInputs(inputs, { batchId: 'spring', reader, ...(options.withStore !== false && { store }), localDir })) out.push(input);
  return out;
}

async function storedInputs(): Promise<string[]> {
  return readdir(join(storeRoot, 'spring', 'inputs')).catch(() => []);
}

describe('resolveEditInputs', () => {
  it('reads, checks and copies a local image and its mask once by content hash; the job carries store refs and hashes', async () => {
    const photo = await photoPng();
    const mask = await maskPng();
    await writeFiles(csvDir, { 'photos/mug.png': photo, 'masks/mug.png': mask });
    const [first, second] = await resolveAll([row(2, { images: ['photos/mug.png'], mask: 'masks/mug.png' }), row(3, { images: ['./photos/mug.png'] })]);

    expect(first?.issues).toBeUndefined();
    expect(first?.edit).toEqual({
      images: [{ source: `store:spring/inputs/${sha256(photo)}.png`, sha256: sha256(photo), widthPx: 64, heightPx: 64 }],
      mask: { source: `store:spring/inputs/${sha256(mask)}.png`, sha256: sha256(mask), widthPx: 64, heightPx: 64 },
    });
    expect(second?.edit?.images).toEqual(first?.edit?.images);
    expect((await storedInputs()).sort()).toEqual([`${sha256(mask)}.png`, `${sha256(photo)}.png`].sort());
    expect(Buffer.from((await store.getInput(`spring/inputs/${sha256(photo)}.png`)) ?? []).equals(photo)).toBe(true);
    const prepared = createJobPreparer({ batchId: 'spring' }).prepare(first ?? row(0, {}));
    expect(prepared.kind === 'accepted' && prepared.jobs[0]?.edit?.mask?.sha256).toBe(sha256(mask));
  });

  it('names a JPEG copy .jpeg, by its bytes', async () => {
    const jpeg = await photoJpeg();
    await writeFiles(csvDir, { 'shot.png': jpeg });
    const [resolved] = await resolveAll([row(2, { images: ['shot.png'] })]);
    expect(resolved?.edit?.images[0]?.source).toBe(`store:spring/inputs/${sha256(jpeg)}.jpeg`);
  });

  it('gives each bad input a row issue naming the field and the reason, copies nothing of that row, and goes on with the next', async () => {
    const photo = await photoPng();
    await writeFiles(csvDir, {
      'good.png': photo,
      'animated.png': await gifBytes(),
      'small-mask.png': await maskPng(32, 32),
      'flat-mask.png': await photoPng(),
    });
    await writeOversizePng(join(csvDir, 'huge.png'), 51_000_000);
    const resolved = await resolveAll([
      row(2, { images: ['missing.png'] }),
      row(3, { images: ['animated.png'] }),
      row(4, { images: ['huge.png'] }),
      row(5, { images: ['good.png'], mask: 'small-mask.png' }),
      row(6, { images: ['good.png'], mask: 'flat-mask.png' }),
      row(7, { images: ['../outside.png'] }),
      row(8, { images: ['good.png', 'animated.png'] }),
      row(9, { images: ['good.png'] }),
    ]);

    expect(resolved.slice(0, 7).map((input) => input.issues?.map((issue) => `${issue.location} ${issue.field}: ${issue.reason}`))).toEqual([
      [`row 2 image: "missing.png" does not exist (looked for ${join(csvDir, 'missing.png')})`],
      ['row 3 image: "animated.png" is a GIF by its bytes, not PNG or JPEG'],
      ['row 4 image: "huge.png" is 51 MB (51000000 bytes); it must be less than 50 MB'],
      [`row 5 mask: "small-mask.png" is 32x32; a mask must have the first input image's dimensions, 64x64`],
      ['row 6 mask: "flat-mask.png" has no alpha channel; a mask marks the area to edit with fully transparent pixels'],
      [expect.stringMatching(/^row 7 image: "\.\.\/outside\.png" is outside the CSV's folder/) as string],
      ['row 8 image: "animated.png" (input image 2 of 2) is a GIF by its bytes, not PNG or JPEG'],
    ]);
    expect(resolved.slice(0, 7).every((input) => input.edit === undefined)).toBe(true);
    expect(resolved[7]?.edit?.images).toHaveLength(1);
    expect(await storedInputs()).toEqual([`${sha256(photo)}.png`]);
  });

  it('refuses a symbolic link that leads out of the CSV folder', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'imgbatch-outside-'));
    try {
      await writeFiles(outside, { 'secret.png': await photoPng() });
      await symlink(join(outside, 'secret.png'), join(csvDir, 'innocent.png'));
      const [resolved] = await resolveAll([row(2, { images: ['innocent.png'] })]);
      expect(resolved?.issues?.[0]?.reason).toMatch(/^"innocent\.png" leads outside the CSV's folder/);
      expect(await storedInputs()).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reads nothing for a row refused anyway (17 images, a retired model that could not edit): it goes on to be refused for that', async () => {
    const resolved = await resolveAll([
      row(2, { images: Array.from({ length: 17 }, (_, i) => `img-${i}.png`) }),
      row(3, { model: 'dall-e-3', images: ['a.png'] }),
    ]);
    expect(resolved.map((input) => [input.issues, input.edit])).toEqual([[undefined, undefined], [undefined, undefined]]);
    const preparer = createJobPreparer({ batchId: 'spring' });
    expect(resolved.map((input) => { const p = preparer.prepare(input); return p.kind === 'rejected' ? p.rejection.issues.map((i) => i.reason) : []; })).toEqual([
      ["17 input images are over gpt-image-1.5's limit of 16"],
      ['dall-e-3 was retired on Azure on 2026-03-04 (its deployments no longer answer); use gpt-image-1-mini instead'],
    ]);
  });

  it('refuses http:// and private addresses without fetching', async () => {
    const resolved = await resolveAll([row(2, { images: ['http://10.1.2.3/mug.png'] }), row(3, { images: ['https://169.254.169.254/latest/meta-data'] })]);
    expect(resolved[0]?.issues?.[0]?.reason).toContain('"http://10.1.2.3/mug.png" cannot be fetched: only https:// URLs are fetched');
    expect(resolved[1]?.issues?.[0]?.reason).toContain('cannot be fetched: 169.254.169.254 is a private or link-local address');
  });

  it('fetches an https-or-allowed-loopback URL input, checks and copies it', async () => {
    const jpeg = await photoJpeg();
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/catalogue/mug.jpg`;
    const [refused] = await resolveAll([row(2, { images: [url] })]);
    expect(refused?.issues?.[0]?.reason).toContain('cannot be fetched');
    const [fetched] = await resolveAll([row(2, { images: [url] })], { allowLoopback: true });
    expect(fetched?.edit?.images[0]).toEqual({ source: `store:spring/inputs/${sha256(jpeg)}.jpeg`, sha256: sha256(jpeg), widthPx: 64, heightPx: 64 });
  });

  it('reads a store: reference, and refuses one that is not there', async () => {
    const photo = await photoPng(80, 48);
    const key = await store.putInput('spring', photo, 'png');
    const [found, absent] = await resolveAll([row(2, { images: [`store:${key}`] }), row(3, { images: [`store:spring/inputs/${'f'.repeat(64)}.png`] })], { localDir: undefined });
    expect(found?.edit?.images[0]).toMatchObject({ source: `store:${key}`, widthPx: 80, heightPx: 48 });
    expect(absent?.issues?.[0]?.reason).toBe(`"store:spring/inputs/${'f'.repeat(64)}.png" is not in the store`);
  });

  it('refuses local paths where there is no CSV folder (a request from the API)', async () => {
    await writeFiles(csvDir, { 'a.png': await photoPng() });
    const [resolved] = await resolveAll([row(2, { images: ['a.png'] })], { localDir: undefined });
    expect(resolved?.issues?.[0]?.reason).toMatch(/^"a\.png" is a local path; local paths are read only from a CSV file/);
  });

  it('without a store only checks: the refs name the copies an enqueue would make, and nothing is written', async () => {
    const photo = await photoPng();
    await writeFiles(csvDir, { 'a.png': photo });
    const [resolved] = await resolveAll([row(2, { images: ['a.png'] })], { withStore: false });
    expect(resolved?.edit?.images[0]?.source).toBe(`store:spring/inputs/${sha256(photo)}.png`);
    expect(await storedInputs()).toEqual([]);
  });

  it('passes generation rows through untouched', async () => {
    const input = row(2, { n: 2 });
    expect(await resolveAll([input])).toEqual([input]);
  });
});
