import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { createSlotLimiter } from '../../limiter/slot-limiter.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { batchPrefixesToSearch } from '../batch-prefix.js';
import { formatDeploymentTable } from '../format-deployment-status.js';
import { readDeploymentStatuses } from '../../limiter/read-deployment-statuses.js';
import { redisTargetOf } from '../redis-target-of.js';

const listCommand = defineCommand({
  meta: { name: 'list', description: 'Each configured deployment: model, priority, configured and effective rate, calls and 429s in the last minute, cooldown or pause with its reason. What `imgbatch deployments` shows.' },
  args: { json: { type: 'boolean', description: 'Print one JSON object: {"deployments": [...]}', default: false } },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    try {
      const deployments = await readDeploymentStatuses(redis, config);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ deployments })}\n`);
        return;
      }
      process.stdout.write(deployments.length === 0 ? 'no deployments configured (AZURE_OPENAI_ENDPOINT or IMGBATCH_CONFIG)\n' : `${formatDeploymentTable(deployments)}\n`);
    } finally {
      await redis.quit();
    }
  },
});

const resumeCommand = defineCommand({
  meta: { name: 'resume', description: 'Let workers call a paused deployment again (after fixing its key, endpoint or name).' },
  args: {
    name: { type: 'positional', description: 'Deployment name', required: true },
    json: { type: 'boolean', description: 'Print one JSON object: {"deployment", "wasPaused", "pausedReason"}', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    try {
      // Without Azure settings, `imgbatch run` pauses the embedded simulator's deployments under a prefix of its own: resume there too.
      let pausedReason: string | undefined;
      for (const prefix of batchPrefixesToSearch(config)) {
        const limiter = createSlotLimiter(redis, createKeySpace(prefix), config.limiter);
        pausedReason ??= (await limiter.state(args.name)).pausedReason;
        await limiter.resume(args.name);
      }
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ deployment: args.name, wasPaused: pausedReason !== undefined, pausedReason: pausedReason ?? null })}\n`);
        return;
      }
      process.stdout.write(pausedReason === undefined ? `deployment ${args.name} was not paused\n` : `deployment ${args.name} resumed (was paused: ${pausedReason})\n`);
    } finally {
      await redis.quit();
    }
  },
});

export const deploymentsCommand = defineCommand({
  meta: { name: 'deployments', description: 'The deployments shared by all workers: list them (the default), resume a paused one.' },
  default: 'list',
  subCommands: { list: listCommand, resume: resumeCommand },
});
