import type { ActualCost } from '../../cost/actual-call-cost.js';
import type { FilterDetails } from '../../errors/decision.js';
import type { ImageJobData } from '../../job/image-job.js';
import type { JobCounters } from '../../queue/job-state.js';
import type { ImageRecord } from '../../storage/image-record.js';
import type { JobContext } from './job-context.js';
import type { CallFacts } from './send-call.js';

/** What a kept image's record says of the call that made it. */
export interface MadeBy {
  readonly deployment: string;
  readonly counters: JobCounters;
  readonly call: CallFacts;
  readonly cost: ActualCost;
}

/** The inputs an edited image was made from, as its record keeps them: what was sent, by hash. */
function recordInputs(data: ImageJobData): Pick<ImageRecord, 'inputs'> {
  if (data.edit === undefined) return {};
  const { images, mask } = data.edit;
  return {
    inputs: {
      images: images.map(({ source, sha256 }) => ({ source, sha256 })),
      ...(mask !== undefined && { mask: { source: mask.source, sha256: mask.sha256 } }),
      ...(data.edit.inputFidelity !== undefined && { inputFidelity: data.edit.inputFidelity }),
    },
  };
}

/** The record of a stored image of this job, before what only the image knows (revised prompt). */
export function storedRecord(ctx: JobContext, variant: number, made: MadeBy): ImageRecord {
  const { data } = ctx;
  return {
    key: ctx.keyOf(variant),
    batchId: data.batchId,
    requestId: data.requestId,
    variant,
    status: 'stored',
    prompt: data.prompt,
    model: data.model,
    size: data.size,
    quality: data.quality,
    ...(data.style !== undefined && { style: data.style }),
    ...(data.outputFormat !== undefined && { outputFormat: data.outputFormat }),
    deployment: made.deployment,
    latencyMs: made.call.latencyMs,
    attempts: made.counters.calls - made.counters.freeCalls,
    ...recordInputs(data),
    ...(data.metadata !== undefined && { metadata: data.metadata }),
    ...(data.fingerprint !== undefined && { fingerprint: data.fingerprint }),
    createdAt: new Date().toISOString(),
    costUsd: made.cost.perImageUsd,
    costSource: made.cost.source,
    ...(made.call.serviceRequestId !== undefined && { serviceRequestId: made.call.serviceRequestId }),
  };
}

/** The record of an image a content filter refused: no bytes, the verdict instead. */
export function filteredRecord(ctx: JobContext, variant: number, made: MadeBy, filter: FilterDetails): ImageRecord {
  return {
    ...storedRecord(ctx, variant, made),
    status: 'filtered',
    filter: { stage: filter.stage, categories: [...filter.categories], code: filter.code, message: filter.message, ...(filter.revisedPrompt !== undefined && { revisedPrompt: filter.revisedPrompt }) },
    ...(filter.revisedPrompt !== undefined && { revisedPrompt: filter.revisedPrompt }),
  };
}
