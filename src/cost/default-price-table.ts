import type { InputImageTokenRule, ModelPrices, PriceTable, QualitySizeGrid } from './price-table.js';

/**
 * Image output tokens per image of the gpt-image-1 series. Square figures and 1024x1536 high
 * (6240) are OpenAI's (image generation guide, "Cost and latency":
 * https://developers.openai.com/api/docs/guides/image-generation; an Azure SDK test recording
 * of an n=2 1024x1536 high call, api-version 2025-04-01-preview, reports 12480 = 2 × 6240). The other
 * non-square figures are derived proportionally: 6240 / 4160 = 1.5 × the square at the same
 * quality (low 408, medium 1584). Portrait and landscape have the same pixel count, so the same tokens.
 */
const GPT_IMAGE_OUTPUT_TOKENS: QualitySizeGrid = {
  low: { '1024x1024': 272, '1024x1536': 408, '1536x1024': 408 },
  medium: { '1024x1024': 1056, '1024x1536': 1584, '1536x1024': 1584 },
  high: { '1024x1024': 4160, '1024x1536': 6240, '1536x1024': 6240 },
};

/**
 * gpt-image-1-mini's image output tokens: what OpenAI's per-image list prices imply at its $8 per
 * 1M image output tokens (low $0.005 / $0.006, medium $0.011 / $0.015, high $0.036 / $0.052 for
 * 1024x1024 / non-square; developers.openai.com/api/docs/models/gpt-image-1-mini). OpenAI
 * publishes no token counts for mini, and the gpt-image-1 counts at $8 per 1M come to less than
 * half the per-image prices; these keep the expected cost, the simulator's `usage` and the list
 * prices in one agreement. The actual cost of a real call is its reported `usage`.
 */
const GPT_IMAGE_1_MINI_OUTPUT_TOKENS: QualitySizeGrid = {
  low: { '1024x1024': 625, '1024x1536': 750, '1536x1024': 750 },
  medium: { '1024x1024': 1375, '1024x1536': 1875, '1536x1024': 1875 },
  high: { '1024x1024': 4500, '1024x1536': 6500, '1536x1024': 6500 },
};

/**
 * gpt-image-2's image output tokens. 1024x1024: 196 / 1,756 / 7,024 for low / medium / high,
 * the same for every call (third-party benchmark on Azure, GitHub david-xinyuwei/david-share
 * "MAI-Image-2-vs-GPT-Image-Benchmark", 2026-09-07; they match OpenAI's per-image prices at
 * $30 per 1M: 196 × $30/1M = $0.0059). 1536x1024 and 1024x1536: OpenAI's per-image prices
 * ($0.005 / $0.041 / $0.165, image generation guide, 2026-07-27) ÷ $30 per 1M. `auto` quality is
 * expected at high's count (the docs disagree on which tier auto picks). Other sizes: see
 * expectedOutputTokens.
 */
const GPT_IMAGE_2_OUTPUT_TOKENS: QualitySizeGrid = {
  low: { '1024x1024': 196, '1536x1024': 167, '1024x1536': 167 },
  medium: { '1024x1024': 1756, '1536x1024': 1367, '1024x1536': 1367 },
  high: { '1024x1024': 7024, '1536x1024': 5500, '1024x1536': 5500 },
  auto: { '1024x1024': 7024, '1536x1024': 5500, '1024x1536': 5500 },
};

/**
 * gpt-image-2.5-flare and -sunburst at 1024x1024: low 196, medium 439, high 1,756, xhigh
 * 3,122, max 7,024 (same benchmark, Azure, 2026-09-17/18; third-party facts only). With `auto`
 * the service answered 196–781 tokens there: expected at high's 1,756.
 */
const GPT_IMAGE_25_OUTPUT_TOKENS: QualitySizeGrid = {
  low: { '1024x1024': 196 },
  medium: { '1024x1024': 439 },
  high: { '1024x1024': 1756 },
  xhigh: { '1024x1024': 3122 },
  max: { '1024x1024': 7024 },
  auto: { '1024x1024': 1756 },
};

/**
 * Token prices of the gpt-image-2 family, USD per 1M tokens: text input 5, image input 8, image
 * output 30 (OpenAI's pricing page as copied by third parties, 2026-07 … 2026-09; the same for
 * 2.5 per docs.apiyi.com, 2026-09-09). Azure publishes no price for them; a third party's Azure
 * invoice (Sweden Central, GlobalStandard, 2026-09) billed $30 per 1M output image tokens for
 * gpt-image-2, 2.5-flare and 2.5-sunburst, as OpenAI lists.
 */
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

/**
 * gpt-image-2 reads every input image at high fidelity and takes no `input_fidelity`: "the
 * model processes every image input at high fidelity automatically" (OpenAI's image generation
 * guide, developers.openai.com/api/docs/guides/image-generation, 2026-07-27); the same tile rule
 * is assumed. `usage` decides the actual cost.
 */
const GPT_IMAGE_2_INPUT_TOKENS: InputImageTokenRule = { ...GPT_IMAGE_INPUT_TOKENS, defaultFidelity: 'high' };

function gptImage2Prices(outputTokensPerImage: QualitySizeGrid, perImageUsd?: QualitySizeGrid): ModelPrices {
  return {
    ...(perImageUsd !== undefined && { perImageUsd }),
    textInputUsdPerMillionTokens: 5,
    imageInputUsdPerMillionTokens: 8,
    imageOutputUsdPerMillionTokens: 30,
    outputTokensPerImage,
    inputImageTokens: GPT_IMAGE_2_INPUT_TOKENS,
  };
}

function tokenBilled(
  textInputUsdPerMillionTokens: number,
  imageInputUsdPerMillionTokens: number,
  imageOutputUsdPerMillionTokens: number,
  outputTokensPerImage: QualitySizeGrid = GPT_IMAGE_OUTPUT_TOKENS,
  perImageUsd?: QualitySizeGrid,
): ModelPrices {
  return {
    ...(perImageUsd !== undefined && { perImageUsd }),
    textInputUsdPerMillionTokens,
    imageInputUsdPerMillionTokens,
    imageOutputUsdPerMillionTokens,
    outputTokensPerImage,
    inputImageTokens: GPT_IMAGE_INPUT_TOKENS,
  };
}

/**
 * The prices imgbatch assumes unless the config file's `prices:` section overrides them.
 * Prices change often; check them against your Azure price sheet (Azure may differ from
 * OpenAI's list prices, and by region) and override what differs.
 *
 * - dall-e-3: per image (Azure/OpenAI list prices). Retired on Azure on 2026-03-04; kept for old batches.
 * - gpt-image-1-mini: per image, OpenAI list; its output tokens are the ones those prices imply
 *   at $8 per 1M (GPT_IMAGE_1_MINI_OUTPUT_TOKENS), for sizes and overrides without a price. The
 *   actual cost uses the `usage` the service reports.
 * - gpt-image-1, gpt-image-1.5: tokens only, at OpenAI list prices (USD per 1M tokens, text
 *   input / image input / image output): gpt-image-1 5 / 10 / 40, gpt-image-1-mini 2 / 2.50 / 8
 *   (developers.openai.com/api/docs/models/gpt-image-1-mini), gpt-image-1.5 5 / 8 / 32. Image
 *   input tokens are what an edit's input images bill (GPT_IMAGE_INPUT_TOKENS).
 * - gpt-image-2: per image at OpenAI's list prices for its three 1K sizes (image generation
 *   guide, 2026-07-27): low $0.006 / $0.005 / $0.005 (1024x1024 / 1024x1536 / 1536x1024),
 *   medium $0.053 / $0.041 / $0.041, high $0.211 / $0.165 / $0.165; tokens for other sizes and
 *   qualities (see GPT_IMAGE_2_OUTPUT_TOKENS, expectedOutputTokens).
 * - gpt-image-2.5-flare, -sunburst: tokens (third-party figures, see above).
 * docs/models.md lists every price with its source.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = Object.freeze({
  takenOn: '2026-12-06',
  source:
    'OpenAI list prices as of 2026-12-06 (https://developers.openai.com/api/docs/pricing#image-generation): per image where published, else USD per 1M tokens; gpt-image-2 and 2.5 token rates as billed on Azure per a third-party invoice of 2026-09; Azure prices differ by region and deployment type (https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/)',
  models: Object.freeze({
    'dall-e-3': {
      perImageUsd: {
        standard: { '1024x1024': 0.04, '1792x1024': 0.08, '1024x1792': 0.08 },
        hd: { '1024x1024': 0.08, '1792x1024': 0.12, '1024x1792': 0.12 },
      },
    },
    'gpt-image-1': tokenBilled(5, 10, 40),
    'gpt-image-1-mini': tokenBilled(2, 2.5, 8, GPT_IMAGE_1_MINI_OUTPUT_TOKENS, {
      low: { '1024x1024': 0.005, '1024x1536': 0.006, '1536x1024': 0.006 },
      medium: { '1024x1024': 0.011, '1024x1536': 0.015, '1536x1024': 0.015 },
      high: { '1024x1024': 0.036, '1024x1536': 0.052, '1536x1024': 0.052 },
    }),
    'gpt-image-1.5': tokenBilled(5, 8, 32),
    'gpt-image-2': gptImage2Prices(GPT_IMAGE_2_OUTPUT_TOKENS, {
      low: { '1024x1024': 0.006, '1024x1536': 0.005, '1536x1024': 0.005 },
      medium: { '1024x1024': 0.053, '1024x1536': 0.041, '1536x1024': 0.041 },
      high: { '1024x1024': 0.211, '1024x1536': 0.165, '1536x1024': 0.165 },
    }),
    'gpt-image-2.5-flare': gptImage2Prices(GPT_IMAGE_25_OUTPUT_TOKENS),
    'gpt-image-2.5-sunburst': gptImage2Prices(GPT_IMAGE_25_OUTPUT_TOKENS),
  }),
});
