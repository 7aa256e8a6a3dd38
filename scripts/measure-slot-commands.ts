/**
 * tsx scripts/measure-slot-commands.ts [--acquires N] — what one slot costs Redis, by the number
 * of deployments a job may go to. A private redis-server; for 4, 16 and 64 deployments of one
 * model (150 rpm each): register the group, CONFIG RESETSTAT, N acquires, INFO commandstats.
 * Two runs each: every slot waited for in the worker (maxSleepMs 1 h: the same path whatever the
 * size), and the default settings (maxSleepMs 2 s: most slots held as reservations, the way a
 * worker with a backlog takes them); then the default settings for jobs with a place in line
 * (acquireInLine: most wait in the group's waiting room, whose heads are checked against their
 * BullMQ job keys, made here). Prints a table, then one JSON object as the last line.
 * Quick (a second or two); it measures counts, not time.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/cli/redis-server-process.js';
import { DEFAULT_LIMITER_SETTINGS } from '../src/config/load-config.js';
import { createSlotLimiter } from '../src/limiter/slot-limiter.js';
import { IMAGE_QUEUE_NAME } from '../src/job/image-job.js';
import { createKeySpace } from '../src/queue/key-space.js';
import { readRedisUsage } from '../src/queue/read-redis-usage.js';

const { values } = parseArgs({ options: { acquires: { type: 'string', default: '500' } }, strict: true, allowPositionals: false });
const acquires = Number(values.acquires);
if (!Number.isInteger(acquires) || acquires < 1) throw new Error(`--acquires: ${values.acquires} is not allowed (a whole number from 1)`);

const SIZES = [4, 16, 64] as const;
const MODES = { 'all waited for': 3_600_000, 'default (reservations)': DEFAULT_LIMITER_SETTINGS.maxSleepMs, 'default, in line': DEFAULT_LIMITER_SETTINGS.maxSleepMs } as const;
const IN_LINE = 'default, in line';

interface Row {
  readonly mode: string;
  readonly deployments: number;
  readonly perAcquire: number;
  readonly top: string;
}

const server = await startRedisServer();
const redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
const rows: Row[] = [];
try {
  for (const [mode, maxSleepMs] of Object.entries(MODES)) {
    for (const size of SIZES) {
      const keys = createKeySpace(`measure-${rows.length}`);
      const limiter = createSlotLimiter(redis, keys, { ...DEFAULT_LIMITER_SETTINGS, maxSleepMs });
      const candidates = Array.from({ length: size }, (_, i) => ({ name: `d${i}`, ratePerMinute: 150 }));
      await limiter.prepare([candidates]);
      const isInLine = mode === IN_LINE;
      // The jobs' BullMQ keys, as a producer would have added them: a head of the line whose key is gone is dropped.
      if (isInLine) await Promise.all(Array.from({ length: acquires }, (_, i) => redis.hset(`${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:job-${i}`, 'name', 'generate')));
      await redis.config('RESETSTAT');
      for (let i = 0; i < acquires; i++) {
        if (isInLine) await limiter.acquireInLine(`job-${i}`, candidates, { priority: i % 2 === 0 ? 'normal' : 'bulk', batchId: `batch-${i % 3}` });
        else await limiter.acquire(`job-${i}`, candidates);
      }
      const usage = await readRedisUsage(redis);
      const top = Object.entries(usage.commands)
        .filter(([name]) => name !== 'info' && !name.startsWith('config'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, calls]) => `${name} ${(calls / acquires).toFixed(2)}`)
        .join(', ');
      rows.push({ mode, deployments: size, perAcquire: usage.totalCommands / acquires, top });
    }
  }
} finally {
  await redis.quit();
  await server.stop();
}

const perAcquire = (mode: string, size: number): number => rows.find((r) => r.mode === mode && r.deployments === size)?.perAcquire ?? Number.NaN;
process.stdout.write(`${acquires} acquires per row; commands Redis ran per acquire (those inside the script included)\n`);
for (const row of rows) process.stdout.write(`${row.mode.padEnd(24)} ${String(row.deployments).padStart(3)} deployments  ${row.perAcquire.toFixed(2).padStart(6)} per acquire  (${row.top})\n`);
const round = (value: number): number => Number(value.toFixed(3));
const waited = Object.keys(MODES)[0] ?? '';
const reserved = Object.keys(MODES)[1] ?? '';
process.stdout.write(
  `${JSON.stringify({
    cmds_per_acquire_4: round(perAcquire(waited, 4)),
    cmds_per_acquire_64: round(perAcquire(waited, 64)),
    growth_64_vs_4: round(perAcquire(waited, 64) / perAcquire(waited, 4)),
    reserved_cmds_per_acquire_4: round(perAcquire(reserved, 4)),
    reserved_cmds_per_acquire_64: round(perAcquire(reserved, 64)),
    reserved_growth_64_vs_4: round(perAcquire(reserved, 64) / perAcquire(reserved, 4)),
    in_line_cmds_per_acquire_4: round(perAcquire(IN_LINE, 4)),
    in_line_cmds_per_acquire_64: round(perAcquire(IN_LINE, 64)),
    in_line_growth_64_vs_4: round(perAcquire(IN_LINE, 64) / perAcquire(IN_LINE, 4)),
  })}\n`,
);
