import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { FetchSettings } from '../config/config.js';
import { StorageError } from '../errors/imgbatch-error.js';
import type { InputSource } from '../job/edit-input.js';
import { boundedFetch } from '../net/bounded-fetch.js';
import { FetchError } from '../net/fetch-error.js';
import type { BlobUrlReader } from '../storage/blob-url-reader.js';
import type { ResultStore } from '../storage/result-store.js';
import { sizeProblem } from './input-problem.js';
import { InputReadError } from './input-read-error.js';

export interface InputReaderOptions {
  /** Reads `store:` references; without it they are refused. Default: none. */
  readonly store?: Pick<ResultStore, 'getInput'> | undefined;
  /** Reads blob URLs of the configured storage account with its credential; other URLs are fetched. Default: none. */
  readonly blob?: BlobUrlReader | undefined;
  /** The outbound rules for URLs. Required. */
  readonly fetch: FetchSettings;
}

export interface ReadOptions {
  /** The input must be smaller than this, bytes (the model's limit); a bigger one is refused without being read whole. */
  readonly maxBytes: number;
  /** The folder local paths are relative to and must stay inside (the CSV's); absent: local paths are refused. */
  readonly localDir?: string | undefined;
}

/** Reads the bytes of an input image from wherever it is named. */
export interface InputReader {
  /** @throws InputReadError whose message completes "<the input> …" */
  read(source: InputSource, options: ReadOptions): Promise<Uint8Array>;
}

function isInside(folder: string, path: string): boolean {
  const fromFolder = relative(folder, path);
  return fromFolder !== '' && fromFolder !== '..' && !fromFolder.startsWith(`..${sep}`) && !isAbsolute(fromFolder);
}

function errorCode(thrown: unknown): unknown {
  return thrown instanceof Error ? (thrown as NodeJS.ErrnoException).code : undefined;
}

async function readLocal(path: string, options: ReadOptions): Promise<Uint8Array> {
  if (options.localDir === undefined) {
    throw new InputReadError('is a local path; local paths are read only from a CSV file, relative to its folder (give an https URL or a store: reference)', { isTransient: false });
  }
  const folder = await realpath(options.localDir);
  const target = resolve(folder, path);
  // Checked on the path as written and again on the real file: a symbolic link inside the
  // folder that leads out of it is refused as well.
  if (!isInside(folder, target)) throw new InputReadError(`is outside the CSV's folder (${folder}); only files in that folder or below are read`, { isTransient: false });
  let real: string;
  try {
    real = await realpath(target);
  } catch (thrown) {
    if (errorCode(thrown) === 'ENOENT' || errorCode(thrown) === 'ENOTDIR') throw new InputReadError(`does not exist (looked for ${target})`, { isTransient: false, cause: thrown });
    throw new InputReadError(`cannot be read: ${(thrown as Error).message}`, { isTransient: false, cause: thrown });
  }
  if (!isInside(folder, real)) throw new InputReadError(`leads outside the CSV's folder (${folder}, through a link to ${real})`, { isTransient: false });
  const info = await stat(real);
  if (!info.isFile()) throw new InputReadError('is not a file', { isTransient: false });
  const tooBig = sizeProblem(info.size, options.maxBytes);
  if (tooBig !== undefined) throw new InputReadError(tooBig, { isTransient: false });
  return await readFile(real);
}

/**
 * The one reader of input images, at enqueue (checks and copies) and in the worker (before
 * each call): local paths inside the CSV's folder, `store:` copies, blob URLs of the configured
 * account with its credential, and any other URL through boundedFetch under the configured
 * outbound rules. Makes one try; the caller decides what a transient failure means.
 */
export function createInputReader(options: InputReaderOptions): InputReader {
  async function readStore(key: string): Promise<Uint8Array> {
    if (options.store === undefined) throw new InputReadError('is a store: reference, and no result store is configured here', { isTransient: false });
    let bytes: Uint8Array | null;
    try {
      bytes = await options.store.getInput(key);
    } catch (thrown) {
      const isTransient = thrown instanceof StorageError && thrown.isTransient;
      throw new InputReadError(`cannot be read from the store: ${(thrown as Error).message}`, { isTransient, cause: thrown });
    }
    if (bytes === null) throw new InputReadError('is not in the store', { isTransient: false });
    return bytes;
  }

  async function readUrl(url: string, readOptions: ReadOptions): Promise<Uint8Array> {
    if (options.blob?.owns(url) === true) {
      let bytes: Uint8Array | null;
      try {
        bytes = await options.blob.read(url, { maxBytes: readOptions.maxBytes });
      } catch (thrown) {
        const isTransient = thrown instanceof StorageError && thrown.isTransient;
        throw new InputReadError(`cannot be read with the configured storage credential: ${(thrown as Error).message}`, { isTransient, cause: thrown });
      }
      if (bytes === null) throw new InputReadError('does not exist (no such blob in the configured storage account)', { isTransient: false });
      return bytes;
    }
    try {
      const fetched = await boundedFetch(url, {
        // boundedFetch refuses bodies over maxBytes; inputs must be less than the limit.
        maxBytes: readOptions.maxBytes - 1,
        timeoutMs: options.fetch.timeoutMs,
        allowPrivateAddresses: options.fetch.allowPrivateAddresses,
        allowLoopback: options.fetch.allowLoopback,
      });
      return fetched.bytes;
    } catch (thrown) {
      if (!(thrown instanceof FetchError)) throw thrown;
      const message = thrown.reason === 'too_large' ? `is too large: ${thrown.detail}; it must be less than ${readOptions.maxBytes} bytes` : `cannot be fetched: ${thrown.detail}`;
      throw new InputReadError(message, { isTransient: thrown.isTransient, cause: thrown });
    }
  }

  return {
    async read(source, readOptions) {
      switch (source.kind) {
        case 'path':
          return readLocal(source.path, readOptions);
        case 'store':
          return readStore(source.key);
        case 'url':
          return readUrl(source.url, readOptions);
      }
    },
  };
}
