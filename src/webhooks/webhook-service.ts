import type { Worker } from 'bullmq';
import { createBatchRegistry } from '../batch/batch-registry.js';
import type { Logger } from '../log/logger.js';
import { createKeySpace } from '../queue/key-space.js';
import { duplicateRedisClient, type RedisClient } from '../queue/redis-connection.js';
import { createWebhookDeliveryLog } from './webhook-delivery-state.js';
import { createWebhookDeliveryWorker } from './webhook-delivery-worker.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhook-dispatcher.js';
import { createWebhookQueue, type WebhookJob, type WebhookQueue } from './webhook-queue.js';
import type { WebhookSettings } from './webhook-settings.js';

export interface WebhookServiceOptions {
  /** A connection made with role `worker`, shared with the delivery worker; the caller owns it. */
  readonly connection: RedisClient;
  /** Key prefix shared with producers; default `imgbatch`. */
  readonly prefix?: string;
  readonly settings: WebhookSettings;
  /** This process's name among the dispatchers (e.g. host:pid). */
  readonly consumerName: string;
  readonly logger: Logger;
  /** Passed to the dispatcher: how long an event held by a dead dispatcher waits for another, ms. Default 60000. */
  readonly claimIdleMs?: number;
  /** Passed to the delivery worker: the wait before retry n, ms. Default: 10 s doubling for 24 h. */
  readonly retryDelayMs?: (retry: number) => number;
}

export interface WebhookService {
  readonly queue: WebhookQueue;
  readonly worker: Worker<WebhookJob>;
  /** Stops taking events and deliveries, lets those in flight finish, closes its own connection. */
  close(): Promise<void>;
}

/**
 * The webhooks side of `imgbatch worker`: hands events from the outbox to the delivery queue
 * and delivers them. Any number of worker processes may run it; each event goes out once per
 * attempt, whichever process takes it.
 */
export function createWebhookService(options: WebhookServiceOptions): WebhookService {
  const { connection, logger } = options;
  const keys = createKeySpace(options.prefix ?? 'imgbatch');
  const registry = createBatchRegistry(connection, keys);
  const deliveries = createWebhookDeliveryLog(connection, keys);
  const queue = createWebhookQueue(connection, keys, logger);
  const dispatcher: WebhookDispatcher = createWebhookDispatcher({
    // The dispatcher blocks while it waits for events: on a shared connection that would hold every other command.
    connection: duplicateRedisClient(connection),
    keys,
    registry,
    queue,
    deliveries,
    consumerName: options.consumerName,
    logger,
    ...(options.claimIdleMs !== undefined && { claimIdleMs: options.claimIdleMs }),
  });
  const worker = createWebhookDeliveryWorker({
    connection,
    keys,
    registry,
    deliveries,
    settings: options.settings,
    logger,
    ...(options.retryDelayMs !== undefined && { retryDelayMs: options.retryDelayMs }),
  });
  return {
    queue,
    worker,
    async close() {
      await dispatcher.close();
      await worker.close();
      await queue.close();
    },
  };
}
