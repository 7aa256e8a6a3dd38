import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { ConfigError } from '../../errors/imgbatch-error.js';
import { createLogger } from '../../log/logger.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';
import { createResultStore } from '../../storage/create-result-store.js';
import { createImageWorker } from '../../worker/image-worker.js';
import { createScheduleWorker } from '../../worker/schedule-worker.js';
import { workerConcurrency } from '../../worker/worker-concurrency.js';
import { workerOverrides } from '../worker-overrides.js';

/** How long in-flight calls get to finish after SIGTERM/SIGINT before the worker lets go. */
const SHUTDOWN_GRACE_MS = 150_000;

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
    const store = createResultStore(config.store, logger);
    const worker = createImageWorker({
      connection,
      prefix: config.redisPrefix,
      deployments: config.deployments,
      store,
      settings: config.worker,
      limiter: config.limiter,
      prices: config.prices,
      models: config.models,
      logger,
    });
    // Runs of `imgbatch schedules sync` schedulers become batches here, beside the image jobs.
    const schedules = createScheduleWorker({ connection, redis: redisTarget, prefix: config.redisPrefix, imagesPerCall: config.worker.imagesPerCall, models: config.models, logger });
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
        }, SHUTDOWN_GRACE_MS);
        forced.unref();
        Promise.all([worker.close(), schedules.close()])
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
