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

/** Input tokens split into image and text where `usage.input_tokens_details` says so; else all text. */
function inputTokensOf(usage: Readonly<Record<string, unknown>>): { readonly imageTokens: number; readonly textTokens: number } {
  const details = usage['input_tokens_details'];
  const total = tokenCount(usage, 'input_tokens') ?? 0;
  if (typeof details !== 'object' || details === null) return { imageTokens: 0, textTokens: total };
  const imageTokens = tokenCount(details as Record<string, unknown>, 'image_tokens') ?? 0;
  const textTokens = tokenCount(details as Record<string, unknown>, 'text_tokens') ?? Math.max(0, total - imageTokens);
  return { imageTokens, textTokens };
}

/**
 * What a call that came back cost. From `usage` when the service reported it and the table
 * has the model's token prices: output tokens × image output price + input text tokens × text
 * input price + input image tokens (an edit's input images, `input_tokens_details.image_tokens`)
 * × image input price; else the expected cost from the table.
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
    const { imageTokens, textTokens } = inputTokensOf(usage);
    const textPrice = prices?.textInputUsdPerMillionTokens ?? 0;
    const usd = (outputTokens * outputPrice + textTokens * textPrice + imageTokens * (prices?.imageInputUsdPerMillionTokens ?? textPrice)) / 1_000_000;
    // `usage` covers the whole call: each image of it carries an equal share.
    return { ...splitCallCost(usd, call.images), source: 'usage' };
  }
  const expected = expectedCallCost(table, call);
  return { usd: expected.usd, perImageUsd: expected.perImageUsd, source: 'table' };
}
