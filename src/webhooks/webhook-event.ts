import type { ImageOutcome } from '../batch/image-outcome.js';
import type { BatchSummary } from '../batch/batch-registry.js';

export const WEBHOOK_EVENT_TYPES = ['batch.ended', 'image.finished'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * What a receiver gets, as the JSON body of a POST. `id` is the same on every retry of one
 * event: receivers deduplicate on it (deliveries are at-least-once).
 */
export type WebhookEvent =
  | {
      readonly id: string;
      readonly type: 'batch.ended';
      /** When the event happened (ISO 8601), not when this delivery was sent. */
      readonly createdAt: string;
      readonly batchId: string;
      /** The batch when it ended: counts by outcome, cost, calls. A batch resumed later ends again, with a new event. */
      readonly data: BatchSummary;
    }
  | {
      readonly id: string;
      readonly type: 'image.finished';
      readonly createdAt: string;
      readonly batchId: string;
      readonly data: { readonly imageKey: string; readonly outcome: ImageOutcome };
    };

/**
 * The event id of an outbox entry: the stream id (`<ms>-<seq>`, unique and never reused in one
 * stream) behind a prefix, so it is also a valid BullMQ job id (no `:`, not all digits).
 */
export function webhookEventId(streamId: string): string {
  return `evt_${streamId}`;
}

/** When an outbox entry was written, from its stream id (`<epoch ms>-<seq>`). */
export function streamIdTimeMs(streamId: string): number {
  return Number(streamId.split('-')[0]);
}
