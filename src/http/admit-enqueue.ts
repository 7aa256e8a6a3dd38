import type { ClientLedger } from '../batch/client-ledger.js';
import { nextUtcMidnightMs } from '../batch/utc-day.js';
import { formatUsd } from '../cost/format-usd.js';
import { newBatchId } from '../queue/producer.js';
import { batchOutsidePrefix, hasScope, type ApiPrincipal } from './api-principal.js';

/** Why an enqueue is refused before anything of it is read: codes clients branch on. */
export type EnqueueRefusalCode = 'batch_outside_prefix' | 'batch_of_another_client' | 'daily_cap_reached';

export type EnqueueAdmission =
  /** `batchId`: the id to enqueue under (a new one in the client's prefix when the request named none); undefined: the producer picks one. */
  | { readonly kind: 'admitted'; readonly batchId: string | undefined }
  | {
      readonly kind: 'refused';
      readonly status: 403 | 429;
      readonly code: EnqueueRefusalCode;
      readonly message: string;
      /** For a cap: until the next UTC midnight, s. */
      readonly retryAfterSeconds?: number;
    };

/**
 * Whether the principal may enqueue into `requestedBatchId` now: the batch is in its prefix, it
 * has not reached its daily cap, and the batch is new or its own (the first enqueue makes a
 * batch a client's, and its spend is counted against that client). Claims a new batch for the
 * principal. Without a principal (auth off) everything is admitted and nothing recorded.
 */
export async function admitEnqueue(
  principal: ApiPrincipal | undefined,
  requestedBatchId: string | undefined,
  ledger: Pick<ClientLedger, 'claimBatch' | 'spendOf'>,
  nowMs = Date.now(),
): Promise<EnqueueAdmission> {
  if (principal === undefined) return { kind: 'admitted', batchId: requestedBatchId };
  const batchId = requestedBatchId ?? `${principal.batchPrefix ?? ''}${newBatchId(nowMs)}`;
  const outside = batchOutsidePrefix(principal, batchId);
  if (outside !== undefined) return { kind: 'refused', status: 403, code: 'batch_outside_prefix', message: outside };
  const cap = principal.dailyCapUsd;
  if (cap !== undefined) {
    const { todayUsd } = await ledger.spendOf(principal.name, nowMs);
    if (todayUsd >= cap) {
      return {
        kind: 'refused',
        status: 429,
        code: 'daily_cap_reached',
        message: `client ${principal.name} has spent ${formatUsd(todayUsd)} today (UTC), its daily cap is ${formatUsd(cap)}: no new batch work until 00:00 UTC`,
        retryAfterSeconds: Math.ceil((nextUtcMidnightMs(nowMs) - nowMs) / 1000),
      };
    }
  }
  const owner = await ledger.claimBatch(batchId, principal.name);
  if (owner !== principal.name && !hasScope(principal, 'admin')) {
    return { kind: 'refused', status: 403, code: 'batch_of_another_client', message: `batch ${batchId} was made by client ${owner}; enqueue into a batch of your own` };
  }
  return { kind: 'admitted', batchId };
}
