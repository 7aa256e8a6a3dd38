import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  generateAccountSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, StorageError } from '../../../src/errors/imgbatch-error.js';
import { createBlobResultStore } from '../../../src/storage/blob-result-store.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { freePort } from '../../helpers/free-port.js';
import { describeResultStoreContract, filteredRecord, pngImage, pngLikeBytes, storedRecord, uniqueBatchId } from './result-store-contract.js';

const connectionString = inject('azuriteConnectionString');
const service = BlobServiceClient.fromConnectionString(connectionString);
const runId = randomUUID().slice(0, 8);
const containersMade: string[] = [];

/** A container name no other test run uses; deleted after this file's tests. */
function uniqueContainer(purpose: string): string {
  const name = `imgbatch-${purpose}-${runId}`;
  containersMade.push(name);
  return name;
}

afterAll(async () => {
  await Promise.all(containersMade.map((name) => service.getContainerClient(name).deleteIfExists()));
});

async function readBlob(containerName: string, record: ImageRecord): Promise<Uint8Array> {
  const container = service.getContainerClient(containerName);
  const location = record.location ?? '';
  if (!location.startsWith(`${container.url}/`)) throw new Error(`record ${record.key} is not in ${containerName}: ${location}`);
  return new Uint8Array(await container.getBlobClient(location.slice(container.url.length + 1)).downloadToBuffer());
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
}

const contractContainer = uniqueContainer('contract');
describeResultStoreContract('blob', () =>
  Promise.resolve({
    store: createBlobResultStore({ connectionString, container: contractContainer }),
    readImage: (record: ImageRecord) => readBlob(contractContainer, record),
  }),
);

const prefixedContainer = uniqueContainer('prefixed');
describeResultStoreContract('blob with prefix', () =>
  Promise.resolve({
    store: createBlobResultStore({ connectionString, container: prefixedContainer, prefix: 'runs/nightly' }),
    readImage: (record: ImageRecord) => readBlob(prefixedContainer, record),
  }),
);

describe('blob result store', () => {
  it('creates its container on first write, private: no public access level', async () => {
    const name = uniqueContainer('private');
    const store = createBlobResultStore({ connectionString, container: name });
    expect(await service.getContainerClient(name).exists()).toBe(false);

    const key = `${uniqueBatchId()}/first-0`;
    await store.putImage(key, pngImage(), storedRecord(key));

    const policy = await service.getContainerClient(name).getAccessPolicy();
    expect(policy.blobPublicAccess).toBeUndefined();
  });

  it('uses an existing container as it is', async () => {
    const name = uniqueContainer('existing');
    await service.getContainerClient(name).create();
    const store = createBlobResultStore({ connectionString, container: name });
    const key = `${uniqueBatchId()}/into-existing-0`;
    await store.putRecord(key, filteredRecord(key));
    expect(await store.getRecord(key)).toEqual(filteredRecord(key));
  });

  it('lays out <prefix>/<batch>/<name>.<ext> and .json with content types; location is the blob URL without SAS', async () => {
    const name = uniqueContainer('layout');
    const store = createBlobResultStore({ connectionString, container: name, prefix: '/runs/2025/' });
    const batchId = uniqueBatchId();
    const written = await store.putImage(`${batchId}/cat-0`, pngImage(), storedRecord(`${batchId}/cat-0`));

    const container = service.getContainerClient(name);
    expect(written.location).toBe(`${container.url}/runs/2025/${batchId}/cat-0.png`);
    expect(store.containerUrl).toBe(container.url);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names.sort()).toEqual([`runs/2025/${batchId}/cat-0.json`, `runs/2025/${batchId}/cat-0.png`]);
    expect((await container.getBlobClient(`runs/2025/${batchId}/cat-0.png`).getProperties()).contentType).toBe('image/png');
    const recordBlob = container.getBlobClient(`runs/2025/${batchId}/cat-0.json`);
    expect((await recordBlob.getProperties()).contentType).toMatch(/^application\/json/);
    expect((await recordBlob.downloadToBuffer()).toString('utf8')).toContain('\n  "key": ');
  });

  it('a read SAS URL downloads the image, while the plain URL is refused (the container is private)', async () => {
    const name = uniqueContainer('sas');
    const store = createBlobResultStore({ connectionString, container: name });
    const key = `${uniqueBatchId()}/shared-0`;
    const bytes = pngLikeBytes(30_000);
    const written = await store.putImage(key, pngImage(bytes), storedRecord(key));
    expect(store.canSignUrls).toBe(true);

    const sasUrl = await store.createReadUrl(written, { expiresInMs: 60_000 });
    expect(sasUrl.startsWith(`${written.location ?? ''}?`)).toBe(true);
    expect(new URL(sasUrl).searchParams.get('sp')).toBe('r');
    const viaSas = await fetch(sasUrl);
    expect(viaSas.status).toBe(200);
    expect(viaSas.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await viaSas.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

    const plain = await fetch(written.location ?? '');
    await plain.arrayBuffer();
    expect(plain.ok).toBe(false);
    expect([401, 403, 404, 409]).toContain(plain.status);
  });

  it('a read SAS URL only reads: writing through it is refused', async () => {
    const name = uniqueContainer('sasro');
    const store = createBlobResultStore({ connectionString, container: name });
    const key = `${uniqueBatchId()}/ro-0`;
    const written = await store.putImage(key, pngImage(), storedRecord(key));
    const sasUrl = await store.createReadUrl(written);

    const put = await fetch(sasUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' });
    await put.arrayBuffer();
    expect(put.status).toBe(403);
  });

  it('refuses a read URL for a record without an image, or with an image elsewhere', async () => {
    const store = createBlobResultStore({ connectionString, container: uniqueContainer('sasnone') });
    const key = `${uniqueBatchId()}/none-0`;
    const noImage = await errorOf(store.createReadUrl(filteredRecord(key)));
    expect(noImage).toBeInstanceOf(StorageError);
    expect((noImage as StorageError).isTransient).toBe(false);

    const elsewhere = await errorOf(store.createReadUrl(storedRecord(key, { location: 'https://evil.example/x/none-0.png' })));
    expect(elsewhere).toBeInstanceOf(StorageError);
    const badExpiry = await errorOf(store.createReadUrl(storedRecord(key, { location: `${store.containerUrl}/${key}.png` }), { expiresInMs: -1 }));
    expect(badExpiry).toBeInstanceOf(ConfigError);
  });

  it('a connection string with a SAS (no key) works, keeps the SAS out of locations, and cannot sign read URLs', async () => {
    const name = uniqueContainer('sasconn');
    const accountKey = /AccountKey=([^;]+)/.exec(connectionString)?.[1] ?? '';
    const sas = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3_600_000),
        permissions: AccountSASPermissions.parse('rwdlc'),
        resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
        services: AccountSASServices.parse('b').toString(),
      },
      new StorageSharedKeyCredential('devstoreaccount1', accountKey),
    ).toString();
    const blobEndpoint = service.url.replace(/\/$/, '');
    const store = createBlobResultStore({ connectionString: `BlobEndpoint=${blobEndpoint};SharedAccessSignature=${sas}`, container: name });

    const key = `${uniqueBatchId()}/via-sas-0`;
    const written = await store.putImage(key, pngImage(), storedRecord(key));
    expect(written.location).toBe(`${service.getContainerClient(name).url}/${key}.png`);
    expect(store.description).not.toContain('sig=');
    expect(await store.getRecord(key)).toEqual(written);
    expect(store.canSignUrls).toBe(false);
    expect(await errorOf(store.createReadUrl(written))).toBeInstanceOf(ConfigError);
  });

  it('a store built on Entra ID (accountUrl and a credential) cannot sign read URLs', async () => {
    const credential: TokenCredential = { getToken: () => Promise.resolve({ token: 'test', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const store = createBlobResultStore({ accountUrl: service.url, credential, container: uniqueContainer('entra') });
    expect(store.canSignUrls).toBe(false);
    const key = `${uniqueBatchId()}/x-0`;
    expect(await errorOf(store.createReadUrl(storedRecord(key, { location: `${store.containerUrl}/${key}.png` })))).toBeInstanceOf(ConfigError);
  });

  it('makes the container again when it was deleted under it: the first write fails as transient, the next succeeds', async () => {
    const name = uniqueContainer('vanish');
    const store = createBlobResultStore({ connectionString, container: name });
    const batchId = uniqueBatchId();
    await store.putRecord(`${batchId}/before-0`, filteredRecord(`${batchId}/before-0`));
    await service.getContainerClient(name).delete();
    // Azurite, like Azure, may refuse to recreate a container it is still deleting.
    await expect.poll(() => service.getContainerClient(name).exists()).toBe(false);

    const first = await errorOf(store.putImage(`${batchId}/after-0`, pngImage(), storedRecord(`${batchId}/after-0`)));
    expect(first).toBeInstanceOf(StorageError);
    expect((first as StorageError).isTransient).toBe(true);
    await store.putImage(`${batchId}/after-0`, pngImage(), storedRecord(`${batchId}/after-0`));
    expect((await store.getRecord(`${batchId}/after-0`))?.status).toBe('stored');
  });

  it('reads of a container that does not exist are empty, not errors', async () => {
    const store = createBlobResultStore({ connectionString, container: uniqueContainer('absent') });
    expect(await store.getRecord(`${uniqueBatchId()}/x-0`)).toBeNull();
    const listed: ImageRecord[] = [];
    for await (const record of store.listRecords(uniqueBatchId())) listed.push(record);
    expect(listed).toEqual([]);
  });
});

describe('blob result store errors', () => {
  it('maps a refused connection to a transient StorageError at once: the SDK does not retry on its own', async () => {
    const port = await freePort();
    const store = createBlobResultStore({
      connectionString: connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${port}`),
      container: 'nobody-listens',
    });
    const key = `${uniqueBatchId()}/x-0`;
    const startedAt = performance.now();
    const error = await errorOf(store.putRecord(key, filteredRecord(key)));
    // The SDK's default retry policy would wait 4 s before its second try.
    expect(performance.now() - startedAt).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).isTransient).toBe(true);
    expect((error as StorageError).message).toContain('ECONNREFUSED');
  });

  it('maps a wrong account key (403) to a non-transient StorageError', async () => {
    const wrongKey = Buffer.from('not the key'.padEnd(64, '!')).toString('base64');
    const store = createBlobResultStore({
      connectionString: connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`),
      container: uniqueContainer('wrongkey'),
    });
    const key = `${uniqueBatchId()}/x-0`;
    const error = await errorOf(store.putRecord(key, filteredRecord(key)));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).isTransient).toBe(false);
    expect((error as StorageError).message).toContain('403');
  });

  it('abandons a request that gets no answer within requestTimeoutMs, as a transient StorageError', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const store = createBlobResultStore({
        connectionString: connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${port}`),
        container: 'silent-server',
        requestTimeoutMs: 300,
      });
      const startedAt = performance.now();
      const error = await errorOf(store.getRecord(`${uniqueBatchId()}/x-0`));
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).isTransient).toBe(true);
      expect((error as StorageError).message).toContain('300 ms');
      expect(performance.now() - startedAt).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => { resolve(); }));
    }
  });

  it('refuses to start with both or neither of connectionString and accountUrl', () => {
    expect(() => createBlobResultStore({ container: 'results', connectionString, accountUrl: service.url })).toThrow(ConfigError);
    expect(() => createBlobResultStore({ container: 'results' })).toThrow(ConfigError);
  });
});

