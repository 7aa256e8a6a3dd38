import type { WebhookDelivery } from '../webhooks/webhook-delivery-state.js';

/** `status`'s lines for a batch's webhook events: one per event, with its delivery state. */
export function formatWebhookDeliveries(deliveries: readonly WebhookDelivery[]): string {
  return deliveries
    .map((delivery) => {
      const last = [delivery.lastHttpStatus === undefined ? undefined : `HTTP ${delivery.lastHttpStatus}`, delivery.lastError].filter((part) => part !== undefined).join(', ');
      return `  webhook ${delivery.type} ${delivery.eventId}: ${delivery.status} after ${delivery.attempts} attempt(s)${last === '' ? '' : ` (last: ${last})`}\n`;
    })
    .join('');
}
