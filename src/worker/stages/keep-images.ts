import type { FilterDetails } from '../../errors/decision.js';
import type { Logger } from '../../log/logger.js';
import type { ImageRecord } from '../../storage/image-record.js';
import { detectImageType } from '../image-type.js';
import { filteredRecord, storedRecord, type MadeBy } from './image-records.js';
import type { JobContext } from './job-context.js';
import type { ImageKeeper } from './processor-ports.js';
import type { ImagesRead } from './send-call.js';

export interface KeepDeps {
  readonly store: Pick<ImageKeeper, 'putImage' | 'putRecord'>;
  readonly downloadImage: (url: string) => Promise<Uint8Array>;
  readonly logger: Logger;
}

/** What the keep stage wrote: each variant kept, and those it could not keep with why. */
export interface Kept {
  readonly kept: ReadonlyArray<{ readonly variant: number; readonly status: 'stored' | 'filtered' }>;
  readonly notKept?: { readonly variants: readonly number[]; readonly message: string };
}

/**
 * The keep stage, first after a call: the paid images (and the output filter's refusals) go
 * into the store before any Redis bookkeeping, so a Redis error after the call cannot lose
 * them, and the next run of the job finds them there instead of calling again.
 */
export async function keepImages(deps: KeepDeps, ctx: JobContext, pending: readonly number[], read: ImagesRead, made: MadeBy): Promise<Kept> {
  const kept: Array<{ variant: number; status: 'stored' | 'filtered' }> = [];
  try {
    for (const image of read.images) {
      const variant = pending[image.index];
      if (variant === undefined) continue;
      const bytes = image.b64Json !== undefined ? new Uint8Array(Buffer.from(image.b64Json, 'base64')) : await deps.downloadImage(image.url ?? '');
      const type = detectImageType(bytes, ctx.data.outputFormat);
      const record: ImageRecord = {
        ...storedRecord(ctx, variant, made),
        ...(image.revisedPrompt !== undefined && { revisedPrompt: image.revisedPrompt }),
        ...(read.usage !== undefined && { usage: { ...read.usage } }),
      };
      await deps.store.putImage(record.key, { bytes, contentType: type.contentType, extension: type.extension }, record);
      kept.push({ variant, status: 'stored' });
    }
    for (const item of read.filtered) {
      const variant = pending[item.index];
      if (variant === undefined) continue;
      await deps.store.putRecord(ctx.keyOf(variant), filteredRecord(ctx, variant, made, item.filter));
      kept.push({ variant, status: 'filtered' });
    }
  } catch (error) {
    return { kept, notKept: notKept(deps, ctx, pending, kept, error) };
  }
  return { kept };
}

/** The keep stage for a call the content filter refused as a whole: a record per image, no bytes. */
export async function keepFiltered(deps: KeepDeps, ctx: JobContext, variants: readonly number[], filter: FilterDetails, made: MadeBy): Promise<Kept> {
  const kept: Array<{ variant: number; status: 'filtered' }> = [];
  try {
    for (const variant of variants) {
      await deps.store.putRecord(ctx.keyOf(variant), filteredRecord(ctx, variant, made, filter));
      kept.push({ variant, status: 'filtered' });
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kept, notKept: { variants: variants.filter((v) => !kept.some((k) => k.variant === v)), message: `refused by the content filter, and its record not kept: ${message}` } };
  }
  return { kept };
}

function notKept(deps: KeepDeps, ctx: JobContext, pending: readonly number[], kept: Kept['kept'], error: unknown): NonNullable<Kept['notKept']> {
  const message = error instanceof Error ? error.message : String(error);
  const variants = pending.filter((v) => !kept.some((k) => k.variant === v));
  deps.logger.error({ jobId: ctx.jobId, images: variants.map((v) => ctx.keyOf(v)), error: message }, 'generated (and paid for) images could not be kept');
  return { variants, message: `generated but not kept: ${message}` };
}
