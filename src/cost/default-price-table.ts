import type { ModelPrices, PriceTable, QualitySizeGrid } from './price-table.js';

/**
 * Image output tokens per image of the gpt-image family. Square figures and 1024x1536 high
 * (6240) are OpenAI's (image generation guide, "Cost and latency":
 * https://developers.openai.com/api/docs/guides/image-generation; an Azure SDK test recording
 * of an n=2 1024x1536 high call reports 12480 = 2 × 6240). The other
 * non-square figures are derived proportionally: 6240 / 4160 = 1.5 × the square at the same
 * quality (low 408, medium 1584). Portrait and landscape have the same pixel count, so the same tokens.
 */
const GPT_IMAGE_OUTPUT_TOKENS: QualitySizeGrid = {
  low: { '1024x1024': 272, '1024x1536': 408, '1536x1024': 408 },
  medium: { '1024x1024': 1056, '1024x1536': 1584, '1536x1024': 1584 },
  high: { '1024x1024': 4160, '1024x1536': 6240, '1536x1024': 6240 },
};

function tokenBilled(textInputUsdPerMillionTokens: number, imageOutputUsdPerMillionTokens: number, perImageUsd?: QualitySizeGrid): ModelPrices {
  return {
    ...(perImageUsd !== undefined && { perImageUsd }),
    textInputUsdPerMillionTokens,
    imageOutputUsdPerMillionTokens,
    outputTokensPerImage: GPT_IMAGE_OUTPUT_TOKENS,
  };
}

/**
 * The prices imgbatch assumes unless the config file's `prices:` section overrides them.
 * Prices change often; check them against your Azure price sheet (Azure may differ from
 * OpenAI's list prices, and by region) and override what differs.
 *
 * - dall-e-3: per image (reference). Retired on Azure in 2026; kept for old batches.
 * - gpt-image-1-mini: per image, OpenAI list (reference). Its tokens at list price
 *   (272 × $8/1M = $0.0022 for low 1024²) come out below the per-image list price ($0.005);
 *   the expected cost uses the per-image price (the higher, so budgets err on the safe side),
 *   the actual cost uses the `usage` the service reports.
 * - gpt-image-1, gpt-image-1.5: tokens only, at OpenAI list prices (USD per 1M tokens, text
 *   input / image output): gpt-image-1 5 / 40, gpt-image-1-mini 2 / 8, gpt-image-1.5 5 / 32.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = Object.freeze({
  takenOn: '2026-11-21',
  source:
    'OpenAI list prices as of 2026-11-21 (https://developers.openai.com/api/docs/pricing#image-generation): per image for dall-e-3 and gpt-image-1-mini, USD per 1M tokens for the gpt-image models; Azure prices differ by region and deployment type (https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/)',
  models: Object.freeze({
    'dall-e-3': {
      perImageUsd: {
        standard: { '1024x1024': 0.04, '1792x1024': 0.08, '1024x1792': 0.08 },
        hd: { '1024x1024': 0.08, '1792x1024': 0.12, '1024x1792': 0.12 },
      },
    },
    'gpt-image-1': tokenBilled(5, 40),
    'gpt-image-1-mini': tokenBilled(2, 8, {
      low: { '1024x1024': 0.005, '1024x1536': 0.006, '1536x1024': 0.006 },
      medium: { '1024x1024': 0.011, '1024x1536': 0.015, '1536x1024': 0.015 },
      high: { '1024x1024': 0.036, '1024x1536': 0.052, '1536x1024': 0.052 },
    }),
    'gpt-image-1.5': tokenBilled(5, 32),
  }),
});
