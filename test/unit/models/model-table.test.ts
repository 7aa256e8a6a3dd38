import { describe, expect, it } from 'vitest';
import { findModel, MODEL_IDS, MODEL_TABLE } from '../../../src/models/model-table.js';

const rows = Object.entries(MODEL_TABLE);

describe('MODEL_TABLE', () => {
  it('lists the four Azure image models', () => {
    expect(MODEL_IDS).toEqual(['dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5']);
  });

  it.each(rows)('%s is keyed by its own id', (key, model) => {
    expect(model.id).toBe(key);
  });

  it.each(rows)('%s: its default size and quality are among its allowed values', (_, model) => {
    expect(model.sizes).toContain(model.defaultSize);
    expect(model.qualities).toContain(model.defaultQuality);
  });

  it.each(rows)('%s: a model that refuses response_format answers only b64_json', (_, model) => {
    if (!model.acceptsResponseFormat) expect(model.responseFormats).toEqual(['b64_json']);
    expect(model.responseFormats).toContain('b64_json');
  });

  it.each([
    ['dall-e-3', { maxImagesPerCall: 1, maxPromptChars: 4000, defaultRatePerMinute: 6, defaultQuality: 'standard', acceptsResponseFormat: true }],
    ['gpt-image-1', { maxImagesPerCall: 10, defaultRatePerMinute: 9, defaultQuality: 'high', acceptsResponseFormat: false }],
    ['gpt-image-1-mini', { maxImagesPerCall: 10, defaultRatePerMinute: 12, defaultQuality: 'medium', acceptsResponseFormat: false }],
    ['gpt-image-1.5', { maxImagesPerCall: 10, defaultRatePerMinute: 9, defaultQuality: 'high', acceptsResponseFormat: false }],
  ])('%s carries Azure’s documented limits and defaults', (id, expected) => {
    expect(findModel(id)).toMatchObject(expected);
  });

  it.each([
    ['gpt-image-1', ['high', 'low']],
    ['gpt-image-1-mini', []],
    ['gpt-image-1.5', ['high', 'low']],
  ])('%s edits up to 16 inputs of under 50 MB with a mask under 4 MB, input_fidelity %j', (id, fidelities) => {
    expect(findModel(id)?.edits).toEqual({ maxInputImages: 16, maxInputBytes: 50_000_000, maxMaskBytes: 4_000_000, inputFidelities: fidelities });
  });

  it('dall-e-3 cannot edit', () => {
    expect(findModel('dall-e-3')?.edits).toBeUndefined();
  });

  it('is frozen', () => {
    expect(Object.isFrozen(MODEL_TABLE)).toBe(true);
  });
});

describe('findModel', () => {
  it.each(MODEL_IDS.map((id) => [id]))('finds %s', (id) => {
    expect(findModel(id)?.id).toBe(id);
  });

  it.each([['dall-e-2'], ['GPT-IMAGE-1'], [''], ['toString'], ['__proto__'], ['hasOwnProperty']])('does not find %j', (id) => {
    expect(findModel(id)).toBeUndefined();
  });
});
