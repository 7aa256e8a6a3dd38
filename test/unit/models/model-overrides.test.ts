import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import { BUILT_IN_CATALOGUE, createModelCatalogue } from '../../../src/models/model-catalogue.js';
import { applyModelOverrides, modelOverridesSchema, type ModelOverrides } from '../../../src/models/model-overrides.js';
import { BUILT_IN_MODELS } from '../../../src/models/model-table.js';

function apply(overrides: ModelOverrides): ReturnType<typeof createModelCatalogue> {
  return createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, overrides, 'models.yaml'));
}

function applyError(overrides: ModelOverrides): string {
  try {
    apply(overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('createModelCatalogue', () => {
  it.each([['dall-e-2'], ['GPT-IMAGE-2'], [''], ['toString'], ['__proto__'], ['constructor']])('does not find %j', (id) => {
    expect(BUILT_IN_CATALOGUE.find(id)).toBeUndefined();
  });

  it('finds every built-in model by id, in table order', () => {
    expect(BUILT_IN_CATALOGUE.ids).toEqual(BUILT_IN_MODELS.map((m) => m.id));
    for (const id of BUILT_IN_CATALOGUE.ids) expect(BUILT_IN_CATALOGUE.find(id)?.id).toBe(id);
  });

  it('is frozen all the way down, so no caller can change a model another one reads', () => {
    const model = BUILT_IN_CATALOGUE.find('gpt-image-2');
    expect(Object.isFrozen(BUILT_IN_CATALOGUE)).toBe(true);
    expect(Object.isFrozen(model)).toBe(true);
    expect(Object.isFrozen(model?.sizes)).toBe(true);
    expect(Object.isFrozen(model?.lifecycle.replacedBy)).toBe(true);
  });
});

describe('applyModelOverrides: a built-in model', () => {
  it('takes any field from the config and keeps the rest', () => {
    const model = apply({ 'gpt-image-2': { timeoutMs: 600_000, expectedLatencyMs: 200_000, defaultQuality: 'medium', maxImagesPerCall: 4 } }).find('gpt-image-2');
    expect(model).toMatchObject({ timeoutMs: 600_000, expectedLatencyMs: 200_000, defaultQuality: 'medium', maxImagesPerCall: 4, qualities: ['low', 'medium', 'high', 'auto'] });
  });

  it('merges a partial size rule over its own', () => {
    expect(apply({ 'gpt-image-2': { sizes: { maxEdgePx: 2048, allowsAuto: false } } }).find('gpt-image-2')?.sizes).toEqual({
      kind: 'custom',
      multipleOfPx: 16,
      maxEdgePx: 2048,
      maxAspectRatio: 3,
      minPixels: 655_360,
      maxPixels: 8_294_400,
      allowsAuto: false,
    });
  });

  it('replaces sizes with a list', () => {
    expect(apply({ 'gpt-image-2': { sizes: ['1024x1024', '2048x2048'] } }).find('gpt-image-2')?.sizes).toEqual({ kind: 'list', sizes: ['1024x1024', '2048x2048'] });
  });

  it('moves a retirement date, drops one with null, and can say a model cannot edit', () => {
    const catalogue = apply({
      'gpt-image-1.5': { lifecycle: { retiresOn: '2026-12-16' } },
      'gpt-image-2': { lifecycle: { retiresOn: null }, edits: null },
    });
    expect(catalogue.find('gpt-image-1.5')?.lifecycle).toEqual({ stage: 'ga', retiresOn: '2026-12-16', replacedBy: ['gpt-image-2'] });
    expect(catalogue.find('gpt-image-2')?.lifecycle).toEqual({ stage: 'ga', replacedBy: [] });
    expect(catalogue.find('gpt-image-2')?.edits).toBeUndefined();
  });

  it('merges edit limits over the model’s own', () => {
    expect(apply({ 'gpt-image-2': { edits: { maxInputImages: 4 } } }).find('gpt-image-2')?.edits).toEqual({
      maxInputImages: 4,
      maxInputBytes: 50_000_000,
      maxMaskBytes: 4_000_000,
      inputFidelities: [],
    });
  });

  it('leaves the built-in catalogue as it was', () => {
    apply({ 'gpt-image-2': { timeoutMs: 1_000 } });
    expect(BUILT_IN_CATALOGUE.find('gpt-image-2')?.timeoutMs).toBe(540_000);
  });
});

describe('applyModelOverrides: a new model', () => {
  it('starts from the model named by like, with its own id, an unconfirmed lifecycle and facts from the config', () => {
    const catalogue = apply({ 'gpt-image-3': { like: 'gpt-image-2', qualities: ['low', 'high'], defaultQuality: 'low' } });
    expect(catalogue.ids.at(-1)).toBe('gpt-image-3');
    expect(catalogue.find('gpt-image-3')).toMatchObject({
      id: 'gpt-image-3',
      sizes: BUILT_IN_CATALOGUE.find('gpt-image-2')?.sizes,
      qualities: ['low', 'high'],
      defaultQuality: 'low',
      lifecycle: { stage: 'unconfirmed', replacedBy: [] },
      factsFrom: 'config',
    });
    expect(catalogue.find('gpt-image-3')?.lifecycle.retiresOn).toBeUndefined();
  });

  it('may be named as a replacement by a built-in model', () => {
    const catalogue = apply({ 'gpt-image-3': { like: 'gpt-image-2' }, 'gpt-image-1.5': { lifecycle: { replacedBy: ['gpt-image-3'] } } });
    expect(catalogue.find('gpt-image-1.5')?.lifecycle.replacedBy).toEqual(['gpt-image-3']);
  });
});

describe('applyModelOverrides refuses, naming the file, the model and the field', () => {
  it.each([
    ['a new model without like', { 'gpt-image-3': { timeoutMs: 1_000 } }, 'models.yaml: models.gpt-image-3: "gpt-image-3" is not a built-in model', 'add like: <a built-in model>'],
    ['like naming no built-in model', { 'gpt-image-3': { like: 'gpt-image-9' } }, 'models.yaml: models.gpt-image-3.like: "gpt-image-9" is not a built-in model', 'gpt-image-2'],
    ['like on a built-in model', { 'gpt-image-2': { like: 'gpt-image-1.5' } }, 'models.yaml: models.gpt-image-2.like: gpt-image-2 is a built-in model', 'override its fields'],
    ['a default quality the model does not take', { 'gpt-image-2': { defaultQuality: 'xhigh' } }, 'models.gpt-image-2.defaultQuality: "xhigh" is not one of its qualities', 'low, medium, high, auto'],
    ['qualities that leave out the default', { 'gpt-image-2': { qualities: ['low'] } }, 'models.gpt-image-2.defaultQuality: "high" is not one of its qualities (low)', ''],
    ['a default size outside the rule', { 'gpt-image-2': { defaultSize: '1000x1000' } }, 'models.gpt-image-2.defaultSize: "1000x1000" both edges must be multiples of 16 px', ''],
    ['a partial rule for a model of listed sizes', { 'gpt-image-1.5': { sizes: { maxEdgePx: 2048 } } }, 'models.gpt-image-1.5.sizes: the model has a list of sizes, so a rule needs every bound; missing: multipleOfPx, maxAspectRatio, minPixels, maxPixels', ''],
    ['a rule whose minimum is over its maximum', { 'gpt-image-2': { sizes: { minPixels: 9_000_000 } } }, 'models.gpt-image-2.sizes: minPixels 9000000 is over maxPixels 8294400', ''],
    ['partial edit limits for a model that cannot edit', { 'dall-e-3': { edits: { maxInputImages: 2 } } }, 'models.dall-e-3.edits: the model has no edit support to start from, so every field is needed; missing: maxInputBytes, maxMaskBytes, inputFidelities', ''],
    ['a replacement that is no model', { 'gpt-image-1.5': { lifecycle: { replacedBy: ['gpt-image-9'] } } }, 'models.gpt-image-1.5.lifecycle.replacedBy: "gpt-image-9" is not a known model', ''],
  ] satisfies Array<[string, ModelOverrides, string, string]>)('%s', (_, overrides, message, more) => {
    const text = applyError(overrides);
    expect(text).toContain(message);
    expect(text).toContain(more);
  });
});

describe('modelOverridesSchema', () => {
  it.each([
    ['a timeout over the 600 s ceiling', { 'gpt-image-2': { timeoutMs: 600_001 } }, ['gpt-image-2', 'timeoutMs'], 'at most 600000 ms'],
    ['a size that is not WIDTHxHEIGHT', { 'gpt-image-2': { sizes: ['big'] } }, ['gpt-image-2', 'sizes', 0], 'must be WIDTHxHEIGHT'],
    ['sizes that are neither a list nor a rule', { 'gpt-image-2': { sizes: 'any' } }, ['gpt-image-2', 'sizes'], 'must be a list of sizes'],
    ['webp, which Azure does not make', { 'gpt-image-2': { outputFormats: ['webp'] } }, ['gpt-image-2', 'outputFormats', 0], 'png or jpeg'],
    ['n over 10', { 'gpt-image-2': { maxImagesPerCall: 11 } }, ['gpt-image-2', 'maxImagesPerCall'], 'at most 10'],
    ['a retirement date that is no date', { 'gpt-image-2': { lifecycle: { retiresOn: 'soon' } } }, ['gpt-image-2', 'lifecycle', 'retiresOn'], 'a date like'],
    ['an unknown field', { 'gpt-image-2': { colour: 'red' } }, ['gpt-image-2'], 'colour'],
    ['a model id with a slash', { 'a/b': {} }, ['a/b'], 'letters, digits'],
  ])('refuses %s at the field', (_, input, path, message) => {
    const result = modelOverridesSchema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(path);
    expect(JSON.stringify(issue)).toContain(message);
  });
});
