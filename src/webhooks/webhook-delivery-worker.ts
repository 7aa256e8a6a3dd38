import { UnrecoverableError, Worker } from 'bullmq';
import type { BatchRegistry } from '../batch/batch-registry.js';
import type { Logger } from '../log/logger.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { checkCallbackUrl } from './check-callback-url.js';
import type { WebhookDeliveryLog } from './webhook-delivery-state.js';
import { webhookJobSchema, WEBHOOK_QUEUE_NAME, type WebhookJob } from './webhook-queue.js';
import { webhookRetryDelayMs } from './webhook-retry-schedule.js';
import type { WebhookSettings } from './webhook-settings.js';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';

export interface WebhookDeliveryWorkerOptions {
  /** A connection made with role `worker`; the caller owns it. */
  readonly connection: RedisClient;
  readonly keys: KeySpace;
  readonly registry: Pick<BatchRegistry, 'callbackOf'>;
  readonly deliveries: WebhookDeliveryLog;
  readonly settings: WebhookSettings;
  readonly logger: Logger;
  /** Deliveries in flight at once. Default 16. */
  readonly concurrency?: number;
  /** The wait before retry n (1 for the first), ms. Default: webhookRetryDelayMs, 10 s doubling for 24 h. */
  readonly retryDelayMs?: (retry: number) => number;
}

/** The receiver's answer, as much as a delivery needs: the status and a little of the body for the log. */
async function post(url: string, job: WebhookJob, secret: string, timeoutMs: number): Promise<{ status: number; excerpt: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'imgbatch-webhooks',
      'imgbatch-event-id': job.eventId,
      [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, job.body, Math.floor(Date.now() / 1000)),
    },
    body: job.body,
    // A redirect could lead off the allow-list: it is an answer, not a hop to follow.
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text().catch(() => '');
  return { status: response.status, excerpt: text.slice(0, 200) };
}

/**
 * Delivers webhook events: POSTs each event's body, signed, to its batch's callback URL. A 2xx
 * answer delivers it; anything else (another status, a time-out, a refused connection) is
 * tried again on the retry schedule for at least 24 hours. A URL no longer allowed is not tried.
 */
export function createWebhookDeliveryWorker(options: WebhookDeliveryWorkerOptions): Worker<WebhookJob> {
  const { settings, deliveries, logger } = options;
  const worker = new Worker<WebhookJob>(
    WEBHOOK_QUEUE_NAME,
    async (job) => {
      const data = webhookJobSchema.parse(job.data);
      const attempts = job.attemptsMade + 1;
      const record = (status: 'delivered' | 'retrying' | 'refused', detail: { lastHttpStatus?: number; lastError?: string } = {}): Promise<void> =>
        deliveries.write(data.batchId, { eventId: data.eventId, type: data.type, status, attempts, ...detail, updatedAt: Date.now() });
      const callback = await options.registry.callbackOf(data.batchId);
      const refusal =
        callback === undefined
          ? 'the batch no longer has a callback URL'
          : settings.secret === undefined
            ? 'no webhook signing secret is configured (IMGBATCH_WEBHOOK_SECRET)'
            : checkCallbackUrl(callback.url, settings.policy);
      if (refusal !== undefined || callback === undefined || settings.secret === undefined) {
        await record('refused', { lastError: refusal ?? 'refused' });
        throw new UnrecoverableError(refusal);
      }
      let answer: { status: number; excerpt: string };
      try {
        answer = await post(callback.url, data, settings.secret, settings.timeoutMs);
      } catch (error) {
        const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
        await record('retrying', { lastError: reason });
        throw new Error(`delivery to ${callback.url} failed: ${reason}`, { cause: error });
      }
      if (answer.status >= 200 && answer.status < 300) {
        await record('delivered', { lastHttpStatus: answer.status });
        return;
      }
      await record('retrying', { lastHttpStatus: answer.status, lastError: `HTTP ${answer.status} ${answer.excerpt}`.trim() });
      throw new Error(`delivery to ${callback.url} answered HTTP ${answer.status}`);
    },
    {
      connection: options.connection,
      prefix: options.keys.bullPrefix,
      concurrency: options.concurrency ?? 16,
      settings: { backoffStrategy: (attemptsMade: number) => (options.retryDelayMs ?? webhookRetryDelayMs)(Math.max(1, attemptsMade)) },
    },
  );
  worker.on('failed', (job, error) => {
    if (job === undefined || job.attemptsMade < (job.opts.attempts ?? 1) || error instanceof UnrecoverableError) return;
    // Out of attempts: the last state written said `retrying`; it is final now.
    const data = job.data;
    deliveries
      .write(data.batchId, { eventId: data.eventId, type: data.type, status: 'failed', attempts: job.attemptsMade, lastError: error.message, updatedAt: Date.now() })
      .catch((writeError: unknown) => {
        logger.error({ err: writeError, eventId: data.eventId }, 'could not record a failed webhook delivery');
      });
  });
  worker.on('error', (error) => {
    logger.error({ err: error }, 'webhook delivery worker error');
  });
  return worker;
}
