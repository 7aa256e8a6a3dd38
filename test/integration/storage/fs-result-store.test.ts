import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { createFsResultStore } from '../../../src/storage/fs-result-store.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { describeResultStoreContract, pngImage, pngLikeBytes, storedRecord, uniqueBatchId } from './result-store-contract.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imgbatch-fs-store-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(records: AsyncIterable<ImageRecord>): Promise<ImageRecord[]> {
  const all: ImageRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

describeResultStoreContract('fs', () =>
  Promise.resolve({
    store: createFsResultStore({ root }),
    readImage: async (record: ImageRecord) => {
      if (record.location === undefined) throw new Error(`record ${record.key} has no location`);
      return new Uint8Array(await readFile(record.location));
    },
  }),
);

describe('fs result store', () => {
  it('lays out <root>/<batch>/<name>.<ext> and <name>.json, pretty JSON, location = absolute image path', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    const written = await store.putImage(`${batchId}/cat-2`, pngImage(), storedRecord(`${batchId}/cat-2`));

    expect(written.location).toBe(join(root, batchId, 'cat-2.png'));
    expect(isAbsolute(written.location ?? '')).toBe(true);
    expect((await readdir(join(root, batchId))).sort()).toEqual(['cat-2.json', 'cat-2.png']);
    const text = await readFile(join(root, batchId, 'cat-2.json'), 'utf8');
    expect(text).toContain('\n  "key": ');
    expect(JSON.parse(text)).toEqual(written);
  });

  it('resolves a relative root against the working directory, so locations stay absolute', () => {
    const store = createFsResultStore({ root: relative(process.cwd(), root) });
    expect(store.description).toBe(root);
    expect(store.kind).toBe('fs');
  });

  it('removes the stale temp files of a writer that died, on its first write into the folder, and keeps fresh ones of live writers', async () => {
    const store = createFsResultStore({ root, staleTempAfterMs: 60_000 });
    const batchId = uniqueBatchId();
    await mkdir(join(root, batchId));
    const stale = join(root, batchId, '.dead-0.png.123-abcd.tmp');
    const live = join(root, batchId, '.live-0.png.456-efgh.tmp');
    await writeFile(stale, 'half an image');
    await writeFile(live, 'being written');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, anHourAgo, anHourAgo);
    await store.putImage(`${batchId}/r-0`, pngImage(pngLikeBytes(1_000)), storedRecord(`${batchId}/r-0`));
    expect((await readdir(join(root, batchId))).sort()).toEqual(['.live-0.png.456-efgh.tmp', 'r-0.json', 'r-0.png']);
  });

  it('refuses a record file that holds another key, as a case-insensitive filesystem gives for ids differing only in case', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    await store.putImage(`${batchId}/Mug-0`, pngImage(pngLikeBytes(1_000)), storedRecord(`${batchId}/Mug-0`));
    // What `mug-0.json` reads as where the filesystem folds case: Mug's file.
    await rename(join(root, batchId, 'Mug-0.json'), join(root, batchId, 'mug-0.json'));
    const error: unknown = await store.getRecord(`${batchId}/mug-0`).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StorageError);
    expect(error instanceof StorageError && error.isTransient).toBe(false);
    expect(error instanceof Error && error.message).toContain(`holds the record of ${batchId}/Mug-0, not of ${batchId}/mug-0`);
  });

  it('makes a batch folder again when it was removed after the store first wrote there', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    await store.putImage(`${batchId}/first-0`, pngImage(), storedRecord(`${batchId}/first-0`));
    await rm(join(root, batchId), { recursive: true });

    const written = await store.putImage(`${batchId}/second-0`, pngImage(), storedRecord(`${batchId}/second-0`));

    expect(written.location).toBe(join(root, batchId, 'second-0.png'));
    expect((await readdir(join(root, batchId))).sort()).toEqual(['second-0.json', 'second-0.png']);
    expect(await store.getRecord(`${batchId}/second-0`)).toEqual(written);
  });

  it('leaves no temp files behind after writes', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    for (let variant = 0; variant < 5; variant++) {
      await store.putImage(`${batchId}/r-${variant}`, pngImage(pngLikeBytes(1_000)), storedRecord(`${batchId}/r-${variant}`));
    }
    const names = await readdir(join(root, batchId));
    expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(names).toHaveLength(10);
  });

  it('an image write that fails leaves no record and no temp file, and fails as a non-transient StorageError', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    // A directory where the image should go makes the final rename fail (EISDIR), for real.
    await mkdir(join(root, batchId, 'blocked-0.png'), { recursive: true });

    const error = await store.putImage(`${batchId}/blocked-0`, pngImage(), storedRecord(`${batchId}/blocked-0`)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).isTransient).toBe(false);
    expect((error as StorageError).message).toContain(`write image ${join(root, batchId, 'blocked-0.png')}`);
    expect(await store.getRecord(`${batchId}/blocked-0`)).toBeNull();
    expect(await readdir(join(root, batchId))).toEqual(['blocked-0.png']);
  });

  it('a record write that fails after its image names the record, and leaves the image without a record (not taken as kept)', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    await mkdir(join(root, batchId, 'late-0.json'), { recursive: true });

    const error = await store.putImage(`${batchId}/late-0`, pngImage(), storedRecord(`${batchId}/late-0`)).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toContain(`write record ${join(root, batchId, 'late-0.json')}`);
    expect((await readdir(join(root, batchId))).sort()).toEqual(['late-0.json', 'late-0.png']);
    expect((await stat(join(root, batchId, 'late-0.json'))).isDirectory()).toBe(true);
  });

  it('treats a corrupt record file as missing, in getRecord and listRecords, so the image is made again', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    await store.putImage(`${batchId}/good-0`, pngImage(), storedRecord(`${batchId}/good-0`));
    await writeFile(join(root, batchId, 'torn-0.json'), '{"key": "');
    await writeFile(join(root, batchId, 'wrong-0.json'), JSON.stringify({ key: `${batchId}/wrong-0`, status: 'maybe' }));

    expect(await store.getRecord(`${batchId}/torn-0`)).toBeNull();
    expect(await store.getRecord(`${batchId}/wrong-0`)).toBeNull();
    expect((await collect(store.listRecords(batchId))).map((record) => record.key)).toEqual([`${batchId}/good-0`]);
  });

  it('takes a record whose image file is missing as not kept, so the image is made again', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    await store.putImage(`${batchId}/lone-0`, pngImage(), storedRecord(`${batchId}/lone-0`));
    await store.putImage(`${batchId}/whole-0`, pngImage(), storedRecord(`${batchId}/whole-0`));
    // What a crash can leave on a filesystem that does not keep renames in order: the record alone.
    await rm(join(root, batchId, 'lone-0.png'));

    expect(await store.getRecord(`${batchId}/lone-0`)).toBeNull();
    expect(await store.getRecord(`${batchId}/whole-0`)).toMatchObject({ key: `${batchId}/whole-0`, status: 'stored' });
  });

  it('listRecords skips unfinished temp files and non-record files', async () => {
    const store = createFsResultStore({ root });
    const batchId = uniqueBatchId();
    const record = storedRecord(`${batchId}/done-0`);
    await store.putImage(`${batchId}/done-0`, pngImage(), record);
    const folder = join(root, batchId);
    await writeFile(join(folder, '.half-0.json.123-abcdef01.tmp'), JSON.stringify(storedRecord(`${batchId}/half-0`)));
    await writeFile(join(folder, '.hidden-0.json'), JSON.stringify(storedRecord(`${batchId}/hidden-0`)));
    await writeFile(join(folder, 'notes.txt'), 'not a record');
    await mkdir(join(folder, 'sub.json'));

    expect((await collect(store.listRecords(batchId))).map((r) => r.key)).toEqual([`${batchId}/done-0`]);
  });

  it('a refused key creates nothing outside or inside the root', async () => {
    const inner = join(root, uniqueBatchId());
    await mkdir(inner);
    const store = createFsResultStore({ root: inner });
    await store.putImage('../escaped-0', pngImage(), storedRecord('../escaped-0')).catch(() => undefined);
    await store.putRecord('x/../../escaped-1', storedRecord('x/../../escaped-1')).catch(() => undefined);

    expect(await readdir(inner)).toEqual([]);
    expect((await readdir(root)).filter((name) => name.startsWith('escaped'))).toEqual([]);
  });
});
