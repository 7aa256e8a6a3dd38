import type { FilterStage } from '../errors/decision.js';
import { expectedCallCost, type PricedCall } from './expected-call-cost.js';
import type { PriceTable } from './price-table.js';
import { splitCallCost, type CallCost } from './split-call-cost.js';

/**
 * Where an image's recorded cost comes from: the `usage` the service reported, the price
 * table (no usage in the answer), or nothing billed (the prompt filter refused the call).
 */
export const COST_SOURCES = ['usage', 'table', 'unbilled'] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** How a call ended, as far as billing goes. */
export type BilledCall =
  /** HTTP 200 with images (some may be refused by the output filter), and `usage` if the service sent it. */
  | { readonly kind: 'answered'; readonly usage?: Readonly<Record<string, unknown>> | undefined }
  /** The content filter refused the whole call. */
  | { readonly kind: 'filtered'; readonly stage: FilterStage };

export interface ActualCost extends CallCost {
  readonly source: CostSource;
}

function tokenCount(usage: Readonly<Record<string, unknown>>, field: string): number | undefined {
  const value = usage[field];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * What a call that came back cost. From `usage` when the service reported it and the table
 * has the model's token prices (output tokens × image output price + input tokens × input
 * price: text tokens at the text price, image tokens of an edit at the image input price); else the
 * expected cost from the table.
 *
 * Filtered calls, a decision (the service does not say): a prompt refused by the prompt
 * filter is never handed to the image model, so nothing is generated and it costs 0; an
 * image refused by the output filter was generated, so it is billed like any image (the
 * simulator's `usage` counts it too).
 */
export function actualCallCost(table: PriceTable, call: PricedCall, result: BilledCall): ActualCost {
  if (result.kind === 'filtered' && result.stage === 'prompt') return { usd: 0, perImageUsd: 0, source: 'unbilled' };
  const prices = Object.hasOwn(table.models, call.model) ? table.models[call.model] : undefined;
  const usage = result.kind === 'answered' ? result.usage : undefined;
  const outputTokens = usage === undefined ? undefined : tokenCount(usage, 'output_tokens');
  const outputPrice = prices?.imageOutputUsdPerMillionTokens;
  if (usage !== undefined && outputTokens !== undefined && outputPrice !== undefined) {
    const inputTokens = tokenCount(usage, 'input_tokens') ?? 0;
    // An edit's input images bill at the image input price where `usage` splits them out.
    const details = usage['input_tokens_details'];
    const imageTokens = typeof details === 'object' && details !== null ? (tokenCount(details as Record<string, unknown>, 'image_tokens') ?? 0) : 0;
    const textPrice = prices?.textInputUsdPerMillionTokens ?? 0;
    const imagePrice = prices?.imageInputUsdPerMillionTokens ?? textPrice;
    const inputUsd = Math.max(0, inputTokens - imageTokens) * textPrice + Math.min(imageTokens, inputTokens) * imagePrice;
    const usd = (outputTokens * outputPrice + inputUsd) / 1_000_000;
    // `usage` covers the whole call: each image of it carries an equal share.
    return { ...splitCallCost(usd, call.images), source: 'usage' };
  }
  const expected = expectedCallCost(table, call);
  return { usd: expected.usd, perImageUsd: expected.perImageUsd, source: 'table' };
}
