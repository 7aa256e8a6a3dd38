import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { DEFAULT_PRICE_TABLE } from '../../../src/cost/default-price-table.js';
import { expectedCallCost } from '../../../src/cost/expected-call-cost.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { applyPriceOverrides } from '../../../src/cost/price-overrides.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';

const dir = mkdtempSync(join(tmpdir(), 'imgbatch-prices-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function loadWith(yaml: string): ReturnType<typeof loadConfig> {
  writeFileSync(join(dir, 'imgbatch.yaml'), yaml);
  return loadConfig({ env: { IMGBATCH_CONFIG: 'imgbatch.yaml' }, cwd: dir });
}

function loadError(yaml: string): string {
  try {
    loadWith(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('applyPriceOverrides', () => {
  it('merges cell by cell: an overridden cell changes, its neighbours keep the defaults', () => {
    const table = applyPriceOverrides(DEFAULT_PRICE_TABLE, { models: { 'dall-e-3': { perImageUsd: { hd: { '1024x1024': 0.07 } } } } }, 'c.yaml', BUILT_IN_CATALOGUE);
    expect(table.models['dall-e-3']?.perImageUsd).toEqual({
      standard: { '1024x1024': 0.04, '1792x1024': 0.08, '1024x1792': 0.08 },
      hd: { '1024x1024': 0.07, '1792x1024': 0.12, '1024x1792': 0.12 },
    });
    expect(table.models['gpt-image-1']).toEqual(DEFAULT_PRICE_TABLE.models['gpt-image-1']);
    // The defaults themselves are untouched.
    expect(DEFAULT_PRICE_TABLE.models['dall-e-3']?.perImageUsd?.['hd']?.['1024x1024']).toBe(0.08);
  });

  it('perImageUsd: null drops a model\'s per-image prices, so its tokens decide the expected cost', () => {
    const table = applyPriceOverrides(DEFAULT_PRICE_TABLE, { models: { 'gpt-image-1-mini': { perImageUsd: null } } }, 'c.yaml', BUILT_IN_CATALOGUE);
    // 625 output tokens × $8/1M plus a 400-character prompt's 100 text tokens × $2/1M: the
    // prompt's share is what the per-image price ($0.005) would not have counted.
    expect(expectedCallCost(table, { model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', images: 1, promptChars: 400 })).toMatchObject({ usd: 0.0052, basis: 'tokens' });
  });

  it('dates the result with the override\'s date and source, and still says where the rest comes from', () => {
    const table = applyPriceOverrides(DEFAULT_PRICE_TABLE, { takenOn: '2026-12-01', source: 'our Azure price sheet', models: { 'gpt-image-1': { imageOutputUsdPerMillionTokens: 32 } } }, 'c.yaml', BUILT_IN_CATALOGUE);
    expect(table.takenOn).toBe('2026-12-01');
    expect(table.source).toBe(`our Azure price sheet; other prices: defaults of ${DEFAULT_PRICE_TABLE.takenOn}`);
  });
});

describe('the config file\'s prices: section', () => {
  it('is merged over the defaults by loadConfig', () => {
    const config = loadWith(['prices:', '  models:', '    gpt-image-1:', '      imageOutputUsdPerMillionTokens: 32', '      outputTokensPerImage:', '        low: { 1024x1024: 300 }'].join('\n'));
    expect(config.prices.models['gpt-image-1']).toMatchObject({ imageOutputUsdPerMillionTokens: 32, textInputUsdPerMillionTokens: 5 });
    expect(config.prices.models['gpt-image-1']?.outputTokensPerImage?.['low']).toEqual({ '1024x1024': 300, '1024x1536': 408, '1536x1024': 408 });
    expect(config.prices.source).toContain('the config file (gpt-image-1)');
  });

  it('prices given beside a model in models: are merged like prices: entries, also for a model only the config knows', () => {
    const config = loadWith(
      ['models:', '  gpt-image-9:', '    like: gpt-image-2', '    prices: { imageOutputUsdPerMillionTokens: 45, outputTokensPerImage: { low: { 1024x1024: 200 } } }'].join('\n'),
    );
    expect(config.prices.models['gpt-image-9']).toEqual({ imageOutputUsdPerMillionTokens: 45, outputTokensPerImage: { low: { '1024x1024': 200 } } });
    expect(config.prices.source).toContain('the config file (gpt-image-9)');
  });

  it('without one, the defaults apply', () => {
    expect(loadConfig({ env: {}, cwd: dir }).prices).toBe(DEFAULT_PRICE_TABLE);
  });

  it.each([
    ['an unknown model', ['prices:', '  models:', '    gpt-image-9: { imageOutputUsdPerMillionTokens: 1 }'], /prices\.models: "gpt-image-9" is not a known image model \(known: dall-e-3,/],
    ['a quality the model does not take', ['prices:', '  models:', '    dall-e-3: { perImageUsd: { ultra: { 1024x1024: 1 } } }'], /prices\.models\.dall-e-3\.perImageUsd: quality "ultra" is not one dall-e-3 takes \(allowed: standard, hd\)/],
    ['a size the model does not take', ['prices:', '  models:', '    gpt-image-1:', '      outputTokensPerImage: { low: { 512x512: 10 } }'], /prices\.models\.gpt-image-1\.outputTokensPerImage\.low: size "512x512" is not one gpt-image-1 takes/],
    ['a negative price', ['prices:', '  models:', '    gpt-image-1: { imageOutputUsdPerMillionTokens: -1 }'], /prices\.models\.gpt-image-1\.imageOutputUsdPerMillionTokens: must be a price in USD, 0 or more/],
    ['a misspelt field', ['prices:', '  models:', '    gpt-image-1: { outputUsdPerMillion: 1 }'], /prices\.models\.gpt-image-1: Unrecognized key: "outputUsdPerMillion"/],
    ['a date that is not one', ['prices:', '  takenOn: last week', '  models: {}'], /prices\.takenOn: must be a date like 2026-12-01/],
    [
      'prices for one model both beside it and under prices:',
      ['prices:', '  models:', '    gpt-image-2: { imageOutputUsdPerMillionTokens: 31 }', 'models:', '  gpt-image-2: { prices: { imageOutputUsdPerMillionTokens: 32 } }'],
      /models\.gpt-image-2\.prices: gpt-image-2 also has prices under prices\.models\.gpt-image-2; give them in one place/,
    ],
  ])('refuses %s, naming the path', (_, lines, message) => {
    expect(loadError(lines.join('\n'))).toMatch(message);
  });
});
