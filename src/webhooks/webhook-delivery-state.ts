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
  /** Every event of the batch with its delivery state, oldest first. */
  read(batchId: string): Promise<WebhookDelivery[]>;
}

export function createWebhookDeliveryLog(redis: RedisClient, keys: KeySpace): WebhookDeliveryLog {
  return {
    async write(batchId, delivery) {
      await redis.hset(keys.batchWebhooks(batchId), delivery.eventId, JSON.stringify(delivery));
    },
    async read(batchId) {
      const all = await redis.hgetall(keys.batchWebhooks(batchId));
      return Object.values(all)
        .map((text) => JSON.parse(text) as WebhookDelivery)
        .sort((a, b) => a.eventId.localeCompare(b.eventId, 'en', { numeric: true }));
    },
  };
}
