import type { InputImageTokenRule, ModelPrices, PriceTable, QualitySizeGrid } from './price-table.js';

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

/**
 * Input images of edits, gpt-image family: OpenAI's images and vision guide, "Calculating
 * costs", GPT Image 1 (developers.openai.com/api/docs/guides/images-vision): scaled to fit
 * 2048x2048, then the shorter side to 512 px; "the base cost is 65 image tokens, and each tile
 * costs 129 image tokens"; at high input fidelity "if your image is square, we add 4160 extra
 * input image tokens. If it is closer to portrait or landscape, we add 6240". Users measured
 * 194 image tokens for a 1024x1024 input (65 + 129; community.openai.com/t/1281361). The guide
 * states it for GPT Image 1; imgbatch assumes it for -mini and 1.5 too (`usage` decides the
 * actual cost).
 */
const GPT_IMAGE_INPUT_TOKENS: InputImageTokenRule = {
  fitPx: 2048,
  shortSidePx: 512,
  tilePx: 512,
  baseTokens: 65,
  tileTokens: 129,
  highFidelityTokens: { square: 4160, other: 6240 },
  // Azure: input_fidelity "defaults to low".
  defaultFidelity: 'low',
};

function tokenBilled(
  textInputUsdPerMillionTokens: number,
  imageInputUsdPerMillionTokens: number,
  imageOutputUsdPerMillionTokens: number,
  perImageUsd?: QualitySizeGrid,
): ModelPrices {
  return {
    ...(perImageUsd !== undefined && { perImageUsd }),
    textInputUsdPerMillionTokens,
    imageInputUsdPerMillionTokens,
    imageOutputUsdPerMillionTokens,
    outputTokensPerImage: GPT_IMAGE_OUTPUT_TOKENS,
    inputImageTokens: GPT_IMAGE_INPUT_TOKENS,
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
 *   input / image input / image output): gpt-image-1 5 / 10 / 40, gpt-image-1-mini 2 / 2.50 / 8
 *   (developers.openai.com/api/docs/models/gpt-image-1-mini), gpt-image-1.5 5 / 8 / 32. Image
 *   input tokens are what an edit's input images bill (GPT_IMAGE_INPUT_TOKENS).
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
    'gpt-image-1': tokenBilled(5, 10, 40),
    'gpt-image-1-mini': tokenBilled(2, 2.5, 8, {
      low: { '1024x1024': 0.005, '1024x1536': 0.006, '1536x1024': 0.006 },
      medium: { '1024x1024': 0.011, '1024x1536': 0.015, '1536x1024': 0.015 },
      high: { '1024x1024': 0.036, '1024x1536': 0.052, '1536x1024': 0.052 },
    }),
    'gpt-image-1.5': tokenBilled(5, 8, 32),
  }),
});
