import { describe, expect, it } from 'vitest';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import type { ModelCapabilities } from '../../../src/models/model-table.js';
import { validateGenerationBody } from '../../../src/simulator/validate-generation-body.js';

function model(id: string): ModelCapabilities {
  const found = BUILT_IN_CATALOGUE.find(id);
  if (found === undefined) throw new Error(`no model ${id}`);
  return found;
}

const dalle3 = model('dall-e-3');
const gptImage1 = model('gpt-image-1');
const mini = model('gpt-image-1-mini');

describe('validateGenerationBody', () => {
  it('fills in the model defaults: dall-e-3 answers with a url, gpt-image with b64_json', () => {
    expect(validateGenerationBody({ prompt: 'cat', model: 'ignored' }, dalle3)).toEqual({
      isValid: true,
      request: {
        prompt: 'cat',
        n: 1,
        size: '1024x1024',
        quality: 'standard',
        responseFormat: 'url',
        outputFormat: 'png',
        outputCompression: undefined,
        background: undefined,
      },
    });
    const check = validateGenerationBody({ prompt: 'cat' }, mini);
    expect(check.isValid && check.request).toMatchObject({ quality: 'medium', responseFormat: 'b64_json' });
  });

  it.each([
    ['missing prompt', {}, dalle3, 'prompt'],
    ['blank prompt', { prompt: '  ' }, dalle3, 'prompt'],
    ['prompt over the model limit', { prompt: 'x'.repeat(4_001) }, dalle3, 'prompt'],
    ['dall-e-3 with n > 1', { prompt: 'p', n: 2 }, dalle3, 'n'],
    ['n over maxImagesPerCall', { prompt: 'p', n: 11 }, gptImage1, 'n'],
    ['fractional n', { prompt: 'p', n: 1.5 }, gptImage1, 'n'],
    ['a size of another model', { prompt: 'p', size: '1792x1024' }, gptImage1, 'size'],
    ['a quality of another model', { prompt: 'p', quality: 'hd' }, gptImage1, 'quality'],
    ['an unknown quality', { prompt: 'p', quality: 'ultra' }, dalle3, 'quality'],
    ['style on a model without styles', { prompt: 'p', style: 'vivid' }, gptImage1, 'style'],
    ['an unknown style', { prompt: 'p', style: 'noir' }, dalle3, 'style'],
    ['response_format to a gpt-image model', { prompt: 'p', response_format: 'b64_json' }, gptImage1, 'response_format'],
    ['an unknown response_format', { prompt: 'p', response_format: 'webp' }, dalle3, 'response_format'],
    ['output_format on dall-e-3', { prompt: 'p', output_format: 'png' }, dalle3, 'output_format'],
    ['webp output (not on Azure)', { prompt: 'p', output_format: 'webp' }, gptImage1, 'output_format'],
    ['output_compression over 100', { prompt: 'p', output_compression: 101 }, gptImage1, 'output_compression'],
    ['output_compression on dall-e-3', { prompt: 'p', output_compression: 50 }, dalle3, 'output_compression'],
    ['an unknown background', { prompt: 'p', background: 'blue' }, gptImage1, 'background'],
    ['a transparent jpeg', { prompt: 'p', background: 'transparent', output_format: 'jpeg' }, gptImage1, 'background'],
  ])('rejects %s, naming the property', (_, body, capabilities, property) => {
    expect(validateGenerationBody(body, capabilities)).toEqual({ isValid: false, property });
  });

  it('treats null as absent, as the real API does', () => {
    expect(validateGenerationBody({ prompt: 'p', response_format: null, n: null }, gptImage1).isValid).toBe(true);
  });

  it('accepts every gpt-image option together', () => {
    const check = validateGenerationBody(
      { prompt: 'p', n: 3, size: '1536x1024', quality: 'low', output_format: 'jpeg', output_compression: 80, background: 'opaque', user: 'u1' },
      gptImage1,
    );
    expect(check).toEqual({
      isValid: true,
      request: {
        prompt: 'p',
        n: 3,
        size: '1536x1024',
        quality: 'low',
        responseFormat: 'b64_json',
        outputFormat: 'jpeg',
        outputCompression: 80,
        background: 'opaque',
      },
    });
  });

  it.each([
    ['1024x1024', true],
    ['3840x2160', true],
    ['2304x768', true],
    ['auto', true],
    ['1000x1000', false],
    ['4096x4096', false],
    ['3072x1008', false],
    ['512x512', false],
    ['3840x2176', false],
    ['1024*1024', false],
  ] as const)('gpt-image-2 with size %s: valid %s (Azure: edges multiples of 16, long edge ≤ 3840, ≤ 3:1, 655,360–8,294,400 px)', (size, isValid) => {
    const check = validateGenerationBody({ prompt: 'p', size }, model('gpt-image-2'));
    expect(check).toEqual(isValid ? expect.objectContaining({ isValid: true }) : { isValid: false, property: 'size' });
  });

  it.each([
    ['gpt-image-2', { background: 'transparent' }, 'background'],
    ['gpt-image-2', { quality: 'xhigh' }, 'quality'],
    ['gpt-image-2', { output_format: 'webp' }, 'output_format'],
    ['gpt-image-2.5-flare', { background: 'transparent' }, 'background'],
  ])('%s refuses %j, naming %s', (id, fields, property) => {
    expect(validateGenerationBody({ prompt: 'p', ...fields }, model(id))).toEqual({ isValid: false, property });
  });

  it('gpt-image-2.5 takes the xhigh and max qualities', () => {
    for (const quality of ['xhigh', 'max']) expect(validateGenerationBody({ prompt: 'p', quality }, model('gpt-image-2.5-sunburst')).isValid).toBe(true);
  });
});
