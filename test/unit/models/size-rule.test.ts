import { describe, expect, it } from 'vitest';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { describeSizeRule, parseSize, sizeProblem, type SizeRule } from '../../../src/models/size-rule.js';

function rulesOf(id: string): SizeRule {
  const model = BUILT_IN_CATALOGUE.find(id);
  if (model === undefined) throw new Error(`no model ${id}`);
  return model.sizes;
}

const CUSTOM_MODELS = ['gpt-image-2', 'gpt-image-2.5-flare', 'gpt-image-2.5-sunburst'];

describe('the gpt-image-2 size rule accepts what Azure allows', () => {
  it.each(
    CUSTOM_MODELS.flatMap((model) =>
      [
        // OpenAI's popular sizes.
        '1024x1024',
        '1536x1024',
        '1024x1536',
        '2048x2048',
        '2048x1152',
        '3840x2160',
        '2160x3840',
        // Edges at the bounds: long edge 3840, ratio exactly 3:1, pixel count exactly min and max.
        '3840x1280',
        '1280x3840',
        '1024x640', // 655,360 pixels: the minimum
        '3840x2160', // 8,294,400 pixels: the maximum
        '2880x2880', // 8,294,400 pixels, square
        '2304x768', // 3:1 exactly
        '816x816', // 665,856 pixels, just above the minimum
        'auto',
      ].map((size) => [model, size] as const),
    ),
  )('%s takes %s', (model, size) => {
    expect(sizeProblem(rulesOf(model), size)).toBeUndefined();
  });
});

describe('the gpt-image-2 size rule refuses what Azure refuses, naming the bound', () => {
  it.each(
    CUSTOM_MODELS.flatMap((model) =>
      (
        [
          ['1000x1000', 'multiples of 16 px (width 1000 and height 1000 are not)'],
          ['1024x1000', 'multiples of 16 px (height 1000 is not)'],
          ['1025x1024', 'multiples of 16 px (width 1025 is not)'],
          ['3856x2160', 'long edge may be at most 3840 px (it is 3856)'],
          ['4096x4096', 'long edge may be at most 3840 px (it is 4096)'],
          ['3072x1008', 'long:short may be at most 3:1 (3072:1008 is 3.05:1)'],
          ['1008x3072', 'long:short may be at most 3:1'],
          ['1008x640', '645,120 pixels is below the minimum of 655,360'],
          ['512x512', '262,144 pixels is below the minimum of 655,360'],
          ['3840x2176', '8,355,840 pixels is over the maximum of 8,294,400'],
          ['2896x2896', 'pixels is over the maximum of 8,294,400'],
          ['1024*1024', 'not a size: write WIDTHxHEIGHT'],
          ['0x1024', 'not a size'],
          ['1024x', 'not a size'],
          ['AUTO', 'not a size'],
          [' 1024x1024', 'not a size'],
        ] as const
      ).map(([size, reason]) => [model, size, reason] as const),
    ),
  )('%s refuses %s: %s', (model, size, reason) => {
    expect(sizeProblem(rulesOf(model), size)).toContain(reason);
  });
});

describe('sizes by list', () => {
  it.each([
    ['gpt-image-1-mini', '1024x1024', true],
    ['gpt-image-1-mini', '1536x1024', true],
    ['gpt-image-1-mini', '2048x2048', false],
    ['gpt-image-1-mini', 'auto', false],
    ['gpt-image-1.5', '1024x1536', true],
    ['gpt-image-1.5', '1792x1024', false],
    ['dall-e-3', '1792x1024', true],
    ['dall-e-3', '1536x1024', false],
  ] as const)('%s with %s: accepted %s', (model, size, isAccepted) => {
    expect(sizeProblem(rulesOf(model), size) === undefined).toBe(isAccepted);
  });

  it('a rule without auto refuses auto, saying to give a size', () => {
    const rule: SizeRule = { kind: 'custom', multipleOfPx: 16, maxEdgePx: 2048, maxAspectRatio: 2, minPixels: 1, maxPixels: 4_194_304, allowsAuto: false };
    expect(sizeProblem(rule, 'auto')).toBe('auto is not taken by this model: give WIDTHxHEIGHT');
  });
});

describe('parseSize and describeSizeRule', () => {
  it('reads WIDTHxHEIGHT and nothing else', () => {
    expect(parseSize('3840x2160')).toEqual({ widthPx: 3840, heightPx: 2160 });
    expect(parseSize('auto')).toBeUndefined();
    expect(parseSize('01024x1024')).toBeUndefined();
  });

  it('describes a rule with every bound, for error messages', () => {
    expect(describeSizeRule(rulesOf('gpt-image-2'))).toBe(
      'WIDTHxHEIGHT with both edges multiples of 16, the long edge at most 3840 px, long:short at most 3:1, 655,360–8,294,400 pixels; or auto',
    );
    expect(describeSizeRule(rulesOf('dall-e-3'))).toBe('1024x1024, 1792x1024, 1024x1792');
  });
});
