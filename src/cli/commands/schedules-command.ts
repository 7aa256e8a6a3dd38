import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { createSilentLogger } from '../../log/logger.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';
import { listSchedules } from '../../schedule/list-schedules.js';
import { readScheduleDir } from '../../schedule/read-schedule-dir.js';
import { createScheduleQueue, type ScheduleQueue } from '../../schedule/schedule-queue.js';
import { syncSchedules } from '../../schedule/sync-schedules.js';
import { formatScheduleTable } from '../format-schedule-table.js';

/** Opens the schedules queue on the configured Redis and prefix, runs `use`, closes everything. */
async function withScheduleQueue<T>(use: (queue: ScheduleQueue) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const redis = createRedisClient(redisTargetOf(config), 'producer');
  const queue = createScheduleQueue(redis, createKeySpace(config.redisPrefix), createSilentLogger());
  try {
    return await use(queue);
  } finally {
    await queue.close();
    await redis.quit().catch(() => undefined);
  }
}

const syncCommand = defineCommand({
  meta: {
    name: 'sync',
    description:
      'Make the job schedulers match the *.schedule.json files of a folder: create or update one per file, remove those whose file is gone. Every file is validated first; a bad one changes nothing.',
  },
  args: {
    dir: { type: 'string', description: 'Folder of *.schedule.json files (default jobs)', default: 'jobs' },
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const schedules = await readScheduleDir(args.dir, { models: config.models, callbackPolicy: config.webhooks.policy });
    await withScheduleQueue(async (queue) => {
      const result = await syncSchedules(queue, schedules);
      if (args.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      for (const schedule of schedules) process.stdout.write(`upserted ${schedule.name}: ${schedule.cron} (${schedule.tz}) -> batch ${schedule.batch}\n`);
      for (const name of result.removed) process.stdout.write(`removed ${name} (no file defines it)\n`);
      process.stdout.write(`${result.upserted.length} schedule(s) in force, ${result.removed.length} removed\n`);
    });
  },
});

const listCommand = defineCommand({
  meta: { name: 'list', description: 'The schedules in force (as last synced): name, cron pattern, time zone, next run in that zone, batch-name template.' },
  args: { json: { type: 'boolean', description: 'Print JSON (next run as epoch ms and ISO)', default: false } },
  async run({ args }) {
    await withScheduleQueue(async (queue) => {
      const schedules = await listSchedules(queue);
      if (args.json) {
        const rows = schedules.map((s) => ({ ...s, nextRunAt: s.nextRunAtMs === undefined ? null : new Date(s.nextRunAtMs).toISOString() }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write(schedules.length === 0 ? 'no schedules (imgbatch schedules sync --dir jobs)\n' : `${formatScheduleTable(schedules)}\n`);
    });
  },
});

export const schedulesCommand = defineCommand({
  meta: { name: 'schedules', description: 'Recurring batches from jobs/*.schedule.json: sync them into BullMQ job schedulers, list them. `imgbatch worker` runs them.' },
  subCommands: { sync: syncCommand, list: listCommand },
});
