import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, RestError } from '@azure/storage-blob';
import { ConfigError, StorageError } from '../errors/imgbatch-error.js';
import { toStorageError } from './to-storage-error.js';

export interface BlobUrlReaderOptions {
  /** A storage account connection string; set this or `accountUrl`. Default: none. */
  readonly connectionString?: string | undefined;
  /** The account's blob endpoint, used with Entra ID; set this or `connectionString`. Default: none. */
  readonly accountUrl?: string | undefined;
  /** The Entra ID credential used with `accountUrl`. Default: `new DefaultAzureCredential()`. */
  readonly credential?: TokenCredential | undefined;
  /** Longest one download may take, ms. Default 60000. */
  readonly requestTimeoutMs?: number | undefined;
}

/** Reads blobs named by URL with the configured storage account's credential (input images of edits). */
export interface BlobUrlReader {
  /** Whether the URL names a blob in the configured account (then `read` uses its credential). */
  owns(url: string): boolean;
  /**
   * The blob's bytes, or null when there is no such blob. Throws a non-transient StorageError
   * for a blob of `maxBytes` or more (without reading it) or one the credential may not read.
   */
  read(url: string, options: { readonly maxBytes: number }): Promise<Uint8Array | null>;
}

function withoutQuery(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/?$/, '/');
}

/**
 * A reader for blob URLs of one storage account, with the same credential the Blob result store
 * uses (a connection string, or Entra ID with an account URL). A URL is matched by the account's
 * blob endpoint (`https://<account>.blob.core.windows.net/`, or Azurite's path-style
 * `http://127.0.0.1:10000/devstoreaccount1/`), then split into container and blob name; a SAS in
 * the URL is not needed and is ignored.
 */
export function createBlobUrlReader(options: BlobUrlReaderOptions): BlobUrlReader {
  const { connectionString, accountUrl } = options;
  if ((connectionString === undefined) === (accountUrl === undefined)) {
    throw new ConfigError('blob input reader: set either a connection string or an account URL (Entra ID)');
  }
  // One try: the caller decides about retries.
  const pipeline = { retryOptions: { maxTries: 1 } };
  let service: BlobServiceClient;
  try {
    service =
      connectionString !== undefined
        ? BlobServiceClient.fromConnectionString(connectionString, pipeline)
        : new BlobServiceClient(accountUrl ?? '', options.credential ?? new DefaultAzureCredential(), pipeline);
  } catch (error) {
    throw new ConfigError('blob input reader: the storage connection string or account URL is not valid', { cause: error });
  }
  const base = withoutQuery(service.url);
  const timeoutMs = options.requestTimeoutMs ?? 60_000;

  function blobOf(url: string): { container: string; name: string } | undefined {
    let parsed: string;
    try {
      parsed = withoutQuery(url).replace(/\/$/, '');
    } catch {
      return undefined;
    }
    if (!parsed.startsWith(base)) return undefined;
    const [container, ...rest] = parsed.slice(base.length).split('/').map((segment) => decodeURIComponent(segment));
    if (container === undefined || container === '' || rest.length === 0 || rest.some((segment) => segment === '')) return undefined;
    return { container, name: rest.join('/') };
  }

  return {
    owns: (url) => blobOf(url) !== undefined,

    async read(url, readOptions) {
      const blob = blobOf(url);
      if (blob === undefined) throw new StorageError(`not a blob of ${base}`, { isTransient: false });
      const client = service.getContainerClient(blob.container).getBlobClient(blob.name);
      const action = `read blob ${blob.container}/${blob.name}`;
      const abortSignal = AbortSignal.timeout(timeoutMs);
      try {
        const response = await client.download(0, undefined, { abortSignal });
        const stream = response.readableStreamBody;
        const declared = response.contentLength ?? 0;
        if (declared >= readOptions.maxBytes) {
          (stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined)?.destroy?.();
          throw new StorageError(`${action}: ${declared} bytes is not less than the limit of ${readOptions.maxBytes} bytes`, { isTransient: false });
        }
        const chunks: Buffer[] = [];
        if (stream !== undefined) for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        return Buffer.concat(chunks);
      } catch (error) {
        if (error instanceof StorageError) throw error;
        if (error instanceof RestError && error.statusCode === 404) return null;
        if (abortSignal.aborted) throw new StorageError(`${action} failed: no answer within ${timeoutMs} ms`, { isTransient: true, cause: error });
        throw toStorageError(error, action);
      }
    },
  };
}
