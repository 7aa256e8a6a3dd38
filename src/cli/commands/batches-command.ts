import { defineCommand } from 'citty';
import { listBatches, type BatchListing } from '../../batch/list-batches.js';
import { pruneBatches } from '../../batch/prune-batches.js';
import { loadConfig } from '../../config/load-config.js';
import { createSilentLogger } from '../../log/logger.js';
import { createImageQueue } from '../../queue/image-queue.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { batchPrefixesToSearch } from '../batch-prefix.js';
import { durationArgMs } from '../duration-arg.js';
import { redisTargetOf } from '../redis-target-of.js';

/** `2026-12-06 19:47Z`: minutes are enough to tell batches apart and to plan a prune. */
function formatTime(ms: number | undefined): string {
  return ms === undefined ? '-' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function formatBatchTable(batches: readonly BatchListing[]): string {
  const header = ['BATCH', 'IMAGES', 'STORED', 'FAILED', 'PENDING', 'PRIORITY', 'ENDED', 'EXPIRES'];
  const rows = batches.map((b) => [
    b.batchId,
    String(b.images),
    String(b.counts.stored),
    // Everything that ended without an image the user can use, as `status` counts them.
    String(b.counts.failed + b.counts.rejected + b.counts.skipped + b.counts.cancelled),
    String(b.pending),
    b.priority,
    formatTime(b.endedAt),
    formatTime(b.expiresAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

const listCommand = defineCommand({
  meta: {
    name: 'list',
    description:
      'The batches Redis holds, oldest first: images, stored, failed (failed, rejected, skipped or cancelled), pending, priority (what rows added now get), when each ended and when its data expires (a retention after the end, redis.batchRetentionDays, default 30).',
  },
  args: { json: { type: 'boolean', description: 'Print JSON only: an array of batches (times as epoch ms, null while running)', default: false } },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    try {
      // A `run` on the embedded simulator keeps its batches under a prefix of its own.
      const batches: Array<BatchListing & { readonly prefix: string }> = [];
      for (const prefix of batchPrefixesToSearch(config)) {
        for (const batch of (await listBatches(redis, createKeySpace(prefix))).batches) batches.push({ ...batch, prefix });
      }
      if (args.json) {
        const rows = batches.map((b) => ({ ...b, createdAt: b.createdAt ?? null, endedAt: b.endedAt ?? null, expiresAt: b.expiresAt ?? null }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write(batches.length === 0 ? 'no batches in Redis\n' : `${formatBatchTable(batches)}\n`);
    } finally {
      await redis.quit();
    }
  },
});

const pruneCommand = defineCommand({
  meta: {
    name: 'prune',
    description:
      "Remove ended batches from Redis now: those past the retention (redis.batchRetentionDays, default 30), or with --older-than those that ended longer ago. Their counts, outcomes and kept failed jobs go; images and records in the store stay. Batches still running are never touched.",
  },
  args: {
    'older-than': { type: 'string', description: 'Remove batches that ended longer ago than this: 7d, 12h, 30m, 90s, or 0 for every ended batch (default: the retention)' },
    json: { type: 'boolean', description: 'Print JSON only: {pruned, jobsRemoved, expired}', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const olderThanMs = args['older-than'] === undefined ? config.batchRetentionSeconds * 1000 : durationArgMs('older-than', args['older-than']);
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    const cutoffMs = Date.now() - olderThanMs;
    const result = { pruned: [] as string[], jobsRemoved: 0, expired: [] as string[] };
    try {
      for (const prefix of batchPrefixesToSearch(config)) {
        const keys = createKeySpace(prefix);
        const queue = createImageQueue(redis, keys, createSilentLogger());
        try {
          const pruned = await pruneBatches({ redis, keys, queue }, cutoffMs);
          result.pruned.push(...pruned.pruned);
          result.jobsRemoved += pruned.jobsRemoved;
          result.expired.push(...pruned.expired);
        } finally {
          await queue.close();
        }
      }
      if (args.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      for (const batchId of result.pruned) process.stdout.write(`removed batch ${batchId}\n`);
      process.stdout.write(
        `${result.pruned.length} ended batch(es) removed with ${result.jobsRemoved} kept job(s)` +
          `${result.expired.length > 0 ? `; ${result.expired.length} expired batch id(s) dropped from the index` : ''}\n`,
      );
    } finally {
      await redis.quit();
    }
  },
});

export const batchesCommand = defineCommand({
  meta: { name: 'batches', description: "The batches Redis holds: list them, prune ended ones. A batch's data expires by itself a retention after it ends." },
  subCommands: { list: listCommand, prune: pruneCommand },
});
