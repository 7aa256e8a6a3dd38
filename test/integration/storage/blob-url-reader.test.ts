import { createHash, randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_FETCH_SETTINGS } from '../../../src/config/load-config.js';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { createInputReader } from '../../../src/inputs/input-reader.js';
import { resolveEditInputs } from '../../../src/inputs/resolve-edit-inputs.js';
import type { RequestInput } from '../../../src/job/prepare-jobs.js';
import { createBlobResultStore } from '../../../src/storage/blob-result-store.js';
import { createBlobUrlReader } from '../../../src/storage/blob-url-reader.js';
import { photoPng } from '../../helpers/edit-images.js';

const connectionString = inject('azuriteConnectionString');
const service = BlobServiceClient.fromConnectionString(connectionString);
const container = `imgbatch-inputs-${randomUUID().slice(0, 8)}`;
let photo: Buffer;
let photoUrl: string;

beforeAll(async () => {
  // Private: no anonymous access, so only the account's credential reads it.
  await service.getContainerClient(container).create();
  photo = await photoPng(48, 32);
  const blob = service.getContainerClient(container).getBlockBlobClient('catalogue/mug front.png');
  await blob.uploadData(photo, { blobHTTPHeaders: { blobContentType: 'image/png' } });
  photoUrl = blob.url;
});

afterAll(async () => {
  await service.getContainerClient(container).deleteIfExists();
});

describe('input images named by an Azure Blob URL, read with the configured storage credential', () => {
  it('owns only URLs of its account, and reads a private blob (a name with a space too) with the credential', async () => {
    const reader = createBlobUrlReader({ connectionString });
    expect(reader.owns(photoUrl)).toBe(true);
    expect(reader.owns('https://otheraccount.blob.core.windows.net/c/mug.png')).toBe(false);
    expect(Buffer.from((await reader.read(photoUrl, { maxBytes: 1_000_000 })) ?? []).equals(photo)).toBe(true);
    // Without the credential the same URL is refused by the service.
    expect([403, 404]).toContain((await fetch(photoUrl)).status);
  });

  it('says null for a blob that is not there, and refuses one over the size limit without reading it', async () => {
    const reader = createBlobUrlReader({ connectionString });
    expect(await reader.read(`${service.getContainerClient(container).url}/catalogue/gone.png`, { maxBytes: 1_000_000 })).toBeNull();
    const error = await reader.read(photoUrl, { maxBytes: 100 }).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toContain(`${photo.byteLength} bytes is not less than the limit of 100 bytes`);
  });

  it('an edit request naming the blob URL is checked and copied into the store like any input', async () => {
    const store = createBlobResultStore({ connectionString, container });
    const reader = createInputReader({ store, blob: createBlobUrlReader({ connectionString }), fetch: DEFAULT_FETCH_SETTINGS });
    const input: RequestInput = { request: { prompt: 'Make it blue', model: 'gpt-image-1.5', images: [photoUrl] }, location: 'requests[0]', defaultId: 'req-0' };
    const resolved: RequestInput[] = [];
    for await (const each of resolveEditInputs([input], { batchId: 'blob-edits', reader, store })) resolved.push(each);
    const sha256 = createHash('sha256').update(photo).digest('hex');
    expect(resolved[0]?.issues).toBeUndefined();
    expect(resolved[0]?.edit?.images).toEqual([{ source: `store:blob-edits/inputs/${sha256}.png`, sha256, widthPx: 48, heightPx: 32 }]);
    expect(Buffer.from((await store.getInput(`blob-edits/inputs/${sha256}.png`)) ?? []).equals(photo)).toBe(true);
  });
});
