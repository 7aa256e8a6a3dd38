import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import {
  BlobSASPermissions,
  BlobServiceClient,
  RestError,
  StorageSharedKeyCredential,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { ConfigError, StorageError, coerceError } from '../errors/imgbatch-error.js';
import { ASIDE_FOLDER, asideName } from './aside-name.js';
import { decodeRecord } from './decode-record.js';
import { encodeRecord } from './encode-record.js';
import { imageContentType } from './image-content-type.js';
import type { ImageRecord } from './image-record.js';
import { inputKey, parseInputKey } from './input-key.js';
import { parseBatchId, parseImageExtension, parseResultKey } from './parse-result-key.js';
import type { ResultStore } from './result-store.js';
import { storedImageExtension } from './stored-image-extension.js';
import { toStorageError } from './to-storage-error.js';

export interface BlobResultStoreOptions {
  /** Container name (3-63 lowercase letters, digits and single hyphens); created private on first write if missing. Required. */
  readonly container: string;
  /** Folder inside the container that holds the batch folders, e.g. `runs/2025`. Default: none (batches at the container root). */
  readonly prefix?: string | undefined;
  /** A storage account connection string (AZURE_STORAGE_CONNECTION_STRING); set this or `accountUrl`, not both. Default: none. */
  readonly connectionString?: string | undefined;
  /** The account's blob endpoint, e.g. `https://myaccount.blob.core.windows.net`, used with Entra ID; set this or `connectionString`. Default: none. */
  readonly accountUrl?: string | undefined;
  /** The Entra ID credential used with `accountUrl` (tests inject one). Default: `new DefaultAzureCredential()`. */
  readonly credential?: TokenCredential | undefined;
  /** Longest one storage request may take before it is abandoned as a transient failure, ms. Default 30000. */
  readonly requestTimeoutMs?: number | undefined;
}

export interface ReadUrlOptions {
  /** How long the URL can be used, ms (at most 7 days). Default 900000 (15 minutes). */
  readonly expiresInMs?: number | undefined;
}

export interface BlobResultStore extends ResultStore {
  readonly kind: 'blob';
  /** The container's URL, without any SAS. */
  readonly containerUrl: string;
  /** Whether `createReadUrl` can sign: true when the connection string holds an AccountKey. */
  readonly canSignUrls: boolean;
  /**
   * A short-lived, read-only SAS URL for a stored record's image, to hand to someone who has no
   * access to the (private) container. Needs a shared key (`canSignUrls`), else throws
   * ConfigError. Throws a non-transient StorageError for a record without an image or whose
   * `location` is not in this store. Signs locally: makes no request.
   */
  createReadUrl(record: ImageRecord, options?: ReadUrlOptions): Promise<string>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_READ_URL_EXPIRY_MS = 15 * 60_000;
const MAX_READ_URL_EXPIRY_MS = 7 * 24 * 60 * 60_000;
/** SAS start time is backdated so a reader whose clock runs behind can use the URL at once. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Records downloaded at once while listing a batch. */
const LIST_CONCURRENCY = 16;

// https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function parsePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  for (const segment of trimmed.split('/')) {
    if (!/^[A-Za-z0-9._-]+$/.test(segment) || segment === '.' || segment === '..') {
      throw new ConfigError(
        `blob store prefix: ${JSON.stringify(prefix)} is not allowed; use folder names of letters, digits, ".", "_" and "-" separated by single "/"`,
      );
    }
  }
  return `${trimmed}/`;
}

function parsePositiveMs(field: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw new ConfigError(`${field}: ${value} is not allowed; use a whole number of milliseconds from 1 to ${max}`);
  }
  return value;
}

function createServiceClient(options: BlobResultStoreOptions, pipeline: StoragePipelineOptions): BlobServiceClient {
  const { connectionString, accountUrl, credential } = options;
  if (connectionString !== undefined && accountUrl !== undefined) {
    throw new ConfigError('blob store: set either connectionString or accountUrl (Entra ID), not both');
  }
  if (connectionString !== undefined) {
    if (credential !== undefined) {
      throw new ConfigError('blob store: credential is used only with accountUrl; a connection string carries its own');
    }
    try {
      return BlobServiceClient.fromConnectionString(connectionString, pipeline);
    } catch (error) {
      // The SDK's message never repeats the string, which may hold an account key.
      throw new ConfigError('blob store: connectionString is not a valid storage connection string', { cause: error });
    }
  }
  if (accountUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(accountUrl);
    } catch (error) {
      throw new ConfigError(`blob store: accountUrl ${JSON.stringify(accountUrl)} is not a URL; expected e.g. https://myaccount.blob.core.windows.net`, { cause: error });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError(`blob store: accountUrl ${JSON.stringify(accountUrl)} must be an https URL`);
    }
    return new BlobServiceClient(accountUrl, credential ?? new DefaultAzureCredential(), pipeline);
  }
  throw new ConfigError('blob store: set connectionString (AZURE_STORAGE_CONNECTION_STRING) or accountUrl (with Entra ID)');
}

function statusOf(thrown: unknown): number | undefined {
  return thrown instanceof RestError ? thrown.statusCode : undefined;
}

function errorCodeOf(thrown: unknown): string | undefined {
  return thrown instanceof RestError ? thrown.code : undefined;
}

/** A URL without its query: a connection string with a SAS puts the SAS on every client URL. */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  return parsed.toString();
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (stream === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/**
 * A store in an Azure Blob Storage container: image blob `<prefix>/<batch>/<request>-<variant>.<ext>`
 * with its content type, record blob beside it with `.json`. The record's `location` is the
 * image blob's URL without SAS; the container is private, so use `createReadUrl` to share.
 */
export function createBlobResultStore(options: BlobResultStoreOptions): BlobResultStore {
  if (!CONTAINER_NAME.test(options.container)) {
    throw new ConfigError(
      `blob store container: ${JSON.stringify(options.container)} is not allowed; use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit`,
    );
  }
  const prefix = parsePrefix(options.prefix);
  const requestTimeoutMs = parsePositiveMs('blob store requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  // One try per request: the retrying wrapper owns storage retries, and the SDK's default
  // (4 tries, 4 s apart and growing) would multiply with it.
  const service = createServiceClient(options, { retryOptions: { maxTries: 1 } });
  const container: ContainerClient = service.getContainerClient(options.container);
  const canSignUrls = service.credential instanceof StorageSharedKeyCredential;
  const containerUrl = withoutQuery(container.url);

  /** Runs one SDK call under the request timeout; a timeout counts as transient. */
  async function call<T>(action: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const abortSignal = AbortSignal.timeout(requestTimeoutMs);
    try {
      return await run(abortSignal);
    } catch (thrown) {
      if (abortSignal.aborted) {
        throw new StorageError(`${action} failed: no answer within ${requestTimeoutMs} ms`, { isTransient: true, cause: thrown });
      }
      throw toStorageError(thrown, action);
    }
  }

  let containerReady: Promise<void> | undefined;

  function ensureContainer(): Promise<void> {
    containerReady ??= call(`create container ${options.container}`, async (abortSignal) => {
      try {
        // No `access` option: the container is private, blobs are readable only with a key or SAS.
        await container.createIfNotExists({ abortSignal });
      } catch (thrown) {
        // An identity allowed to write blobs but not to create containers (a container-scoped
        // SAS, a narrow custom role) can still use a container someone else created.
        if (statusOf(thrown) === 403 && (await container.exists({ abortSignal }).catch(() => false))) return;
        throw thrown;
      }
    }).catch((error: unknown) => {
      // Forget the failure so the next write (the retrying wrapper's next try) creates it again.
      containerReady = undefined;
      throw error;
    });
    return containerReady;
  }

  async function upload(blobName: string, body: Uint8Array | string, contentType: string, uploadOptions: { readonly isCreateOnly?: boolean } = {}): Promise<void> {
    await ensureContainer();
    const action = `upload blob ${blobName} to ${options.container}`;
    // A Buffer over exactly these bytes (no copy): older @azure/core-rest-pipeline (1.16.3, also
    // in node_modules) sends a non-Buffer Uint8Array as `Buffer.from(view.buffer)`, the whole
    // underlying ArrayBuffer, so a view into a larger buffer would upload the wrong bytes. The
    // copy storage-blob uses now is fixed; a lockfile change must not bring the bug back.
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    try {
      // A single Put Blob: the blob appears whole or not at all, never half-written.
      await call(action, (abortSignal) =>
        container.getBlockBlobClient(blobName).upload(bytes, bytes.byteLength, {
          abortSignal,
          blobHTTPHeaders: { blobContentType: contentType },
          ...(uploadOptions.isCreateOnly === true && { conditions: { ifNoneMatch: '*' } }),
        }),
      );
    } catch (error) {
      const cause = error instanceof StorageError ? error.cause : error;
      // Create-only and already there (BlobAlreadyExists, or a lost answer to our own earlier try).
      if (uploadOptions.isCreateOnly === true && (statusOf(cause) === 409 || statusOf(cause) === 412)) return;
      if (errorCodeOf(cause) === 'ContainerNotFound') {
        // Someone deleted the container after we made it (or Azurite restarted): the next try
        // makes it again, so this failure is one a retry fixes.
        containerReady = undefined;
        throw new StorageError(`${action} failed: the container is gone; it is created again on the next try`, { isTransient: true, cause });
      }
      throw error;
    }
  }

  async function readRecordBlob(blobName: string): Promise<ImageRecord | null> {
    try {
      const text = await call(`download blob ${blobName} from ${options.container}`, async (abortSignal) => {
        const response = await container.getBlobClient(blobName).download(0, undefined, { abortSignal });
        return (await readAll(response.readableStreamBody)).toString('utf8');
      });
      // A corrupt record reads as missing (see decodeRecord), as in every store.
      return decodeRecord(text);
    } catch (error) {
      // BlobNotFound or ContainerNotFound: nothing was stored yet.
      if (error instanceof StorageError && statusOf(error.cause) === 404) return null;
      throw error;
    }
  }

  /** Uploads a record; `text` is its encodeRecord form when the caller has it already. */
  async function writeRecord(key: string, record: ImageRecord, text: string = encodeRecord(key, record)): Promise<ImageRecord> {
    const { batchId, name } = parseResultKey(key);
    await upload(`${prefix}${batchId}/${name}.json`, text, 'application/json; charset=utf-8');
    return record;
  }

  return {
    kind: 'blob',
    description: containerUrl,
    containerUrl,
    canSignUrls,

    async getRecord(key) {
      const { batchId, name } = parseResultKey(key);
      return await readRecordBlob(`${prefix}${batchId}/${name}.json`);
    },

    async putImage(key, image, record) {
      const { batchId, name } = parseResultKey(key);
      const extension = parseImageExtension(image.extension);
      const blobName = `${prefix}${batchId}/${name}.${extension}`;
      const written: ImageRecord = {
        ...record,
        location: withoutQuery(container.getBlockBlobClient(blobName).url),
        contentType: image.contentType,
        sizeBytes: image.bytes.byteLength,
      };
      // Fail on a bad record before uploading anything.
      const text = encodeRecord(key, written);
      await upload(blobName, image.bytes, image.contentType);
      // The record goes last: its presence means the image is complete.
      return await writeRecord(key, written, text);
    },

    async putRecord(key, record) {
      return await writeRecord(key, record);
    },

    async keepAside(key) {
      const { batchId, name } = parseResultKey(key);
      const recordBlob = `${prefix}${batchId}/${name}.json`;
      const record = await readRecordBlob(recordBlob);
      if (record === null) return null;
      const aside = `${prefix}${batchId}/${ASIDE_FOLDER}/${asideName(name, record)}`;
      let kept = record;
      let imageBlob: string | undefined;
      if (record.location !== undefined) {
        const extension = storedImageExtension(record.location, name);
        imageBlob = `${prefix}${batchId}/${name}.${extension}`;
        const from = imageBlob;
        const bytes = await call(`download blob ${from} from ${options.container}`, async (abortSignal) => {
          const response = await container.getBlobClient(from).download(0, undefined, { abortSignal });
          return await readAll(response.readableStreamBody);
        }).catch((error: unknown) => {
          // Moved by an earlier try (or deleted by hand): the record aside is what is kept.
          if (error instanceof StorageError && statusOf(error.cause) === 404) return undefined;
          throw error;
        });
        if (bytes !== undefined) await upload(`${aside}.${extension}`, bytes, imageContentType(extension));
        kept = { ...record, location: withoutQuery(container.getBlockBlobClient(`${aside}.${extension}`).url) };
      }
      // Copied first, then the key freed: a failure part way leaves the key taken (nothing is
      // made again) and a repeat finishes the move.
      await upload(`${aside}.json`, encodeRecord(record.key, kept), 'application/json; charset=utf-8');
      for (const blob of imageBlob === undefined ? [recordBlob] : [recordBlob, imageBlob]) {
        await call(`delete blob ${blob} from ${options.container}`, (abortSignal) => container.getBlobClient(blob).deleteIfExists({ abortSignal }));
      }
      return kept;
    },

    async *listRecords(batchId) {
      const folder = `${prefix}${parseBatchId(batchId)}/`;
      const action = `list blobs under ${folder} in ${options.container}`;
      const pages = container.listBlobsFlat({ prefix: folder }).byPage({ maxPageSize: 1000 });
      for (;;) {
        let page;
        try {
          page = await call(action, (abortSignal) => {
            // The SDK's paged iterator takes no per-page signal; race the timeout instead.
            return Promise.race([
              pages.next(),
              new Promise<never>((_, reject) => {
                abortSignal.addEventListener(
                  'abort',
                  () => {
                    reject(coerceError(abortSignal.reason));
                  },
                  { once: true },
                );
              }),
            ]);
          });
        } catch (error) {
          if (error instanceof StorageError && statusOf(error.cause) === 404) return;
          throw error;
        }
        if (page.done === true) return;
        // Only the batch folder's own records: not inputs, not images kept aside under previous/.
        const names = page.value.segment.blobItems.map((item) => item.name).filter((name) => name.endsWith('.json') && !name.slice(folder.length).includes('/'));
        for (let start = 0; start < names.length; start += LIST_CONCURRENCY) {
          const records = await Promise.all(names.slice(start, start + LIST_CONCURRENCY).map(readRecordBlob));
          for (const record of records) if (record !== null) yield record;
        }
      }
    },

    async readImage(record) {
      const { batchId, name } = parseResultKey(record.key);
      if (record.location === undefined) return null;
      const extension = storedImageExtension(record.location, name);
      const blobName = `${prefix}${batchId}/${name}.${extension}`;
      try {
        const bytes = await call(`download blob ${blobName} from ${options.container}`, async (abortSignal) => {
          const response = await container.getBlobClient(blobName).download(0, undefined, { abortSignal });
          return await readAll(response.readableStreamBody);
        });
        return { bytes, contentType: imageContentType(extension), extension };
      } catch (error) {
        // BlobNotFound or ContainerNotFound: the image was deleted after its record was written.
        if (error instanceof StorageError && statusOf(error.cause) === 404) return null;
        throw error;
      }
    },

    async putInput(batchId, bytes, extension) {
      const key = inputKey(batchId, createHash('sha256').update(bytes).digest('hex'), extension);
      // Named by content: a blob of that name already holds these bytes, so it is never overwritten.
      await upload(`${prefix}${key}`, bytes, imageContentType(extension), { isCreateOnly: true });
      return key;
    },

    async getInput(key) {
      parseInputKey(key);
      const blobName = `${prefix}${key}`;
      try {
        return await call(`download blob ${blobName} from ${options.container}`, async (abortSignal) => {
          const response = await container.getBlobClient(blobName).download(0, undefined, { abortSignal });
          return await readAll(response.readableStreamBody);
        });
      } catch (error) {
        if (error instanceof StorageError && statusOf(error.cause) === 404) return null;
        throw error;
      }
    },

    async createReadUrl(record, urlOptions = {}) {
      if (!canSignUrls) {
        throw new ConfigError('blob store: read URLs need a shared key; use a connection string with AccountKey, or give access to the container through Entra ID');
      }
      const expiresInMs = parsePositiveMs('read URL expiresInMs', urlOptions.expiresInMs, DEFAULT_READ_URL_EXPIRY_MS, MAX_READ_URL_EXPIRY_MS);
      const { batchId, name } = parseResultKey(record.key);
      const base = `${containerUrl}/${prefix}${batchId}/${name}.`;
      const location = record.location;
      if (location?.startsWith(base) !== true) {
        throw new StorageError(`no read URL for ${record.key}: its record has no image in ${containerUrl}`, { isTransient: false });
      }
      const extension = parseImageExtension(location.slice(base.length));
      const now = Date.now();
      return await container.getBlobClient(`${prefix}${batchId}/${name}.${extension}`).generateSasUrl({
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(now - CLOCK_SKEW_MS),
        expiresOn: new Date(now + expiresInMs),
      });
    },

    close() {
      // The SDK keeps no per-client connections to release; its HTTP agent is shared and unref'd.
      return Promise.resolve();
    },
  };
}
