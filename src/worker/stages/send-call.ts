import type { EditCallInputs } from '../../azure/edit-images.js';
import { readImagesResponse, type ImagesOutcome } from '../../azure/read-images-response.js';
import type { DeploymentConfig } from '../../config/deployment-config.js';
import { classifyError } from '../../errors/classify-error.js';
import type { Decision } from '../../errors/decision.js';
import { ImagesCallError } from '../../errors/images-call-error.js';
import type { Logger } from '../../log/logger.js';
import type { CallImages } from '../processor-deps.js';
import type { JobContext } from './job-context.js';
import type { CallResult } from '../../limiter/slot-limiter.js';
import type { CallSlots, SpendBook } from './processor-ports.js';

/** How the call went, as far as the service said. */
export interface CallFacts {
  readonly latencyMs: number;
  readonly serviceRequestId?: string | undefined;
}

/** A 200 answer with images, read. */
export type ImagesRead = Extract<ImagesOutcome, { kind: 'images' }>;

export type CallAnswer =
  /** HTTP 200 with images (or items the output filter refused) to keep. */
  | { readonly kind: 'answered'; readonly read: ImagesRead; readonly call: CallFacts }
  /** Anything else: an error thrown, or a 200 whose body says the call did not work. */
  | { readonly kind: 'refused'; readonly decision: Decision; readonly call: CallFacts };

export interface SendDeps {
  readonly callImages: CallImages;
  readonly limiter: Pick<CallSlots, 'recordCall'>;
  readonly batches: Pick<SpendBook, 'recordRateLimited'>;
  readonly logger: Logger;
}

/**
 * Writes a call that came back (not 429) in its deployment's call log. Statistics, and a rate
 * cut won back: a Redis error here is logged, never allowed to lose the call's answer.
 */
export async function logCall(deps: Pick<SendDeps, 'limiter' | 'logger'>, jobId: string, deployment: string, result: CallResult): Promise<void> {
  await deps.limiter.recordCall(deployment, result).catch((error: unknown) => {
    deps.logger.warn({ err: error, jobId, what: 'call log' }, 'call statistics not written');
  });
}

/**
 * The call stage: one images call for the job's pending variants, its answer read and
 * classified (classifyError and readImagesResponse are the only places that look inside).
 * The call log of the limiter and the batch's 429 count are statistics: a Redis error there
 * is logged, never allowed to lose the call's answer. A call answered with images is logged
 * by finish-answered.ts, which writes it with the job's end when it can (one round trip less).
 */
export async function sendCall(
  deps: SendDeps,
  ctx: JobContext,
  target: DeploymentConfig,
  pending: readonly number[],
  options: { readonly callNumber: number; readonly editInputs: EditCallInputs | undefined },
): Promise<CallAnswer> {
  const { jobId, data } = ctx;
  let result;
  try {
    result = await deps.callImages(target, { ...data, variants: [...pending] }, { clientRequestId: ctx.keyOf(pending[0] ?? 0), callNumber: options.callNumber, editInputs: options.editInputs });
  } catch (error) {
    const decision = classifyError(error);
    const call = error instanceof ImagesCallError ? { latencyMs: error.latencyMs, serviceRequestId: error.serviceRequestId } : { latencyMs: 0 };
    deps.logger.debug({ jobId, deployment: target.name, outcome: decision.kind, latencyMs: call.latencyMs }, 'images call');
    if (decision.kind === 'rate_limited') {
      await deps.batches.recordRateLimited(data.batchId).catch((error: unknown) => {
        deps.logger.warn({ err: error, jobId, what: '429 count' }, 'call statistics not written');
      });
    } else {
      await logCall(deps, jobId, target.name, decision.kind === 'filtered' ? 'ok' : 'error');
    }
    return { kind: 'refused', decision, call };
  }
  deps.logger.debug({ jobId, deployment: target.name, outcome: 'ok', latencyMs: result.latencyMs }, 'images call');
  const call = { latencyMs: result.latencyMs, serviceRequestId: result.serviceRequestId };
  const read = readImagesResponse(result.body);
  if (read.kind === 'images') return { kind: 'answered', read, call };
  await logCall(deps, jobId, target.name, 'ok');
  return { kind: 'refused', decision: read.decision, call };
}
