import type { FilterDetails } from '../../errors/decision.js';
import { filteredRecord, type MadeBy } from './image-records.js';
import type { JobContext } from './job-context.js';
import type { ImageKeeper } from './processor-ports.js';

/** What was kept of a call the content filter refused: a record per image, and those not kept with why. */
export interface FilteredKept {
  readonly kept: ReadonlyArray<{ readonly variant: number; readonly status: 'filtered' }>;
  readonly notKept?: { readonly variants: readonly number[]; readonly message: string };
}

/** The keep stage for a call the content filter refused as a whole: a record per image, no bytes. */
export async function keepFiltered(deps: { readonly store: Pick<ImageKeeper, 'putRecord'> }, ctx: JobContext, variants: readonly number[], filter: FilterDetails, made: MadeBy): Promise<FilteredKept> {
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

