import { readImagesResponse } from '../azure/read-images-response.js';
import { classifyError } from '../errors/classify-error.js';
import type { Decision, FilterStage } from '../errors/decision.js';

/**
 * How one images call ended, as the `outcome` label of `imgbatch_calls_total`: one value per
 * kind of decision the worker takes, so a dashboard shows what the worker did, not HTTP codes.
 */
export const CALL_OUTCOMES = ['ok', 'filtered', 'rate_limited', 'transient_error', 'terminal_error', 'deployment_error'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export interface CallVerdict {
  readonly outcome: CallOutcome;
  /** Images the content filter refused in this call, and at which stage; undefined when none. */
  readonly filtered: { readonly stage: FilterStage; readonly images: number } | undefined;
}

function fromDecision(decision: Decision, imagesAsked: number): CallVerdict {
  switch (decision.kind) {
    case 'filtered':
      return { outcome: 'filtered', filtered: { stage: decision.filter.stage, images: imagesAsked } };
    case 'rate_limited':
      return { outcome: 'rate_limited', filtered: undefined };
    case 'transient':
      return { outcome: 'transient_error', filtered: undefined };
    case 'rejected':
    case 'too_large':
      return { outcome: 'terminal_error', filtered: undefined };
    case 'pause_deployment':
      return { outcome: 'deployment_error', filtered: undefined };
  }
}

/**
 * The outcome of a call from what it returned (a 200 body) or threw, read by the same two
 * functions the processor decides with (`readImagesResponse`, `classifyError`), so the metrics
 * cannot disagree with what the worker did. A 200 with at least one image is `ok`, even when
 * the output filter took others (those count as filtered images); a 200 with none is
 * `filtered` if the filter took them, else a `transient_error` (the processor retries it).
 */
export function callOutcome(call: { readonly body: unknown } | { readonly error: unknown }, imagesAsked: number): CallVerdict {
  if ('error' in call) return fromDecision(classifyError(call.error), imagesAsked);
  const read = readImagesResponse(call.body);
  if (read.kind === 'decision') return fromDecision(read.decision, imagesAsked);
  const filtered = read.filtered.length > 0 ? { stage: 'output' as const, images: read.filtered.length } : undefined;
  if (read.images.length > 0) return { outcome: 'ok', filtered };
  return { outcome: filtered === undefined ? 'transient_error' : 'filtered', filtered };
}
