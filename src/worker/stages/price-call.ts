import type { EditCallInputs } from '../../azure/edit-images.js';
import { expectedCallCost, type ExpectedCost, type PricedCall } from '../../cost/expected-call-cost.js';
import type { PriceTable } from '../../cost/price-table.js';
import type { ImageJobData } from '../../job/image-job.js';

/** What a call of this job is priced as, for any number of its images. */
export type PricedCallOf = (images: number) => PricedCall;

export function pricedCallOf(data: ImageJobData, editInputs: EditCallInputs | undefined): PricedCallOf {
  const inputImages = editInputs?.images.map(({ widthPx, heightPx }) => ({ widthPx, heightPx }));
  return (images) => ({
    model: data.model,
    size: data.size,
    quality: data.quality,
    images,
    promptChars: data.prompt.length,
    ...(inputImages !== undefined && { inputImages }),
    ...(data.edit?.inputFidelity !== undefined && { inputFidelity: data.edit.inputFidelity }),
  });
}

/** The expected cost of the call for the job's pending images: what the budget reserves. */
export function expectedCostOf(prices: PriceTable, priced: PricedCallOf, images: number): ExpectedCost {
  return expectedCallCost(prices, priced(images));
}
