import type { RedisClient } from '../queue/redis-connection.js';
import type { KeySpace } from '../queue/key-space.js';
import type { WebhookEventType } from './webhook-event.js';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'retrying', 'failed', 'refused'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Where one event's delivery stands, as `imgbatch status` and `GET /v1/batches/:id` show it. */
export interface WebhookDelivery {
  readonly eventId: string;
  readonly type: WebhookEventType;
  readonly status: WebhookDeliveryStatus;
  /** Attempts made so far. */
  readonly attempts: number;
  /** The receiver's last HTTP status, when it answered. */
  readonly lastHttpStatus?: number;
  /** Why the last attempt failed, when it did. */
  readonly lastError?: string;
  /** Epoch ms of the last change. */
  readonly updatedAt: number;
}

export interface WebhookDeliveryLog {
  write(batchId: string, delivery: WebhookDelivery): Promise<void>;
  /**
   * Records events as handed over for delivery, in one round trip. An event already recorded
   * keeps its state: an event handed over twice (a dispatcher that died before acknowledging
   * it) must not turn a delivered event back into a pending one.
   */
  writePending(events: ReadonlyArray<{ readonly batchId: string; readonly eventId: string; readonly type: WebhookEventType }>): Promise<void>;
  /** Every event of the batch with its delivery state, oldest first. */
  read(batchId: string): Promise<WebhookDelivery[]>;
  /** The ids, among these events, whose delivery is over (delivered, failed or refused), in one round trip. */
  finishedOf(events: ReadonlyArray<{ readonly batchId: string; readonly eventId: string }>): Promise<Set<string>>;
}

/** States after which no delivery job of the event is left (BullMQ removed it, or keeps it failed). */
const FINISHED_STATUSES: ReadonlySet<WebhookDeliveryStatus> = new Set(['delivered', 'failed', 'refused']);

export function createWebhookDeliveryLog(redis: RedisClient, keys: KeySpace): WebhookDeliveryLog {
  return {
    async write(batchId, delivery) {
      const key = keys.batchWebhooks(batchId);
      const replies = (await redis.pipeline().hset(key, delivery.eventId, JSON.stringify(delivery)).pttl(keys.batch(batchId)).exec()) ?? [];
      // `batch.ended` is delivered after the batch ended and its keys got their expiry: a log
      // written first then would never expire. It goes with the rest of the batch.
      const headerTtlMs = Number(replies[1]?.[1] ?? -1);
      if (headerTtlMs > 0) await redis.pexpire(key, headerTtlMs);
    },
    async writePending(events) {
      if (events.length === 0) return;
      const pipeline = redis.pipeline();
      const updatedAt = Date.now();
      for (const { batchId, eventId, type } of events) {
        const delivery: WebhookDelivery = { eventId, type, status: 'pending', attempts: 0, updatedAt };
        pipeline.hsetnx(keys.batchWebhooks(batchId), eventId, JSON.stringify(delivery));
      }
      const results = (await pipeline.exec()) ?? [];
      const error = results.map(([failure]) => failure).find((failure) => failure !== null);
      if (error) throw error;
    },
    async finishedOf(events) {
      if (events.length === 0) return new Set();
      const pipeline = redis.pipeline();
      for (const { batchId, eventId } of events) pipeline.hget(keys.batchWebhooks(batchId), eventId);
      const results = (await pipeline.exec()) ?? [];
      const finished = new Set<string>();
      events.forEach(({ eventId }, i) => {
        const [error, text] = results[i] ?? [null, null];
        if (error) throw error;
        if (typeof text === 'string' && FINISHED_STATUSES.has((JSON.parse(text) as WebhookDelivery).status)) finished.add(eventId);
      });
      return finished;
    },
    async read(batchId) {
      const all = await redis.hgetall(keys.batchWebhooks(batchId));
      return Object.values(all)
        .map((text) => JSON.parse(text) as WebhookDelivery)
        .sort((a, b) => a.eventId.localeCompare(b.eventId, 'en', { numeric: true }));
    },
  };
}
