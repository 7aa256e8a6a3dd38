import type { Logger } from '../../log/logger.js';
import type { ImageRecord } from '../../storage/image-record.js';
import type { StoreGate } from '../../storage/store-guard.js';
import { keepAnswerImage, type KeepImageDeps } from './keep-answer-image.js';
import { filteredRecord, storedRecord, type MadeBy } from './image-records.js';
import type { JobContext } from './job-context.js';
import type { ImageKeeper } from './processor-ports.js';
import type { ImagesRead } from './send-call.js';

export type KeepDeps = KeepImageDeps & {
  readonly store: Pick<ImageKeeper, 'putImage' | 'putRecord'>;
  readonly storeGate: Pick<StoreGate, 'keepImage' | 'keepRecord'>;
  readonly logger: Logger;
};

/** What the keep stage did with each variant of the answer. */
export interface Kept {
  readonly kept: ReadonlyArray<{ readonly variant: number; readonly status: 'stored' | 'filtered' }>;
  /** Paid and in the spool: the job comes back and finds them in the store once they land. */
  readonly spooled: readonly number[];
  /** Left at a URL not downloaded yet, and when the soonest download is tried again. */
  readonly waiting?: { readonly variants: readonly number[]; readonly untilMs: number; readonly reason: string };
  /** Left at a URL that cannot be downloaded: paid, not kept, each with why. */
  readonly lost: ReadonlyArray<{ readonly variant: number; readonly message: string }>;
  readonly notKept?: { readonly variants: readonly number[]; readonly message: string };
}

/**
 * The keep stage, first after a call: the paid images (and the output filter's refusals) go
 * into the store (or the spool) before any Redis bookkeeping, so a Redis error after the call
 * cannot lose them, and the next run of the job finds them there instead of calling again.
 */
export async function keepImages(deps: KeepDeps, ctx: JobContext, pending: readonly number[], read: ImagesRead, made: MadeBy): Promise<Kept> {
  const kept: Array<{ variant: number; status: 'stored' | 'filtered' }> = [];
  const spooled: number[] = [];
  const lost: Array<{ variant: number; message: string }> = [];
  let waiting: { variants: number[]; untilMs: number; reason: string } | undefined;
  try {
    for (const image of read.images) {
      const variant = pending[image.index];
      if (variant === undefined) continue;
      const record: ImageRecord = {
        ...storedRecord(ctx, variant, made),
        ...(image.revisedPrompt !== undefined && { revisedPrompt: image.revisedPrompt }),
        ...(read.usage !== undefined && { usage: { ...read.usage } }),
      };
      const where = await keepAnswerImage(deps, ctx, variant, image, record);
      if (where.kind === 'stored') kept.push({ variant, status: 'stored' });
      else if (where.kind === 'spooled') spooled.push(variant);
      else if (where.kind === 'failed') lost.push({ variant, message: where.message });
      else {
        waiting ??= { variants: [], untilMs: where.retryAtMs, reason: where.reason };
        waiting.variants.push(variant);
      }
    }
    for (const item of read.filtered) {
      const variant = pending[item.index];
      if (variant === undefined) continue;
      const where = await deps.storeGate.keepRecord(ctx.keyOf(variant), filteredRecord(ctx, variant, made, item.filter));
      if (where === 'spooled') spooled.push(variant);
      else kept.push({ variant, status: 'filtered' });
    }
  } catch (error) {
    const settled = new Set([...kept.map((k) => k.variant), ...spooled, ...lost.map((l) => l.variant)]);
    return { kept, spooled, lost, ...(waiting !== undefined && { waiting }), notKept: notKept(deps, ctx, pending.filter((v) => !settled.has(v)), error) };
  }
  return { kept, spooled, lost, ...(waiting !== undefined && { waiting }) };
}

function notKept(deps: Pick<KeepDeps, 'logger'>, ctx: JobContext, variants: readonly number[], error: unknown): NonNullable<Kept['notKept']> {
  const message = error instanceof Error ? error.message : String(error);
  deps.logger.error({ jobId: ctx.jobId, images: variants.map((v) => ctx.keyOf(v)), error: message }, 'generated (and paid for) images could not be kept');
  return { variants, message: `generated but not kept: ${message}` };
}
