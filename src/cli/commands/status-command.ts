import { defineCommand } from 'citty';
import { createBatchRegistry } from '../../batch/batch-registry.js';
import { createClientLedger } from '../../batch/client-ledger.js';
import { countOutcomeReasons } from '../../batch/count-outcome-reasons.js';
import { readImageProblems } from '../../batch/read-image-problems.js';
import { loadConfig } from '../../config/load-config.js';
import { formatUsd } from '../../cost/format-usd.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';
import { formatDeploymentTable } from '../format-deployment-status.js';
import { readDeploymentStatuses } from '../../limiter/read-deployment-statuses.js';
import { findBatch } from '../open-batch.js';
import { createStoreBreaker } from '../../storage/store-breaker.js';
import { formatStoreStatus, storeStatus } from '../format-store-status.js';
import { formatClientSpend } from '../format-client-spend.js';
import { formatWebhookDeliveries } from '../format-webhook-deliveries.js';
import { createWebhookDeliveryLog } from '../../webhooks/webhook-delivery-state.js';

/** Images not made that the text output lists one per line. */
const SHOWN_PROBLEMS = 20;

export const statusCommand = defineCommand({
  meta: {
    name: 'status',
    description:
      'The store (ok, or paused with the reason while it cannot be written) and each configured deployment: configured and effective rate, calls and 429s in the last minute, cooldown or pause with its reason; the spend of each API client (today UTC and in all); with a batch id, also its counts by outcome and by reason code, its cost so far against its budget, its client and its webhook deliveries.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id (optional)', required: false },
    json: { type: 'boolean', description: 'Print JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    try {
      const deployments = await readDeploymentStatuses(redis, config);
      // A batch `run` made on the embedded simulator lives under a prefix of its own: findBatch looks there too.
      const found = args.batch === undefined ? undefined : await findBatch(redis, config, args.batch);
      const keys = createKeySpace(found?.prefix ?? config.redisPrefix);
      const registry = createBatchRegistry(redis, keys);
      const batch = args.batch === undefined ? undefined : (found?.summary ?? (await registry.summary(args.batch)));
      // Every message only for --json (its documented shape); the text shows the first SHOWN_PROBLEMS.
      const errors = args.batch === undefined || !args.json ? {} : await registry.errors(args.batch);
      const reasonCounts = args.batch === undefined ? {} : await countOutcomeReasons(redis, keys, args.batch);
      const breaker = createStoreBreaker(redis, createKeySpace(found?.prefix ?? config.redisPrefix));
      const store = storeStatus(await breaker.state(), await breaker.spooledCount());
      const webhooks = args.batch === undefined ? [] : await createWebhookDeliveryLog(redis, keys).read(args.batch);
      const clients = await createClientLedger(redis, createKeySpace(config.redisPrefix)).spends();
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ store, deployments, clients, ...(batch !== undefined && { batch: { ...batch, reasonCounts, errors, webhooks } }) })}\n`);
        return;
      }
      if (batch !== undefined) {
        const { stored, filtered, failed, rejected, cancelled, skipped } = batch.counts;
        const budget = batch.maxCostUsd === undefined ? 'no budget' : `budget ${formatUsd(batch.maxCostUsd)}`;
        const inFlight = batch.inFlightCostUsd > 0 ? ` + ${formatUsd(batch.inFlightCostUsd)} in flight` : '';
        process.stdout.write(
          `batch ${batch.batchId}: ${batch.images} images: ${stored} stored, ${filtered} filtered, ${failed} failed, ${rejected} rejected, ${cancelled} cancelled, ${skipped} skipped, ${batch.pending} pending; ${batch.calls} API calls (${batch.rateLimitedCalls} answered 429); priority ${batch.priority}\n` +
            `  cost so far ${formatUsd(batch.costUsd)}${inFlight} (${budget})${batch.client === undefined ? '' : `; made by API client ${batch.client}`}\n`,
        );
        const byReason = Object.entries(reasonCounts).sort(([a], [b]) => a.localeCompare(b));
        if (byReason.length > 0) process.stdout.write(`  by reason: ${byReason.map(([reason, count]) => `${count} ${reason}`).join(', ')}\n`);
        // A screenful: the manifest lists every image with its reason.
        const problems = await readImageProblems(redis, keys, batch.batchId, SHOWN_PROBLEMS);
        for (const image of problems.images) process.stdout.write(`  ${image.imageKey}: ${image.reason === undefined ? '' : `[${image.reason}] `}${image.message}\n`);
        if (problems.total > problems.images.length) {
          process.stdout.write(`  ... and ${problems.total - problems.images.length} more: imgbatch results ${batch.batchId} lists every image with its reason\n`);
        }
        process.stdout.write(formatWebhookDeliveries(webhooks));
        process.stdout.write('\n');
      }
      process.stdout.write(`${formatStoreStatus(store, Date.now())}\n`);
      process.stdout.write(
        deployments.length === 0
          ? 'no deployments configured (AZURE_OPENAI_ENDPOINT or IMGBATCH_CONFIG)\n'
          : `${formatDeploymentTable(deployments)}\n`,
      );
      if (clients.length > 0) process.stdout.write(`\n${formatClientSpend(clients)}`);
    } finally {
      await redis.quit();
    }
  },
});
