import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { createSlotLimiter } from '../../limiter/slot-limiter.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';

const resumeCommand = defineCommand({
  meta: { name: 'resume', description: 'Let workers call a paused deployment again (after fixing its key, endpoint or name).' },
  args: { name: { type: 'positional', description: 'Deployment name', required: true } },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    try {
      const limiter = createSlotLimiter(redis, createKeySpace(config.redisPrefix), config.limiter);
      const before = await limiter.state(args.name);
      await limiter.resume(args.name);
      process.stdout.write(
        before.pausedReason === undefined ? `deployment ${args.name} was not paused\n` : `deployment ${args.name} resumed (was paused: ${before.pausedReason})\n`,
      );
    } finally {
      await redis.quit();
    }
  },
});

export const deploymentsCommand = defineCommand({
  meta: { name: 'deployments', description: 'Manage deployments shared by all workers.' },
  subCommands: { resume: resumeCommand },
});
