import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { ConfigError } from '../../errors/imgbatch-error.js';
import { createLogger } from '../../log/logger.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';
import { openResultStore } from '../../storage/open-result-store.js';
import { openConfiguredInputReader } from '../../inputs/open-configured-input-reader.js';
import { callTimeoutOf } from '../../worker/call-timeout.js';
import { createWebhookService } from '../../webhooks/webhook-service.js';
import { hostname } from 'node:os';
import { createImageWorker } from '../../worker/image-worker.js';
import { createScheduleWorker } from '../../worker/schedule-worker.js';
import { workerConcurrency } from '../../worker/worker-concurrency.js';
import { workerOverrides } from '../worker-overrides.js';

/**
 * Time after SIGTERM/SIGINT for work other than calls to end (storing the last images, closing
 * queues), on top of the longest call timeout: a call cut off by the worker's own exit is paid
 * and then made again by another worker.
 */
const SHUTDOWN_MARGIN_MS = 30_000;

export const workerCommand = defineCommand({
  meta: { name: 'worker', description: 'Work image jobs from Redis until SIGINT/SIGTERM. Run as many as you like, on any machine: they share one limiter.' },
  args: {
    concurrency: { type: 'string', description: 'Calls in flight at once, or auto (default auto: summed quota × 60 s calls, at least 32)' },
    'images-per-call': { type: 'string', description: 'Images per call for models that take n > 1 (default 1)' },
  },
  async run({ args }) {
    const config = loadConfig({ overrides: { worker: workerOverrides(args) } });
    if (config.deployments.length === 0) {
      throw new ConfigError(
        'no deployments configured: set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT_NAME (plus AZURE_OPENAI_API_KEY, or nothing for Entra ID), ' +
          'or IMGBATCH_CONFIG=deployments.yaml. To try it locally, run `imgbatch simulate` and use the settings it prints.',
      );
    }
    const logger = createLogger({ level: config.logLevel });
    const redisTarget = redisTargetOf(config);
    const connection = createRedisClient(redisTarget, 'worker');
    const store = await openResultStore(config.store, logger);
    // Input images of edits: blob URLs with the storage credential, URLs under the config's fetch rules.
    const inputReader = await openConfiguredInputReader(config, store);
    const worker = createImageWorker({
      connection,
      prefix: config.redisPrefix,
      deployments: config.deployments,
      store,
      settings: config.worker,
      limiter: config.limiter,
      prices: config.prices,
      models: config.models,
      inputReader,
      fetch: config.fetch,
      batchRetentionSeconds: config.batchRetentionSeconds,
      logger,
    });
    // Runs of `imgbatch schedules sync` schedulers become batches here, beside the image jobs.
    const schedules = createScheduleWorker({
      connection,
      redis: redisTarget,
      prefix: config.redisPrefix,
      imagesPerCall: config.worker.imagesPerCall,
      models: config.models,
      editInputs: { store, reader: inputReader },
      logger,
    });
    // Batches' webhook events: handed from the outbox to the delivery queue and delivered, by every worker.
    const webhooks = createWebhookService({ connection, prefix: config.redisPrefix, settings: config.webhooks, consumerName: `${hostname()}:${process.pid}`, logger });
    const shutdownGraceMs = Math.max(...config.deployments.map((d) => callTimeoutOf(d, config.models, config.worker).ms)) + SHUTDOWN_MARGIN_MS;
    logger.info(
      { deployments: config.deployments.map((d) => ({ name: d.name, model: d.model, ratePerMinute: d.ratePerMinute })), concurrency: workerConcurrency(config.worker.concurrency, config.deployments, config.models), store: store.description },
      'worker started',
    );

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping: no new jobs; waiting for calls in flight');
        const forced = setTimeout(() => {
          logger.warn('calls still in flight after the grace period; their jobs go back to the queue');
          resolve();
        }, shutdownGraceMs);
        forced.unref();
        Promise.all([worker.close(), schedules.close(), webhooks.close()])
          .catch((error: unknown) => {
            logger.error({ err: error }, 'error while closing the worker');
          })
          .finally(() => {
            clearTimeout(forced);
            resolve();
          });
      };
      process.once('SIGTERM', () => {
        stop('SIGTERM');
      });
      process.once('SIGINT', () => {
        stop('SIGINT');
      });
    });
    await store.close();
    await connection.quit().catch(() => undefined);
    logger.info('worker stopped');
  },
});
