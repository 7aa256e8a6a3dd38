import { createHash } from 'node:crypto';
import { mkdir, opendir, readFile, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { StorageError } from '../errors/imgbatch-error.js';
import { ASIDE_FOLDER, asideName } from './aside-name.js';
import { decodeRecord } from './decode-record.js';
import { encodeRecord } from './encode-record.js';
import { imageContentType } from './image-content-type.js';
import type { ImageRecord } from './image-record.js';
import { inputKey, parseInputKey } from './input-key.js';
import { parseBatchId, parseImageExtension, parseResultKey } from './parse-result-key.js';
import type { ResultStore, StoredImage } from './result-store.js';
import { storedImageExtension } from './stored-image-extension.js';
import { toStorageError } from './to-storage-error.js';
import { FileThreadError, sharedFileThreads, type FileToWrite } from './file-threads.js';
import { isLocalFilesystem } from './is-local-filesystem.js';
import { syncFolder, TEMP_SUFFIX } from './write-file-atomic.js';

export interface FsResultStoreOptions {
  /** The folder that holds one sub-folder per batch; relative paths resolve against the working directory. Required. */
  readonly root: string;
  /**
   * Age after which a temp file is taken for the leftover of a writer that died (killed mid-write)
   * and removed, ms. Default 600000 (10 minutes): a live write takes milliseconds to seconds, and
   * other processes may be writing into the same folder, so only old ones go.
   */
  readonly staleTempAfterMs?: number;
}

/** Unfinished writes are dot-files ending in `.tmp`, so listings and people skip them. */
const DEFAULT_STALE_TEMP_AFTER_MS = 10 * 60_000;

function errorCode(thrown: unknown): unknown {
  return thrown instanceof Error ? (thrown as NodeJS.ErrnoException).code : undefined;
}

/** Removes the temp files in `folder` older than `olderThanMs`: the leftovers of writers that died. */
async function sweepStaleTempFiles(folder: string, olderThanMs: number): Promise<void> {
  let directory;
  try {
    directory = await opendir(folder);
  } catch (thrown) {
    if (errorCode(thrown) === 'ENOENT') return;
    throw thrown;
  }
  const cutoffMs = Date.now() - olderThanMs;
  for await (const entry of directory) {
    if (!entry.isFile() || !entry.name.startsWith('.') || !entry.name.endsWith(TEMP_SUFFIX)) continue;
    const path = join(folder, entry.name);
    // Another process may finish (rename) or sweep the same file meanwhile: gone is fine.
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && info.mtimeMs < cutoffMs) await rm(path, { force: true });
  }
}

/**
 * A store in a local folder: `<root>/<batch>/<request>-<variant>.<ext>` for the image and
 * `<root>/<batch>/<request>-<variant>.json` for its record (pretty JSON). The record's
 * `location` is the image's absolute path.
 */
export function createFsResultStore(options: FsResultStoreOptions): ResultStore {
  const root = resolve(options.root);
  const staleTempAfterMs = options.staleTempAfterMs ?? DEFAULT_STALE_TEMP_AFTER_MS;
  /** Folders this process has swept (or is sweeping): once each, before its first write there. */
  const swept = new Map<string, Promise<void>>();
  /**
   * Folders this process has made (or found): the next writes there skip the mkdir, one file
   * system call less per file. A folder removed since (by hand) is made again, see writeIn.
   */
  const made = new Set<string>();
  /** Where the per-image writes and record reads run: one message each rather than a pool round trip per call (file-threads.ts). */
  const files = sharedFileThreads();
  // Asked once: a missing record is told by a stat on this thread only on a local disk.
  const statFirst = isLocalFilesystem(root);

  function folderOf(batchId: string, subfolder?: 'inputs' | typeof ASIDE_FOLDER): string {
    return subfolder === undefined ? join(root, batchId) : join(root, batchId, subfolder);
  }

  /**
   * Makes the batch folder (or its `inputs` folder), and the first time in this process, sweeps
   * its stale temp files.
   */
  async function prepareFolder(batchId: string, subfolder?: 'inputs' | typeof ASIDE_FOLDER): Promise<void> {
    const folder = folderOf(batchId, subfolder);
    if (!made.has(folder)) {
      await mkdir(folder, { recursive: true });
      made.add(folder);
    }
    let sweep = swept.get(folder);
    if (sweep === undefined) {
      // A failed sweep costs nothing but the leftovers: it never fails the write.
      sweep = sweepStaleTempFiles(folder, staleTempAfterMs).catch(() => undefined);
      swept.set(folder, sweep);
    }
    await sweep;
  }

  /**
   * Atomic writes (writeFileAtomic's, on a file thread, in order) into a folder of the store,
   * made if missing. The folder is taken as there once made; if it was removed since, a write
   * fails with ENOENT (an earlier file of the same message may be in place by then, never a
   * later one), and all are made again once (writing a file again is harmless).
   */
  async function writeIn(batchId: string, subfolder: 'inputs' | typeof ASIDE_FOLDER | undefined, toWrite: readonly FileToWrite[]): Promise<void> {
    await prepareFolder(batchId, subfolder);
    try {
      await files.writeAtomic(toWrite);
    } catch (thrown) {
      const folder = folderOf(batchId, subfolder);
      if (errorCode(thrown) !== 'ENOENT') throw thrown;
      // Whether or not another write got here first, the folder is made again (mkdir of an
      // existing folder is fine) and these writes tried once more.
      made.delete(folder);
      await prepareFolder(batchId, subfolder);
      await files.writeAtomic(toWrite);
    }
  }

  /** The absolute path of a file in a batch folder, checked once more to lie inside root. */
  function pathFor(batchId: string, fileName: string): string {
    return inside(join(root, batchId, fileName));
  }

  function inputPath(key: string): string {
    const { batchId, sha256, extension } = parseInputKey(key);
    return inside(join(root, batchId, 'inputs', `${sha256}.${extension}`));
  }

  function inside(path: string): string {
    const fromRoot = relative(root, path);
    if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)) {
      throw new StorageError(`refused path ${JSON.stringify(path)}: outside the store root ${root}`, { isTransient: false });
    }
    return path;
  }

  /** Writes a record (a filtered image's, which has no image file). */
  async function writeRecord(key: string, record: ImageRecord): Promise<ImageRecord> {
    const { batchId, name } = parseResultKey(key);
    const path = pathFor(batchId, `${name}.json`);
    const text = encodeRecord(key, record);
    try {
      await writeIn(batchId, undefined, [{ path, data: text }]);
    } catch (thrown) {
      throw toStorageError(thrown, `write record ${path}`);
    }
    return record;
  }

  async function isFile(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch (thrown) {
      if (errorCode(thrown) === 'ENOENT') return false;
      throw toStorageError(thrown, `read image ${path}`);
    }
  }

  async function readRecordFile(path: string): Promise<ImageRecord | null> {
    let text: string | null;
    try {
      text = await files.readText(path, { statFirst });
    } catch (thrown) {
      throw toStorageError(thrown, `read record ${path}`);
    }
    if (text === null) return null;
    // A corrupt record reads as missing (see decodeRecord): the image is made again rather
    // than the batch stalling on a file that can never be parsed.
    return decodeRecord(text);
  }

  return {
    kind: 'fs',
    description: root,

    async getRecord(key) {
      const { batchId, name } = parseResultKey(key);
      const path = pathFor(batchId, `${name}.json`);
      const record = await readRecordFile(path);
      // On a case-insensitive filesystem `Mug` and `mug` are one file: a record of another key
      // must never pass for this one (its image would be taken as made, or overwritten).
      if (record !== null && record.key !== key) {
        throw new StorageError(`${path} holds the record of ${record.key}, not of ${key}: on a case-insensitive filesystem keys that differ only in case share a file`, { isTransient: false });
      }
      // A record is written after its image and both are flushed with one flush of their folder
      // (file-thread-main.mjs): a crash before it ends on a filesystem that does not keep renames
      // in order could keep the record alone. Such a record is not taken as kept: the image is
      // made again rather than counted as stored and missing.
      if (record?.location !== undefined && !(await isFile(pathFor(batchId, `${name}.${storedImageExtension(record.location, name)}`)))) return null;
      return record;
    },

    async putImage(key, image: StoredImage, record) {
      const { batchId, name } = parseResultKey(key);
      const extension = parseImageExtension(image.extension);
      const imagePath = pathFor(batchId, `${name}.${extension}`);
      const written: ImageRecord = { ...record, location: imagePath, contentType: image.contentType, sizeBytes: image.bytes.byteLength };
      // Fail on a bad record before writing anything.
      const text = encodeRecord(key, written);
      const recordPath = pathFor(batchId, `${name}.json`);
      try {
        // The record goes last, in the same message: its presence means the image is complete.
        await writeIn(batchId, undefined, [
          { path: imagePath, data: image.bytes },
          { path: recordPath, data: text },
        ]);
      } catch (thrown) {
        const isRecord = thrown instanceof FileThreadError && thrown.target === recordPath;
        throw toStorageError(thrown, isRecord ? `write record ${recordPath}` : `write image ${imagePath}`);
      }
      return written;
    },

    async putRecord(key, record) {
      return await writeRecord(key, record);
    },

    async keepAside(key) {
      const { batchId, name } = parseResultKey(key);
      const recordPath = pathFor(batchId, `${name}.json`);
      const record = await readRecordFile(recordPath);
      if (record === null) return null;
      if (record.key !== key) {
        throw new StorageError(`${recordPath} holds the record of ${record.key}, not of ${key}: on a case-insensitive filesystem keys that differ only in case share a file`, { isTransient: false });
      }
      const aside = asideName(name, record);
      const extension = record.location === undefined ? undefined : storedImageExtension(record.location, name);
      const asideImage = extension === undefined ? undefined : pathFor(batchId, join(ASIDE_FOLDER, `${aside}.${extension}`));
      const kept: ImageRecord = { ...record, ...(asideImage !== undefined && { location: asideImage }) };
      try {
        // Record aside first, then the image, then the key freed: a repeat after a crash part
        // way finishes the move. Between the image's move and the record's removal the key's
        // record has no image and reads as not kept (getRecord): the new image is made, its
        // record replaces the old one, and the one kept aside stays.
        await writeIn(batchId, ASIDE_FOLDER, [{ path: pathFor(batchId, join(ASIDE_FOLDER, `${aside}.json`)), data: encodeRecord(record.key, kept) }]);
        if (asideImage !== undefined && extension !== undefined) {
          await rename(pathFor(batchId, `${name}.${extension}`), asideImage).catch((thrown: unknown) => {
            // Moved by an earlier try, or deleted by hand: the record aside is what is kept.
            if (errorCode(thrown) !== 'ENOENT') throw thrown;
          });
          await syncFolder(join(root, batchId, ASIDE_FOLDER));
        }
        await rm(recordPath, { force: true });
        await syncFolder(join(root, batchId));
      } catch (thrown) {
        throw toStorageError(thrown, `keep ${key} aside in ${join(root, batchId, ASIDE_FOLDER)}`);
      }
      return kept;
    },

    async *listRecords(batchId) {
      const folder = pathFor(parseBatchId(batchId), '.');
      let directory;
      try {
        directory = await opendir(folder);
      } catch (thrown) {
        if (errorCode(thrown) === 'ENOENT') return;
        throw toStorageError(thrown, `list records in ${folder}`);
      }
      try {
        // `for await` over a Dir closes it when the loop ends, breaks or throws.
        for await (const entry of directory) {
          if (!entry.isFile() || entry.name.startsWith('.') || !entry.name.endsWith('.json')) continue;
          const record = await readRecordFile(join(folder, entry.name));
          if (record !== null) yield record;
        }
      } catch (thrown) {
        throw toStorageError(thrown, `list records in ${folder}`);
      }
    },

    async readImage(record) {
      const { batchId, name } = parseResultKey(record.key);
      if (record.location === undefined) return null;
      const extension = storedImageExtension(record.location, name);
      const path = pathFor(batchId, `${name}.${extension}`);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (thrown) {
        if (errorCode(thrown) === 'ENOENT') return null;
        throw toStorageError(thrown, `read image ${path}`);
      }
      return { bytes, contentType: imageContentType(extension), extension };
    },

    async putInput(batchId, bytes, extension) {
      const key = inputKey(batchId, createHash('sha256').update(bytes).digest('hex'), extension);
      const path = inputPath(key);
      try {
        // Named by content: a file of that name and size is taken as these bytes (a worker checks
        // the hash before each use, so a file changed since is caught there).
        const existing = await stat(path).catch((thrown: unknown) => {
          if (errorCode(thrown) === 'ENOENT') return undefined;
          throw thrown;
        });
        if (existing?.size === bytes.byteLength) return key;
        await writeIn(parseInputKey(key).batchId, 'inputs', [{ path, data: bytes }]);
      } catch (thrown) {
        throw toStorageError(thrown, `write input ${path}`);
      }
      return key;
    },

    async getInput(key) {
      const path = inputPath(key);
      try {
        return await readFile(path);
      } catch (thrown) {
        if (errorCode(thrown) === 'ENOENT') return null;
        throw toStorageError(thrown, `read input ${path}`);
      }
    },

    close() {
      // Nothing is held open between calls.
      return Promise.resolve();
    },
  };
}
