import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import type { ResultStore, StoredImage } from '../../../src/storage/result-store.js';

/** A store under test plus a way to read image bytes back without going through the store. */
export interface ContractSubject {
  readonly store: ResultStore;
  readImage(record: ImageRecord): Promise<Uint8Array>;
}

const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A fresh batch id per test, so stores shared between tests never see each other's records. */
export function uniqueBatchId(): string {
  return `batch-${randomUUID()}`;
}

/** Bytes that would not survive a text round trip: every byte value, then random noise. */
export function pngLikeBytes(sizeBytes = 70_000): Uint8Array {
  const bytes = new Uint8Array(sizeBytes);
  bytes.set(PNG_SIGNATURE);
  for (let i = 0; i < 256; i++) bytes[PNG_SIGNATURE.length + i] = i;
  bytes.set(randomBytes(sizeBytes - PNG_SIGNATURE.length - 256), PNG_SIGNATURE.length + 256);
  return bytes;
}

export function pngImage(bytes: Uint8Array = pngLikeBytes()): StoredImage {
  return { bytes, contentType: 'image/png', extension: 'png' };
}

export function storedRecord(key: string, overrides: Partial<ImageRecord> = {}): ImageRecord {
  const [batchId = '', name = ''] = key.split('/');
  const dash = name.lastIndexOf('-');
  return {
    key,
    batchId,
    requestId: name.slice(0, dash),
    variant: Number(name.slice(dash + 1)),
    status: 'stored',
    prompt: 'a lighthouse at dusk, oil painting',
    revisedPrompt: 'A lighthouse at dusk painted in oils.',
    model: 'gpt-image-1-mini',
    size: '1024x1024',
    quality: 'low',
    outputFormat: 'png',
    deployment: 'images-east',
    serviceRequestId: 'req-1234',
    latencyMs: 8123,
    attempts: 1,
    usage: { total_tokens: 272, input_tokens: 16, output_tokens: 256 },
    metadata: { row: '12' },
    createdAt: '2025-01-02T03:04:05.000Z',
    ...overrides,
  };
}

export function filteredRecord(key: string): ImageRecord {
  const { revisedPrompt: _revised, outputFormat: _format, usage: _usage, ...rest } = storedRecord(key);
  return {
    ...rest,
    status: 'filtered',
    filter: { stage: 'prompt', categories: ['violence'], code: 'content_policy_violation', message: 'Your request was rejected by the safety system.' },
  };
}

async function collect(records: AsyncIterable<ImageRecord>): Promise<ImageRecord[]> {
  const all: ImageRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

/** Keys that try to leave a store's root, or are not `<batch>/<request>-<variant>` at all. */
export const ESCAPING_KEYS: readonly string[] = [
  '../outside-0',
  'batch/../../outside-0',
  '../../etc/passwd',
  '/etc/passwd',
  '/absolute-0',
  'batch\\..\\outside-0',
  'batch\\req-0',
  'batch//req-0',
  '/req-0',
  'batch/',
  '',
  'batch/sub/req-0',
  '..',
  'batch/..',
  './req-0',
  'C:/req-0',
];

async function expectRefused(operation: () => Promise<unknown>): Promise<void> {
  const error = await operation().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).isTransient).toBe(false);
}

/**
 * The behaviour every ResultStore adapter must have. `makeSubject` is called before each test;
 * the store it returns is closed after.
 */
export function describeResultStoreContract(name: string, makeSubject: () => Promise<ContractSubject>): void {
  describe(`${name} result store contract`, () => {
    let subject: ContractSubject;
    let store: ResultStore;

    beforeEach(async () => {
      subject = await makeSubject();
      store = subject.store;
    });

    afterEach(async () => {
      await store.close();
    });

    it('putImage returns the record with location, contentType and sizeBytes filled in, and getRecord reads the same back', async () => {
      const key = `${uniqueBatchId()}/lighthouse-0`;
      const image = pngImage();
      const written = await store.putImage(key, image, storedRecord(key));

      expect(written).toEqual({ ...storedRecord(key), location: expect.any(String) as string, contentType: 'image/png', sizeBytes: image.bytes.byteLength });
      expect(written.location).not.toBe('');
      expect(await store.getRecord(key)).toEqual(written);
    });

    it('stores image bytes exactly as given', async () => {
      const key = `${uniqueBatchId()}/bytes-3`;
      const bytes = pngLikeBytes(250_001);
      const written = await store.putImage(key, pngImage(bytes), storedRecord(key));

      const readBack = await subject.readImage(written);
      expect(readBack.byteLength).toBe(bytes.byteLength);
      expect(Buffer.from(readBack).equals(Buffer.from(bytes))).toBe(true);
    });

    it('stores exactly the bytes of a view into a larger buffer, not the whole buffer', async () => {
      const key = `${uniqueBatchId()}/view-0`;
      const backing = pngLikeBytes(50_000);
      const view = new Uint8Array(backing.buffer, 1_000, 20_000);
      const written = await store.putImage(key, pngImage(view), storedRecord(key));

      expect(written.sizeBytes).toBe(20_000);
      expect(Buffer.from(await subject.readImage(written)).equals(Buffer.from(backing.subarray(1_000, 21_000)))).toBe(true);
    });

    it('stores a jpeg with its own extension and content type', async () => {
      const key = `${uniqueBatchId()}/photo-0`;
      const bytes = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
      const written = await store.putImage(key, { bytes, contentType: 'image/jpeg', extension: 'jpeg' }, storedRecord(key, { outputFormat: 'jpeg' }));

      expect(written.contentType).toBe('image/jpeg');
      expect(written.location?.endsWith('photo-0.jpeg')).toBe(true);
      expect(Buffer.from(await subject.readImage(written)).equals(Buffer.from(bytes))).toBe(true);
    });

    it('putRecord stores a filtered result without an image', async () => {
      const key = `${uniqueBatchId()}/refused-1`;
      const record = filteredRecord(key);
      expect(await store.putRecord(key, record)).toEqual(record);

      const readBack = await store.getRecord(key);
      expect(readBack).toEqual(record);
      expect(readBack?.location).toBeUndefined();
    });

    it('getRecord of a key never written is null, in a known and in an unknown batch', async () => {
      const batchId = uniqueBatchId();
      await store.putRecord(`${batchId}/other-0`, filteredRecord(`${batchId}/other-0`));

      expect(await store.getRecord(`${batchId}/missing-0`)).toBeNull();
      expect(await store.getRecord(`${uniqueBatchId()}/missing-0`)).toBeNull();
    });

    it('a second write of the same key wins: latest record and latest bytes', async () => {
      const key = `${uniqueBatchId()}/again-0`;
      await store.putImage(key, pngImage(pngLikeBytes(10_000)), storedRecord(key, { attempts: 1 }));
      const latestBytes = pngLikeBytes(20_000);
      const latest = await store.putImage(key, pngImage(latestBytes), storedRecord(key, { attempts: 2 }));

      const readBack = await store.getRecord(key);
      expect(readBack).toEqual(latest);
      expect(readBack?.attempts).toBe(2);
      expect(readBack?.sizeBytes).toBe(20_000);
      expect(Buffer.from(await subject.readImage(latest)).equals(Buffer.from(latestBytes))).toBe(true);
    });

    it('a filtered record written over a stored one replaces it', async () => {
      const key = `${uniqueBatchId()}/flip-0`;
      await store.putImage(key, pngImage(), storedRecord(key));
      await store.putRecord(key, filteredRecord(key));

      expect(await store.getRecord(key)).toEqual(filteredRecord(key));
    });

    it("listRecords returns exactly the batch's records, stored and filtered, and none of another batch", async () => {
      const batchId = uniqueBatchId();
      const neighbour = `${batchId}x`;
      const keys = [`${batchId}/a-0`, `${batchId}/a-1`, `${batchId}/b-0`];
      await store.putImage(keys[0] ?? '', pngImage(), storedRecord(keys[0] ?? ''));
      await store.putImage(keys[1] ?? '', pngImage(), storedRecord(keys[1] ?? ''));
      await store.putRecord(keys[2] ?? '', filteredRecord(keys[2] ?? ''));
      await store.putImage(`${neighbour}/a-0`, pngImage(), storedRecord(`${neighbour}/a-0`));

      const listed = await collect(store.listRecords(batchId));
      expect(listed.map((record) => record.key).sort()).toEqual([...keys].sort());
      expect(listed.find((record) => record.key === keys[2])?.status).toBe('filtered');
      expect(await store.getRecord(keys[0] ?? '')).toEqual(listed.find((record) => record.key === keys[0]));
    });

    it('listRecords of a batch with nothing stored yields nothing', async () => {
      expect(await collect(store.listRecords(uniqueBatchId()))).toEqual([]);
    });

    it('listRecords returns a record once after it was overwritten', async () => {
      const batchId = uniqueBatchId();
      await store.putImage(`${batchId}/x-0`, pngImage(), storedRecord(`${batchId}/x-0`, { attempts: 1 }));
      await store.putImage(`${batchId}/x-0`, pngImage(), storedRecord(`${batchId}/x-0`, { attempts: 3 }));

      const listed = await collect(store.listRecords(batchId));
      expect(listed).toHaveLength(1);
      expect(listed[0]?.attempts).toBe(3);
    });

    it('the same request id in two batches gives two separate records and images', async () => {
      const [first, second] = [uniqueBatchId(), uniqueBatchId()];
      const firstBytes = pngLikeBytes(5_000);
      const secondBytes = pngLikeBytes(6_000);
      const a = await store.putImage(`${first}/same-0`, pngImage(firstBytes), storedRecord(`${first}/same-0`, { prompt: 'first' }));
      const b = await store.putImage(`${second}/same-0`, pngImage(secondBytes), storedRecord(`${second}/same-0`, { prompt: 'second' }));

      expect(a.location).not.toBe(b.location);
      expect((await store.getRecord(`${first}/same-0`))?.prompt).toBe('first');
      expect((await store.getRecord(`${second}/same-0`))?.prompt).toBe('second');
      expect(Buffer.from(await subject.readImage(a)).equals(Buffer.from(firstBytes))).toBe(true);
      expect(Buffer.from(await subject.readImage(b)).equals(Buffer.from(secondBytes))).toBe(true);
    });

    it('readImage gives back the bytes, content type and extension putImage wrote, png and jpeg', async () => {
      const batchId = uniqueBatchId();
      const pngBytes = pngLikeBytes(30_000);
      const png = await store.putImage(`${batchId}/still-0`, pngImage(pngBytes), storedRecord(`${batchId}/still-0`));
      const jpegBytes = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7, 0xff, 0xd9]);
      const jpeg = await store.putImage(`${batchId}/photo-1`, { bytes: jpegBytes, contentType: 'image/jpeg', extension: 'jpeg' }, storedRecord(`${batchId}/photo-1`));

      const readPng = await store.readImage(png);
      expect(readPng).toMatchObject({ contentType: 'image/png', extension: 'png' });
      expect(Buffer.from(readPng?.bytes ?? []).equals(Buffer.from(pngBytes))).toBe(true);
      const readJpeg = await store.readImage({ key: jpeg.key, location: jpeg.location });
      expect(readJpeg).toMatchObject({ contentType: 'image/jpeg', extension: 'jpeg' });
      expect(Buffer.from(readJpeg?.bytes ?? []).equals(Buffer.from(jpegBytes))).toBe(true);
    });

    it('readImage is null for a filtered record (no image) and for an image that is not in the store', async () => {
      const batchId = uniqueBatchId();
      const filtered = await store.putRecord(`${batchId}/refused-0`, filteredRecord(`${batchId}/refused-0`));
      expect(await store.readImage(filtered)).toBeNull();
      const stored = await store.putImage(`${batchId}/here-0`, pngImage(), storedRecord(`${batchId}/here-0`));
      const elsewhere = (stored.location ?? '').replace('here-0.png', 'gone-0.png');
      expect(await store.readImage({ key: `${batchId}/gone-0`, location: elsewhere })).toBeNull();
      expect(await store.readImage({ key: `${uniqueBatchId()}/gone-0`, location: 'gone-0.png' })).toBeNull();
    });

    it("readImage reads the key's own image whatever folder the location names, and refuses a location that names another file", async () => {
      const batchId = uniqueBatchId();
      const bytes = pngLikeBytes(5_000);
      await store.putImage(`${batchId}/mine-0`, pngImage(bytes), storedRecord(`${batchId}/mine-0`));
      await store.putImage(`${batchId}/theirs-0`, pngImage(), storedRecord(`${batchId}/theirs-0`));

      const moved = await store.readImage({ key: `${batchId}/mine-0`, location: '/somewhere/else/mine-0.png' });
      expect(Buffer.from(moved?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
      await expectRefused(() => store.readImage({ key: `${batchId}/mine-0`, location: `/x/${batchId}/theirs-0.png` }));
      await expectRefused(() => store.readImage({ key: `${batchId}/mine-0`, location: `/x/${batchId}/mine-0.json` }));
      await expectRefused(() => store.readImage({ key: `${batchId}/mine-0`, location: `/x/${batchId}/mine-0.png/../../etc/passwd` }));
    });

    it.each(ESCAPING_KEYS.map((key) => [key]))('refuses key %j that could leave the root, as a non-transient StorageError', async (key) => {
      await expectRefused(() => store.readImage({ key, location: '/x/y-0.png' }));
      await expectRefused(() => store.getRecord(key));
      await expectRefused(() => store.putImage(key, pngImage(), storedRecord(key)));
      await expectRefused(() => store.putRecord(key, { ...filteredRecord('x/y-0'), key }));
    });

    it.each([['..'], ['.'], [''], ['a/b'], ['a\\b'], ['/abs']])('listRecords refuses batch id %j as a non-transient StorageError', async (batchId) => {
      await expectRefused(() => collect(store.listRecords(batchId)));
    });

    it('refuses an image extension that would overwrite the record', async () => {
      const key = `${uniqueBatchId()}/clash-0`;
      await expectRefused(() => store.putImage(key, { bytes: pngLikeBytes(1_000), contentType: 'application/json', extension: 'json' }, storedRecord(key)));
      expect(await store.getRecord(key)).toBeNull();
    });

    it('refuses a record whose own key differs from the key it is stored under, writing nothing', async () => {
      const batchId = uniqueBatchId();
      await expectRefused(() => store.putImage(`${batchId}/mine-0`, pngImage(), storedRecord(`${batchId}/theirs-0`)));
      await expectRefused(() => store.putRecord(`${batchId}/mine-0`, filteredRecord(`${batchId}/theirs-0`)));
      expect(await collect(store.listRecords(batchId))).toEqual([]);
    });

    it('putInput stores an input under <batch>/inputs/<sha256>.<ext>, and getInput gives the same bytes back', async () => {
      const batchId = uniqueBatchId();
      const bytes = pngLikeBytes(40_000);
      const key = await store.putInput(batchId, bytes, 'png');

      expect(key).toBe(`${batchId}/inputs/${createHash('sha256').update(bytes).digest('hex')}.png`);
      expect(Buffer.from((await store.getInput(key)) ?? []).equals(Buffer.from(bytes))).toBe(true);
      const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 4, 5, 6, 0xff, 0xd9]);
      expect(await store.putInput(batchId, jpeg, 'jpeg')).toMatch(/\/inputs\/[0-9a-f]{64}\.jpeg$/);
    });

    it('putInput of the same bytes again gives the same key and keeps one copy; other batches get their own', async () => {
      const batchId = uniqueBatchId();
      const bytes = pngLikeBytes(10_000);
      const first = await store.putInput(batchId, bytes, 'png');
      const again = await store.putInput(batchId, new Uint8Array(bytes), 'png');
      const elsewhere = await store.putInput(uniqueBatchId(), bytes, 'png');

      expect(again).toBe(first);
      expect(elsewhere).not.toBe(first);
      expect(Buffer.from((await store.getInput(elsewhere)) ?? []).equals(Buffer.from(bytes))).toBe(true);
    });

    it('stores exactly the bytes of a view into a larger buffer as an input', async () => {
      const backing = pngLikeBytes(30_000);
      const view = new Uint8Array(backing.buffer, 500, 10_000);
      const key = await store.putInput(uniqueBatchId(), view, 'png');
      expect(Buffer.from((await store.getInput(key)) ?? []).equals(Buffer.from(backing.subarray(500, 10_500)))).toBe(true);
    });

    it('getInput of an input never stored is null', async () => {
      expect(await store.getInput(`${uniqueBatchId()}/inputs/${'a'.repeat(64)}.png`)).toBeNull();
    });

    it('inputs are not records: listRecords of a batch with inputs lists only its records', async () => {
      const batchId = uniqueBatchId();
      await store.putInput(batchId, pngLikeBytes(2_000), 'png');
      await store.putImage(`${batchId}/edited-0`, pngImage(), storedRecord(`${batchId}/edited-0`));
      expect((await collect(store.listRecords(batchId))).map((record) => record.key)).toEqual([`${batchId}/edited-0`]);
    });

    it('keepAside frees the key and keeps the previous image and record beside it, out of the listing; a new image then takes the key', async () => {
      const batchId = uniqueBatchId();
      const key = `${batchId}/mug-0`;
      const before = pngImage(pngLikeBytes(3_000));
      await store.putImage(key, before, storedRecord(key, { fingerprint: 'a'.repeat(32), prompt: 'a red mug' }));

      const kept = await store.keepAside(key);

      expect(kept).toMatchObject({ key, prompt: 'a red mug', fingerprint: 'a'.repeat(32) });
      expect(kept?.location).toContain(`previous/mug-0.${'a'.repeat(32)}.png`);
      expect(await store.getRecord(key)).toBeNull();
      expect(await store.keepAside(key)).toBeNull();
      const after = pngImage(pngLikeBytes(4_000));
      await store.putImage(key, after, storedRecord(key, { fingerprint: 'b'.repeat(32), prompt: 'a blue mug' }));
      expect(await store.getRecord(key)).toMatchObject({ prompt: 'a blue mug' });
      expect((await store.readImage((await store.getRecord(key)) ?? { key }))?.bytes).toEqual(Buffer.from(after.bytes));
      expect((await collect(store.listRecords(batchId))).map((record) => `${record.key}:${record.prompt}`)).toEqual([`${key}:a blue mug`]);
    });

    it('keepAside of a filtered record (no image) keeps the record aside and frees the key', async () => {
      const key = `${uniqueBatchId()}/bad-0`;
      await store.putRecord(key, filteredRecord(key));
      expect(await store.keepAside(key)).toMatchObject({ key, status: 'filtered' });
      expect(await store.getRecord(key)).toBeNull();
    });

    it.each([
      ['../inputs/' + 'a'.repeat(64) + '.png'],
      ['batch/inputs/../../' + 'a'.repeat(64) + '.png'],
      ['batch/inputs/' + 'a'.repeat(63) + '.png'],
      ['batch/inputs/' + 'A'.repeat(64) + '.png'],
      ['batch/inputs/' + 'a'.repeat(64) + '.gif'],
      ['batch/' + 'a'.repeat(64) + '.png'],
      ['batch/req-0'],
      [''],
    ])('getInput refuses key %j that is not <batch>/inputs/<sha256>.<png|jpeg>, as a non-transient StorageError', async (key) => {
      await expectRefused(() => store.getInput(key));
    });

    it.each([['..'], ['a/b'], ['']])('putInput refuses batch id %j as a non-transient StorageError', async (batchId) => {
      await expectRefused(() => store.putInput(batchId, pngLikeBytes(1_000), 'png'));
    });

    it('refuses a record it could not read back (not a number where one is due), writing nothing', async () => {
      const key = `${uniqueBatchId()}/nan-0`;
      await expectRefused(() => store.putImage(key, pngImage(), storedRecord(key, { latencyMs: Number.NaN })));
      expect(await store.getRecord(key)).toBeNull();
    });
  });
}
