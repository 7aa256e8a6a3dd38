import type { Decision } from './decision.js';

/**
 * A call sent that never got an answer: it timed out, or its connection was reset or dropped
 * after the request went out. The service may have finished and billed it ("a client-side
 * disconnect can still be billed"), so it is counted at its expected cost as possibly billed.
 * An HTTP answer (any status) is not this: the service said what it did.
 */
export function isUnansweredCall(decision: Decision): boolean {
  return decision.kind === 'transient' && decision.mayHaveBilled && decision.status === undefined;
}
