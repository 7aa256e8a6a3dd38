import type { Decision } from './decision.js';

/**
 * Decision codes of a call that ran out of time after the request was sent: the SDK's own
 * timeout, and undici's header and body timeouts. The service may still have finished and
 * billed the image ("a client-side disconnect can still be billed"), so such a call is counted
 * against the budget and retried only `worker.timeoutRetries` times.
 */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['timeout', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function isCallTimeout(decision: Decision): boolean {
  return decision.kind === 'transient' && decision.mayHaveBilled && TIMEOUT_CODES.has(decision.code);
}
