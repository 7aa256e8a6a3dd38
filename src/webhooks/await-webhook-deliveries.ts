import type { WebhookDelivery, WebhookDeliveryLog, WebhookDeliveryStatus } from './webhook-delivery-state.js';

/** Statuses after which nothing more happens to an event. */
const SETTLED: ReadonlySet<WebhookDeliveryStatus> = new Set(['delivered', 'failed', 'refused']);

export interface AwaitedDeliveries {
  /** Every event of the batch with its delivery state, oldest first, as last read. */
  readonly deliveries: readonly WebhookDelivery[];
  /** Whether the batch's `batch.ended` event and every other one were settled (delivered, failed or refused) in time. */
  readonly isSettled: boolean;
}

export interface AwaitDeliveriesOptions {
  /** How long to wait at most, ms. Required. */
  readonly timeoutMs: number;
  /** How often the delivery log is read, ms. Default 100. */
  readonly pollMs?: number;
  /** Asked before each wait: true stops waiting (a signal). Default never. */
  readonly isCancelled?: () => boolean;
}

/**
 * Waits until an ended batch's events are settled: its `batch.ended` event is in the delivery
 * log and no event is pending or retrying. Bounded, because a receiver that keeps failing is
 * retried for a day (the delivery queue keeps them for any worker to finish).
 */
export async function awaitWebhookDeliveries(log: Pick<WebhookDeliveryLog, 'read'>, batchId: string, options: AwaitDeliveriesOptions): Promise<AwaitedDeliveries> {
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const deliveries = await log.read(batchId);
    const isSettled = deliveries.some((d) => d.type === 'batch.ended') && deliveries.every((d) => SETTLED.has(d.status));
    if (isSettled || Date.now() >= deadline || options.isCancelled?.() === true) return { deliveries, isSettled };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
