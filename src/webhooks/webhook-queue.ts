import { Queue } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-event.js';
import { WEBHOOK_ATTEMPTS } from './webhook-retry-schedule.js';

export const WEBHOOK_QUEUE_NAME = 'webhooks';
export const WEBHOOK_JOB_NAME = 'deliver';

/** One event to deliver: its body is fixed when the event is taken from the outbox, so every retry sends the same bytes. */
export const webhookJobSchema = z.strictObject({
  eventId: z.string().min(1),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  batchId: z.string().min(1),
  /** The JSON body, as sent. */
  body: z.string(),
});
export type WebhookJob = z.infer<typeof webhookJobSchema>;

export type WebhookQueue = Queue<WebhookJob>;

/** Events out of attempts stay a week, for a look at their last error in the dashboard. */
const KEEP_FAILED_SECONDS = 7 * 24 * 3600;

export function createWebhookQueue(connection: RedisClient, keys: KeySpace, logger: Logger): WebhookQueue {
  const queue = new Queue<WebhookJob>(WEBHOOK_QUEUE_NAME, {
    connection,
    prefix: keys.bullPrefix,
    defaultJobOptions: {
      // BullMQ owns webhook retries: this schedule, and nothing else, decides when an event is tried again.
      attempts: WEBHOOK_ATTEMPTS,
      backoff: { type: 'webhook' },
      // A delivered event leaves Redis at once: its state is in the batch's delivery log (which
      // expires with the batch), and the dispatcher reads that log, not the finished job, to
      // hand an event over only once.
      removeOnComplete: true,
      removeOnFail: { age: KEEP_FAILED_SECONDS },
    },
  });
  queue.on('error', (error) => {
    logger.error({ err: error }, 'webhook queue error');
  });
  return queue;
}
