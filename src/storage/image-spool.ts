import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/imgbatch-error.js';
import { imageRecordSchema, type ImageRecord } from './image-record.js';
import type { StoredImage } from './result-store.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** A paid result waiting for the store: the image (absent for a filtered one) and its record. */
export interface SpooledResult {
  readonly key: string;
  readonly image?: StoredImage | undefined;
  readonly record: ImageRecord;
}

/**
 * Where paid results wait while the store cannot take them. Bounded: `put` refuses what would go
 * over the cap (or what the spool's own disk refuses), and the caller keeps it another way.
 */
export interface ImageSpool {
  /** True when the result is on the spool's disk (flushed); false when it does not fit or cannot be written. */
  put(result: SpooledResult): Promise<boolean>;
  /** Keys of the results waiting, oldest first. */
  keys(): Promise<string[]>;
  /** A waiting result, or undefined when it is gone (written and removed by another process). */
  read(key: string): Promise<SpooledResult | undefined>;
  remove(key: string): Promise<void>;
}

export interface FolderImageSpoolOptions {
  /** The spool folder; created if missing. It should be on another disk than a folder store. */
  readonly dir: string;
  /** Most bytes the spool holds (images plus records). */
  readonly maxBytes: number;
}

const metaSchema = z.object({
  key: z.string(),
  record: imageRecordSchema,
  image: z.object({ contentType: z.string(), extension: z.string(), sizeBytes: z.number().int().min(0) }).optional(),
  spooledAt: z.number(),
});


/** File name of a key: keys hold `/`, and the hash keeps every name one safe segment. */
function nameOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

function isMissing(thrown: unknown): boolean {
  return thrown instanceof Error && (thrown as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * A spool in a local folder: `<name>.bin` holds the image bytes, then `<name>.json` the record;
 * an entry counts once its `.json` is there, so a crash mid-write leaves nothing half-read.
 * Several processes may share the folder (they write different keys, and writing one result to
 * the store twice is harmless); each counts the cap against what it saw at start plus its own.
 */
export function createFolderImageSpool(options: FolderImageSpoolOptions): ImageSpool {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes < 0) {
    throw new ConfigError(`worker.spoolMaxBytes: ${options.maxBytes} is not allowed; use a whole number of bytes from 0 up`);
  }
  const { dir, maxBytes } = options;
  let usedBytes: number | undefined;

  async function measure(): Promise<number> {
    await mkdir(dir, { recursive: true });
    let total = 0;
    for (const name of await readdir(dir)) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info?.isFile() === true) total += info.size;
    }
    return total;
  }

  async function readMeta(name: string): Promise<z.infer<typeof metaSchema> | undefined> {
    try {
      return metaSchema.parse(JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')));
    } catch (thrown) {
      if (isMissing(thrown)) return undefined;
      throw thrown;
    }
  }

  return {
    async put(result) {
      usedBytes ??= await measure().catch(() => maxBytes);
      const name = nameOf(result.key);
      const meta = JSON.stringify({
        key: result.key,
        record: result.record,
        ...(result.image !== undefined && { image: { contentType: result.image.contentType, extension: result.image.extension, sizeBytes: result.image.bytes.length } }),
        spooledAt: Date.now(),
      });
      const sizeBytes = (result.image?.bytes.length ?? 0) + Buffer.byteLength(meta);
      if (usedBytes + sizeBytes > maxBytes) return false;
      try {
        await mkdir(dir, { recursive: true });
        if (result.image !== undefined) await writeFileAtomic(join(dir, `${name}.bin`), result.image.bytes);
        await writeFileAtomic(join(dir, `${name}.json`), meta);
      } catch {
        // The spool's own disk is full or read-only too: the caller keeps the bytes in memory.
        await rm(join(dir, `${name}.bin`), { force: true }).catch(() => undefined);
        return false;
      }
      usedBytes += sizeBytes;
      return true;
    },

    async keys() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (thrown) {
        if (isMissing(thrown)) return [];
        throw thrown;
      }
      const metas = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readMeta(n.slice(0, -'.json'.length))));
      return metas
        .filter((meta) => meta !== undefined)
        .sort((a, b) => a.spooledAt - b.spooledAt)
        .map((meta) => meta.key);
    },

    async read(key) {
      const name = nameOf(key);
      const meta = await readMeta(name);
      if (meta === undefined) return undefined;
      if (meta.image === undefined) return { key, record: meta.record };
      try {
        const bytes = new Uint8Array(await readFile(join(dir, `${name}.bin`)));
        return { key, record: meta.record, image: { bytes, contentType: meta.image.contentType, extension: meta.image.extension } };
      } catch (thrown) {
        if (isMissing(thrown)) return undefined;
        throw thrown;
      }
    },

    async remove(key) {
      const name = nameOf(key);
      const sizes = await Promise.all([`${name}.json`, `${name}.bin`].map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)));
      // The record first: without it the entry no longer counts, whatever happens to the bytes.
      await rm(join(dir, `${name}.json`), { force: true });
      await rm(join(dir, `${name}.bin`), { force: true });
      if (usedBytes !== undefined) usedBytes = Math.max(0, usedBytes - sizes.reduce((a, b) => a + b, 0));
    },
  };
}
