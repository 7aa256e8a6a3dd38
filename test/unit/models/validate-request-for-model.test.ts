import { describe, expect, it } from 'vitest';
import type { ImageRequest } from '../../../src/job/image-request.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { validateRequestForModel as validateWith } from '../../../src/models/validate-request-for-model.js';

function request(fields: Partial<ImageRequest> & Pick<ImageRequest, 'model'>): ImageRequest {
  return { prompt: 'A red ceramic mug on a white background', n: 1, ...fields };
}

function validateRequestForModel(input: ImageRequest): ReturnType<typeof validateWith> {
  return validateWith(input, BUILT_IN_CATALOGUE);
}

const models = BUILT_IN_CATALOGUE.models;
const GPT_IMAGE_1_MODELS = BUILT_IN_CATALOGUE.ids.filter((id) => id.startsWith('gpt-image-1'));
/** Each listed size, and for a rule a few that meet it. */
function sizesOf(model: (typeof models)[number]): readonly string[] {
  return model.sizes.kind === 'list' ? model.sizes.sizes : ['1024x1024', '1536x1024', '3840x2160', '2304x768', 'auto'];
}

describe('validateRequestForModel accepts what each model allows', () => {
  it.each(models.flatMap((model) => sizesOf(model).map((size) => [model.id, size] as const)))('%s with size %s', (model, size) => {
    expect(validateRequestForModel(request({ model, size }))).toEqual([]);
  });

  it.each(models.flatMap((model) => model.qualities.map((quality) => [model.id, quality] as const)))('%s with quality %s', (model, quality) => {
    expect(validateRequestForModel(request({ model, quality }))).toEqual([]);
  });

  it.each(models.flatMap((model) => model.styles.map((style) => [model.id, style] as const)))('%s with style %s', (model, style) => {
    expect(validateRequestForModel(request({ model, style }))).toEqual([]);
  });

  it.each(models.flatMap((model) => model.outputFormats.map((outputFormat) => [model.id, outputFormat] as const)))(
    '%s with output_format %s',
    (model, outputFormat) => {
      expect(validateRequestForModel(request({ model, outputFormat, outputCompression: 80 }))).toEqual([]);
    },
  );

  it.each(models.flatMap((model) => model.backgrounds.map((background) => [model.id, background] as const)))(
    '%s with background %s (png)',
    (model, background) => {
      expect(validateRequestForModel(request({ model, background }))).toEqual([]);
    },
  );

  it.each(models.flatMap((model) => model.responseFormats.map((responseFormat) => [model.id, responseFormat] as const)))(
    '%s with response_format %s',
    (model, responseFormat) => {
      expect(validateRequestForModel(request({ model, responseFormat }))).toEqual([]);
    },
  );

  it.each(models.map((model) => [model.id, model.maxPromptChars] as const))('%s with a prompt of exactly its limit (%i)', (model, limit) => {
    expect(validateRequestForModel(request({ model, prompt: 'x'.repeat(limit) }))).toEqual([]);
  });

  it('dall-e-3 with n=4 (fan-out splits it into single-image calls)', () => {
    expect(validateRequestForModel(request({ model: 'dall-e-3', n: 4 }))).toEqual([]);
  });
});

describe('validateRequestForModel refuses what a model does not allow, naming field, value and what is allowed', () => {
  it.each([
    ['size 1792x1024 on gpt-image-1', { model: 'gpt-image-1', size: '1792x1024' }, 'size', ['"1792x1024"', 'gpt-image-1', '1024x1024, 1024x1536, 1536x1024']],
    ['size 1536x1024 on dall-e-3', { model: 'dall-e-3', size: '1536x1024' }, 'size', ['"1536x1024"', 'dall-e-3', '1024x1024, 1792x1024, 1024x1792']],
    ['quality hd on gpt-image-1', { model: 'gpt-image-1', quality: 'hd' }, 'quality', ['"hd"', 'low, medium, high']],
    ['quality hd on gpt-image-1-mini', { model: 'gpt-image-1-mini', quality: 'hd' }, 'quality', ['"hd"', 'low, medium, high']],
    ['quality low on dall-e-3', { model: 'dall-e-3', quality: 'low' }, 'quality', ['"low"', 'standard, hd']],
    ['style on gpt-image-1', { model: 'gpt-image-1', style: 'vivid' }, 'style', ['"vivid"', 'takes no style']],
    ['style on gpt-image-1.5', { model: 'gpt-image-1.5', style: 'natural' }, 'style', ['"natural"', 'takes no style']],
    ['unknown style on dall-e-3', { model: 'dall-e-3', style: 'dramatic' }, 'style', ['"dramatic"', 'vivid, natural']],
    ['output_format on dall-e-3', { model: 'dall-e-3', outputFormat: 'png' }, 'output_format', ['"png"', 'dall-e-3', 'returns png']],
    ['output_compression on dall-e-3', { model: 'dall-e-3', outputCompression: 50 }, 'output_compression', ['50', 'no compression']],
    ['background on dall-e-3', { model: 'dall-e-3', background: 'opaque' }, 'background', ['"opaque"', 'no background']],
    ['unknown background on gpt-image-1', { model: 'gpt-image-1', background: 'white' }, 'background', ['"white"', 'transparent, opaque, auto']],
    ['transparent background with jpeg', { model: 'gpt-image-1', background: 'transparent', outputFormat: 'jpeg' }, 'background', ['transparent', 'png']],
    ['a 4001-character prompt on dall-e-3', { model: 'dall-e-3', prompt: 'x'.repeat(4001) }, 'prompt', ['4001', 'dall-e-3', '4000']],
    ['a 32001-character prompt on gpt-image-1-mini', { model: 'gpt-image-1-mini', prompt: 'x'.repeat(32_001) }, 'prompt', ['32001', '32000']],
    ['response_format url on gpt-image-1', { model: 'gpt-image-1', responseFormat: 'url' }, 'response_format', ['"url"', 'gpt-image-1', 'b64_json']],
    ['an unknown model', { model: 'dall-e-2' }, 'model', ['"dall-e-2"', BUILT_IN_CATALOGUE.ids.join(', '), 'models: in the config file']],
    ['a size off the 16 px grid on gpt-image-2', { model: 'gpt-image-2', size: '1000x1000' }, 'size', ['"1000x1000"', 'gpt-image-2', 'multiples of 16 px', 'allowed: WIDTHxHEIGHT']],
    ['a 4K size past the pixel limit on gpt-image-2', { model: 'gpt-image-2', size: '3840x2176' }, 'size', ['"3840x2176"', 'over the maximum of 8,294,400']],
    ['a 4:1 banner on gpt-image-2.5-flare', { model: 'gpt-image-2.5-flare', size: '3840x960' }, 'size', ['long:short may be at most 3:1']],
    ['transparent background on gpt-image-2', { model: 'gpt-image-2', background: 'transparent' }, 'background', ['"transparent"', 'opaque, auto']],
    ['quality xhigh on gpt-image-2 (a 2.5 quality)', { model: 'gpt-image-2', quality: 'xhigh' }, 'quality', ['"xhigh"', 'low, medium, high, auto']],
    ['quality hd on gpt-image-2.5-sunburst', { model: 'gpt-image-2.5-sunburst', quality: 'hd' }, 'quality', ['low, medium, high, xhigh, max, auto']],
    ['size auto on gpt-image-1', { model: 'gpt-image-1', size: 'auto' }, 'size', ['"auto"', '1024x1024, 1024x1536, 1536x1024']],
    ['an Object.prototype key as model', { model: 'constructor' }, 'model', ['"constructor"']],
  ] satisfies Array<[string, Partial<ImageRequest> & Pick<ImageRequest, 'model'>, string, string[]]>)(
    '%s',
    (_, fields, field, reasonParts) => {
      const issues = validateRequestForModel(request(fields));
      expect(issues).toHaveLength(1);
      expect(issues[0]?.field).toBe(field);
      for (const part of reasonParts) expect(issues[0]?.reason).toContain(part);
    },
  );

  it.each(GPT_IMAGE_1_MODELS.map((model) => [model]))('%s refuses every dall-e-3-only size', (model) => {
    for (const size of ['1792x1024', '1024x1792']) {
      expect(validateRequestForModel(request({ model, size })).map((issue) => issue.field)).toEqual(['size']);
    }
  });

  it('reports every problem of one request at once, in field order', () => {
    const issues = validateRequestForModel(
      request({ model: 'dall-e-3', prompt: 'x'.repeat(4001), size: '1536x1024', quality: 'high', style: 'dramatic', outputFormat: 'jpeg' }),
    );
    expect(issues.map((issue) => issue.field)).toEqual(['prompt', 'size', 'quality', 'style', 'output_format']);
  });

  it('gives no location: the caller adds where the request came from', () => {
    expect(validateRequestForModel(request({ model: 'dall-e-2' }))[0]).not.toHaveProperty('location');
  });
});

describe('validateRequestForModel on edits', () => {
  it.each(['gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2'].map((id) => [id]))('%s edits up to 16 input images', (model) => {
    expect(validateRequestForModel(request({ model, images: Array.from({ length: 16 }, (_, i) => `${i}.png`), mask: 'm.png' }))).toEqual([]);
  });

  it('17 input images are over the limit, naming the count and the limit', () => {
    expect(validateRequestForModel(request({ model: 'gpt-image-1.5', images: Array.from({ length: 17 }, (_, i) => `${i}.png`) }))).toEqual([
      { field: 'image', reason: "17 input images are over gpt-image-1.5's limit of 16" },
    ]);
  });

  it('dall-e-3 cannot edit', () => {
    expect(validateRequestForModel(request({ model: 'dall-e-3', images: ['a.png'] }))).toEqual([
      { field: 'image', reason: 'dall-e-3 cannot edit images (no /images/edits); use a gpt-image model or leave the image column empty' },
    ]);
  });

  it.each([
    ['gpt-image-1.5', 'high', []],
    ['gpt-image-1.5', 'low', []],
    ['gpt-image-1.5', 'max', [{ field: 'input_fidelity', reason: '"max" is not allowed for gpt-image-1.5 (allowed: high, low)' }]],
    ['gpt-image-1-mini', 'low', [{ field: 'input_fidelity', reason: '"low" is not allowed for gpt-image-1-mini (allowed: none: the model takes no input_fidelity)' }]],
  ])('%s with input_fidelity %s', (model, inputFidelity, issues) => {
    expect(validateRequestForModel(request({ model, images: ['a.png'], inputFidelity }))).toEqual(issues);
  });
});
