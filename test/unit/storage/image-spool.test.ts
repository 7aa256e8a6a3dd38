import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { createFolderImageSpool } from '../../../src/storage/image-spool.js';

function recordOf(key: string, status: ImageRecord['status'] = 'stored'): ImageRecord {
  return { key, batchId: 'b', requestId: 'r', variant: 0, status, prompt: 'p', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', deployment: 'd', latencyMs: 1, attempts: 1, createdAt: '2026-12-06T00:00:00.000Z' };
}

const IMAGE = { bytes: new Uint8Array(1000).fill(7), contentType: 'image/png', extension: 'png' };

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgbatch-spool-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the folder spool', () => {
  it('keeps an image and its record until removed, and a record without an image', async () => {
    const spool = createFolderImageSpool({ dir, maxBytes: 1_000_000 });
    expect(await spool.put({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') })).toBe(true);
    expect(await spool.put({ key: 'b/r-1', record: recordOf('b/r-1', 'filtered') })).toBe(true);
    expect((await spool.keys()).sort()).toEqual(['b/r-0', 'b/r-1']);
    expect(await spool.read('b/r-0')).toEqual({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') });
    expect(await spool.read('b/r-1')).toEqual({ key: 'b/r-1', record: recordOf('b/r-1', 'filtered') });
    await spool.remove('b/r-0');
    await spool.remove('b/r-1');
    expect(await spool.keys()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('is read again by a new spool on the same folder: what a stopped worker spooled survives its restart', async () => {
    await createFolderImageSpool({ dir, maxBytes: 1_000_000 }).put({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') });
    const restarted = createFolderImageSpool({ dir, maxBytes: 1_000_000 });
    expect(await restarted.keys()).toEqual(['b/r-0']);
    expect((await restarted.read('b/r-0'))?.image?.bytes).toEqual(IMAGE.bytes);
  });

  it('refuses what would go over its cap, counting what an earlier run left, and takes it again once room is made', async () => {
    await createFolderImageSpool({ dir, maxBytes: 2_500 }).put({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') });
    const spool = createFolderImageSpool({ dir, maxBytes: 2_500 });
    expect(await spool.put({ key: 'b/r-1', image: IMAGE, record: recordOf('b/r-1') })).toBe(false);
    await spool.remove('b/r-0');
    expect(await spool.put({ key: 'b/r-1', image: IMAGE, record: recordOf('b/r-1') })).toBe(true);
  });

  it('does not count an entry whose record was never written (a crash mid-write)', async () => {
    const spool = createFolderImageSpool({ dir, maxBytes: 1_000_000 });
    await writeFile(join(dir, 'deadbeef.bin'), IMAGE.bytes);
    expect(await spool.keys()).toEqual([]);
  });

  it('answers false, not an error, when its own folder cannot be written', async () => {
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const spool = createFolderImageSpool({ dir: join(dir, 'a-file', 'spool'), maxBytes: 1_000_000 });
    expect(await spool.put({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') })).toBe(false);
  });

  it('refuses a cap that is not a whole number of bytes', () => {
    expect(() => createFolderImageSpool({ dir, maxBytes: -1 })).toThrow(ConfigError);
  });
});
