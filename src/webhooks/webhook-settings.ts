import type { CallbackPolicy } from './check-callback-url.js';

/** How the workers deliver webhook events. */
export interface WebhookSettings {
  /** The HMAC-SHA256 key receivers verify signatures with. Deliveries are refused without one. */
  readonly secret: string | undefined;
  readonly policy: CallbackPolicy;
  /** Time for a receiver to answer one delivery, ms. Default 10000. */
  readonly timeoutMs: number;
}
