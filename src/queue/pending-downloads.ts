import { z } from 'zod';
import { defineLuaCommands, luaCommand } from '../lua/lua-command.js';
import { imageRecordSchema, type ImageRecord } from '../storage/image-record.js';
import type { KeySpace } from './key-space.js';
import type { RedisClient } from './redis-connection.js';

/** A generated (and paid) image not yet downloaded from the URL the answer gave. */
export interface PendingDownload {
  /** Where the service left the image. */
  readonly url: string;
  /** When the URL stops working, epoch ms (the service keeps it about 24 h). */
  readonly expiresAtMs: number;
  /** Tries so far. */
  readonly tries: number;
  /** Why the last try failed. */
  readonly cause: string;
  /** The record to store beside the bytes: the call, its cost and the prompt, as they were. */
  readonly record: ImageRecord;
}

/**
 * The downloads a job still owes, kept in Redis beside the job so that any worker, after a
 * crash too, downloads the image again instead of paying for another call.
 */
export interface PendingDownloads {
  /**
   * Keeps (or updates) the pending download of one image of the job, and marks its batch
   * (`record.batchId`) as one whose jobs read their pending downloads when they start.
   */
  keep(jobId: string, variant: number, download: PendingDownload): Promise<void>;
  /** The job's pending downloads by variant; entries that cannot be read are left out. */
  read(jobId: string): Promise<ReadonlyMap<number, PendingDownload>>;
  /** Forgets one (downloaded and stored, or given up on). */
  drop(jobId: string, variant: number): Promise<void>;
  /** Forgets every pending download of the job: it was cancelled, and no run will come for them. */
  forget(jobId: string): Promise<void>;
}

const pendingDownloadSchema = z.object({
  url: z.string(),
  expiresAtMs: z.number(),
  tries: z.number().int().min(0),
  cause: z.string(),
  record: imageRecordSchema,
});

/** Kept a while past the URLs' end, so an expired download is still seen (and given up with its cause). */
const KEEP_AFTER_EXPIRY_MS = 3_600_000;

function parseEntry(text: string): PendingDownload | undefined {
  try {
    const parsed = pendingDownloadSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

interface PendingDownloadCommands {
  imgbatchKeepPendingDownload(downloads: string, batch: string, batches: string, variant: string, download: string, keepUntilMs: number, batchId: string): Promise<number>;
}

const PENDING_DOWNLOAD_COMMANDS = [luaCommand('imgbatchKeepPendingDownload', new URL('./lua/keep-pending-download.lua', import.meta.url), 3)];

export function createPendingDownloads(redis: RedisClient, keys: KeySpace): PendingDownloads {
  defineLuaCommands(redis, PENDING_DOWNLOAD_COMMANDS);
  const commands = redis as unknown as PendingDownloadCommands;
  return {
    async keep(jobId, variant, download) {
      await commands.imgbatchKeepPendingDownload(
        keys.pendingDownloads(jobId),
        keys.batch(download.record.batchId),
        keys.pendingDownloadBatches,
        String(variant),
        JSON.stringify(download),
        download.expiresAtMs + KEEP_AFTER_EXPIRY_MS,
        download.record.batchId,
      );
    },
    async read(jobId) {
      const hash = await redis.hgetall(keys.pendingDownloads(jobId));
      const downloads = new Map<number, PendingDownload>();
      for (const [field, text] of Object.entries(hash)) {
        const entry = parseEntry(text);
        if (entry !== undefined && /^\d+$/.test(field)) downloads.set(Number(field), entry);
      }
      return downloads;
    },
    async drop(jobId, variant) {
      await redis.hdel(keys.pendingDownloads(jobId), String(variant));
    },
    async forget(jobId) {
      await redis.del(keys.pendingDownloads(jobId));
    },
  };
}
