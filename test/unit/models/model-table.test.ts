import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_MODELS } from '../../../src/models/model-table.js';
import { sizeProblem } from '../../../src/models/size-rule.js';

const rows = BUILT_IN_MODELS.map((model) => [model.id, model] as const);
const idsOf = BUILT_IN_MODELS.map((model) => model.id);

describe('BUILT_IN_MODELS', () => {
  it('lists the Azure image models, retired ones included so old batches still read', () => {
    expect(idsOf).toEqual(['dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'gpt-image-2.5-flare', 'gpt-image-2.5-sunburst']);
  });

  it.each(rows)('%s: its default size and quality are among its allowed values', (_, model) => {
    expect(sizeProblem(model.sizes, model.defaultSize)).toBeUndefined();
    expect(model.qualities).toContain(model.defaultQuality);
  });

  it.each(rows)('%s: a model that refuses response_format answers only b64_json', (_, model) => {
    if (!model.acceptsResponseFormat) expect(model.responseFormats).toEqual(['b64_json']);
    expect(model.responseFormats).toContain('b64_json');
  });

  it.each(rows)('%s: its call timeout is between 300 s and the 600 s ceiling, above its expected latency', (_, model) => {
    expect(model.timeoutMs).toBeGreaterThanOrEqual(300_000);
    expect(model.timeoutMs).toBeLessThanOrEqual(600_000);
    expect(model.timeoutMs).toBeGreaterThan(model.expectedLatencyMs);
  });

  it.each(rows)('%s: every model it names as a replacement is in the table', (_, model) => {
    for (const next of model.lifecycle.replacedBy) expect(idsOf).toContain(next);
  });

  it.each([
    ['dall-e-3', { maxImagesPerCall: 1, maxPromptChars: 4000, defaultRatePerMinute: 6, defaultQuality: 'standard', acceptsResponseFormat: true, edits: undefined }],
    ['gpt-image-1', { maxImagesPerCall: 10, defaultRatePerMinute: 9, defaultQuality: 'high', acceptsResponseFormat: false }],
    ['gpt-image-1-mini', { maxImagesPerCall: 10, defaultRatePerMinute: 12, defaultQuality: 'medium', acceptsResponseFormat: false }],
    ['gpt-image-1.5', { maxImagesPerCall: 10, defaultRatePerMinute: 9, defaultQuality: 'high', acceptsResponseFormat: false }],
    ['gpt-image-2', { maxImagesPerCall: 10, defaultRatePerMinute: 6, qualities: ['low', 'medium', 'high', 'auto'], backgrounds: ['opaque', 'auto'], outputFormats: ['png', 'jpeg'], supportsCompression: true }],
    ['gpt-image-2.5-flare', { defaultRatePerMinute: 5, qualities: ['low', 'medium', 'high', 'xhigh', 'max', 'auto'], factsFrom: 'third-party' }],
    ['gpt-image-2.5-sunburst', { defaultRatePerMinute: 5, qualities: ['low', 'medium', 'high', 'xhigh', 'max', 'auto'], factsFrom: 'third-party' }],
  ])('%s carries the documented limits and defaults', (id, expected) => {
    expect(BUILT_IN_MODELS.find((model) => model.id === id)).toMatchObject(expected);
  });

  it.each([
    ['dall-e-3', { stage: 'ga', retiresOn: '2026-03-04', replacedBy: ['gpt-image-1-mini'] }],
    ['gpt-image-1', { stage: 'preview', retiresOn: '2026-10-23', replacedBy: ['gpt-image-2'] }],
    ['gpt-image-1-mini', { stage: 'ga', retiresOn: '2027-04-07' }],
    ['gpt-image-1.5', { stage: 'ga', retiresOn: '2027-06-16' }],
    ['gpt-image-2', { stage: 'ga', retiresOn: '2027-10-21' }],
  ])('%s has the lifecycle of Azure’s retirement schedule', (id, lifecycle) => {
    expect(BUILT_IN_MODELS.find((model) => model.id === id)?.lifecycle).toMatchObject(lifecycle);
  });

  it.each([['gpt-image-2.5-flare'], ['gpt-image-2.5-sunburst']])('%s: no Microsoft page states its status or a retirement date', (id) => {
    expect(BUILT_IN_MODELS.find((model) => model.id === id)?.lifecycle).toEqual({ stage: 'unconfirmed', replacedBy: [] });
  });

  it('gpt-image-2 takes custom sizes by rule; the gpt-image-1 series three listed sizes', () => {
    expect(BUILT_IN_MODELS.find((model) => model.id === 'gpt-image-2')?.sizes).toEqual({
      kind: 'custom',
      multipleOfPx: 16,
      maxEdgePx: 3840,
      maxAspectRatio: 3,
      minPixels: 655_360,
      maxPixels: 8_294_400,
      allowsAuto: true,
    });
    expect(BUILT_IN_MODELS.find((model) => model.id === 'gpt-image-1-mini')?.sizes).toEqual({ kind: 'list', sizes: ['1024x1024', '1024x1536', '1536x1024'] });
  });

  it.each([
    ['gpt-image-2', []],
    ['gpt-image-2.5-sunburst', []],
    ['gpt-image-1-mini', []],
    ['gpt-image-1.5', ['high', 'low']],
  ])('%s edits up to 16 images under 50 MB with masks under 4 MB, input_fidelity %j', (id, inputFidelities) => {
    expect(BUILT_IN_MODELS.find((model) => model.id === id)?.edits).toEqual({ maxInputImages: 16, maxInputBytes: 50_000_000, maxMaskBytes: 4_000_000, inputFidelities });
  });

  it('gpt-image-2 waits at least 300 s for a call, above its high quality’s measured worst of 241 s', () => {
    const model = BUILT_IN_MODELS.find((m) => m.id === 'gpt-image-2');
    expect(model?.timeoutMs).toBeGreaterThan(241_400);
    expect(model?.expectedLatencyMs).toBeGreaterThanOrEqual(171_300);
  });

  it('dall-e-3 cannot edit', () => {
    expect(BUILT_IN_CATALOGUE.find('dall-e-3')?.edits).toBeUndefined();
  });

  it('is frozen', () => {
    expect(Object.isFrozen(BUILT_IN_MODELS)).toBe(true);
  });
});
