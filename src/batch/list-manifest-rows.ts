import { imageKey, parseImageJobId, type ImageJobData } from '../job/image-job.js';
import type { ImageRecord } from '../storage/image-record.js';
import type { ResultStore } from '../storage/result-store.js';
import type { BatchRegistry } from './batch-registry.js';
import type { ImageOutcome, OutcomeReason } from './image-outcome.js';

/**
 * What became of one image, for people: `stored` and `filtered` come from the store's record;
 * `failed`, `rejected` (and any other outcome the registry keeps) from the batch registry with
 * the last error; `missing` is an image the registry counted as done whose record the store no
 * longer has (`imgbatch resume` makes it again); `pending` has no outcome yet.
 */
export type ManifestStatus = ImageOutcome | 'missing' | 'pending';

export interface ManifestRow {
  /** The request id (the CSV `id`, or `row-<n>`). */
  readonly id: string;
  readonly variant: number;
  readonly status: ManifestStatus;
  /** The image file's path or blob URL; only for stored images. */
  readonly location: string | undefined;
  readonly prompt: string | undefined;
  readonly revisedPrompt: string | undefined;
  readonly deployment: string | undefined;
  readonly latencyMs: number | undefined;
  readonly attempts: number | undefined;
  /** Why the image is not stored: the filter's verdict, the last error, or `budget: …` for a skipped image. */
  readonly error: string | undefined;
  /**
   * The reason code of a failed, rejected or skipped image (see OUTCOME_REASONS): what code
   * acts on, where `error` is for people. Optional so rows built elsewhere still fit.
   */
  readonly reason?: OutcomeReason | undefined;
  /**
   * What the image cost, USD: the record's cost, or for an image without a record (paid for but
   * not kept) the cost the batch registry settled; undefined when nothing is known (not made yet,
   * or a record written before imgbatch kept costs). Optional so rows built elsewhere (a
   * gallery's subset) still fit.
   */
  readonly costUsd?: number | undefined;
  /** The row's extra CSV columns. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ManifestDeps {
  readonly store: Pick<ResultStore, 'listRecords'>;
  /** `imageCosts` gives images without a record their settled cost; default none (their cost stays empty). */
  readonly batches: Pick<BatchRegistry, 'jobIds' | 'outcomes' | 'errors' | 'reasons'> & Partial<Pick<BatchRegistry, 'imageCosts'>>;
  /**
   * A job's data while Redis still holds the job, to give images without a record their prompt
   * and extra columns; default none (those rows then carry only id, variant, status and error).
   */
  readonly jobData?: (jobId: string) => Promise<ImageJobData | undefined>;
}

function filterVerdict(filter: NonNullable<ImageRecord['filter']>): string {
  const categories = filter.categories.length > 0 ? ` (${filter.categories.join(', ')})` : '';
  return `content filter at the ${filter.stage} stage${categories}: ${filter.message}`;
}

function rowFromRecord(record: ImageRecord): ManifestRow {
  return {
    id: record.requestId,
    variant: record.variant,
    status: record.status,
    location: record.location,
    prompt: record.prompt,
    revisedPrompt: record.revisedPrompt ?? record.filter?.revisedPrompt,
    deployment: record.deployment,
    latencyMs: record.latencyMs,
    attempts: record.attempts,
    error: record.filter === undefined ? undefined : filterVerdict(record.filter),
    costUsd: record.costUsd,
    metadata: record.metadata ?? {},
  };
}

interface Unrecorded {
  readonly id: string;
  readonly variant: number;
  jobId: string | undefined;
  outcome: ImageOutcome | undefined;
}

/** `<batch>/<request>-<variant>` -> request id and variant (request ids may hold `-`). */
function splitKey(key: string): { id: string; variant: number } | undefined {
  const name = key.slice(key.indexOf('/') + 1);
  const dash = name.lastIndexOf('-');
  const variant = Number(name.slice(dash + 1));
  if (dash <= 0 || !Number.isInteger(variant)) return undefined;
  return { id: name.slice(0, dash), variant };
}

/**
 * One row per image of a batch: first every record in the store (the truth about what is
 * done), then every image the batch registry knows without a record, with its outcome and
 * last error. Records stream; only the keys of the batch's images are held (to find the rest).
 * Order: store order (unspecified), then the rest by key.
 */
export async function* listManifestRows(deps: ManifestDeps, batchId: string): AsyncGenerator<ManifestRow> {
  const recorded = new Set<string>();
  for await (const record of deps.store.listRecords(batchId)) {
    recorded.add(record.key);
    yield rowFromRecord(record);
  }

  const rest = new Map<string, Unrecorded>();
  for await (const ids of deps.batches.jobIds(batchId)) {
    for (const jobId of ids) {
      const job = parseImageJobId(jobId);
      if (job === undefined || job.batchId !== batchId) continue;
      for (const variant of job.variants) {
        const key = imageKey(batchId, job.requestId, variant);
        if (!recorded.has(key)) rest.set(key, { id: job.requestId, variant, jobId, outcome: undefined });
      }
    }
  }
  for await (const page of deps.batches.outcomes(batchId)) {
    for (const [key, outcome] of page) {
      if (recorded.has(key)) continue;
      const known = rest.get(key);
      if (known !== undefined) {
        known.outcome = outcome;
        continue;
      }
      const parts = splitKey(key);
      if (parts !== undefined) rest.set(key, { ...parts, jobId: undefined, outcome });
    }
  }
  if (rest.size === 0) return;

  const [errors, reasons] = await Promise.all([deps.batches.errors(batchId), deps.batches.reasons(batchId)]);
  const costs = (await deps.batches.imageCosts?.(batchId, [...rest.keys()])) ?? new Map<string, number>();
  const jobs = new Map<string, ImageJobData | undefined>();
  for (const key of [...rest.keys()].sort()) {
    const image = rest.get(key);
    if (image === undefined) continue;
    const isDoneButGone = image.outcome === 'stored' || image.outcome === 'filtered';
    const status: ManifestStatus = image.outcome === undefined ? 'pending' : isDoneButGone ? 'missing' : image.outcome;
    // Pending images may be most of a batch that has not run yet: no lookup per job for them.
    let data: ImageJobData | undefined;
    if (status !== 'pending' && image.jobId !== undefined && deps.jobData !== undefined) {
      if (!jobs.has(image.jobId)) jobs.set(image.jobId, await deps.jobData(image.jobId));
      data = jobs.get(image.jobId);
    }
    yield {
      id: image.id,
      variant: image.variant,
      status,
      location: undefined,
      prompt: data?.prompt,
      revisedPrompt: undefined,
      deployment: undefined,
      latencyMs: undefined,
      attempts: undefined,
      error: errors[key] ?? (isDoneButGone ? `counted as ${image.outcome ?? ''} but not in the store; imgbatch resume ${batchId} makes it again` : undefined),
      reason: isDoneButGone ? undefined : reasons[key],
      costUsd: costs.get(key),
      metadata: data?.metadata ?? {},
    };
  }
}
