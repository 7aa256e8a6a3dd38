import { z } from 'zod';
import { ConfigError } from '../errors/imgbatch-error.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { describeSizeRule, sizeProblem } from '../models/size-rule.js';
import type { ModelPrices, PriceTable, QualitySizeGrid } from './price-table.js';

const usdSchema = z.number().min(0, 'must be a price in USD, 0 or more');
const gridOf = <T extends z.ZodType>(value: T) => z.record(z.string(), z.record(z.string(), value));

/** What one model's prices may be overridden with; every field is optional, named with its unit. */
export const modelPricesOverrideSchema = z.strictObject({
  /** USD per image by quality then size; merged cell by cell; `null` drops the model's per-image prices (then tokens decide). */
  perImageUsd: gridOf(usdSchema).nullable().optional(),
  textInputUsdPerMillionTokens: usdSchema.optional(),
  /** USD per 1M image input tokens (the input images of edits). */
  imageInputUsdPerMillionTokens: usdSchema.optional(),
  imageOutputUsdPerMillionTokens: usdSchema.optional(),
  /** Expected image output tokens per image by quality then size; merged cell by cell. */
  outputTokensPerImage: gridOf(z.number().int().min(0, 'must be a token count, 0 or more')).optional(),
});

/**
 * The config file's `prices:` section, merged over the default table:
 * ```yaml
 * prices:
 *   takenOn: 2026-12-01          # when you took these prices
 *   source: our Azure price sheet
 *   models:
 *     gpt-image-1:
 *       imageOutputUsdPerMillionTokens: 32
 *     dall-e-3:
 *       perImageUsd: { hd: { 1024x1024: 0.07 } }
 * ```
 */
export const priceOverridesSchema = z.strictObject({
  takenOn: z.iso.date('must be a date like 2026-12-01').optional(),
  source: z.string().min(1).optional(),
  models: z.record(z.string(), modelPricesOverrideSchema),
});

export type PriceOverrides = z.output<typeof priceOverridesSchema>;

function checkGrid(grid: QualitySizeGrid, model: string, field: string, where: string, models: ModelCatalogue): void {
  const capabilities = models.find(model);
  if (capabilities === undefined) return;
  for (const [quality, sizes] of Object.entries(grid)) {
    if (!capabilities.qualities.includes(quality)) {
      throw new ConfigError(`${where}: prices.models.${model}.${field}: quality "${quality}" is not one ${model} takes (allowed: ${capabilities.qualities.join(', ')})`);
    }
    for (const size of Object.keys(sizes)) {
      if (sizeProblem(capabilities.sizes, size) !== undefined) {
        throw new ConfigError(`${where}: prices.models.${model}.${field}.${quality}: size "${size}" is not one ${model} takes (allowed: ${describeSizeRule(capabilities.sizes)})`);
      }
    }
  }
}

function mergeGrid(base: QualitySizeGrid | undefined, over: QualitySizeGrid): QualitySizeGrid {
  const merged: Record<string, Record<string, number>> = {};
  for (const [quality, sizes] of Object.entries(base ?? {})) merged[quality] = { ...sizes };
  for (const [quality, sizes] of Object.entries(over)) merged[quality] = { ...merged[quality], ...sizes };
  return merged;
}

/**
 * The default table with the config file's overrides merged over it, cell by cell. Names the
 * offending path (model, field, quality, size) in a ConfigError when an override names a
 * model, quality or size the catalogue does not know. `where` names the config file.
 */
export function applyPriceOverrides(defaults: PriceTable, overrides: PriceOverrides, where: string, catalogue: ModelCatalogue): PriceTable {
  const models: Record<string, ModelPrices> = { ...defaults.models };
  const changed = Object.keys(overrides.models);
  for (const [model, override] of Object.entries(overrides.models)) {
    if (catalogue.find(model) === undefined) {
      throw new ConfigError(`${where}: prices.models: "${model}" is not a known image model (known: ${catalogue.ids.join(', ')})`);
    }
    const base: ModelPrices = Object.hasOwn(models, model) ? (models[model] ?? {}) : {};
    const next: { -readonly [K in keyof ModelPrices]: ModelPrices[K] } = { ...base };
    if (override.perImageUsd === null) {
      delete next.perImageUsd;
    } else if (override.perImageUsd !== undefined) {
      checkGrid(override.perImageUsd, model, 'perImageUsd', where, catalogue);
      next.perImageUsd = mergeGrid(base.perImageUsd, override.perImageUsd);
    }
    if (override.outputTokensPerImage !== undefined) {
      checkGrid(override.outputTokensPerImage, model, 'outputTokensPerImage', where, catalogue);
      next.outputTokensPerImage = mergeGrid(base.outputTokensPerImage, override.outputTokensPerImage);
    }
    if (override.textInputUsdPerMillionTokens !== undefined) next.textInputUsdPerMillionTokens = override.textInputUsdPerMillionTokens;
    if (override.imageOutputUsdPerMillionTokens !== undefined) next.imageOutputUsdPerMillionTokens = override.imageOutputUsdPerMillionTokens;
    if (override.imageInputUsdPerMillionTokens !== undefined) next.imageInputUsdPerMillionTokens = override.imageInputUsdPerMillionTokens;
    models[model] = next;
  }
  if (changed.length === 0 && overrides.takenOn === undefined && overrides.source === undefined) return defaults;
  const overridden = changed.length === 0 ? 'the config file' : `the config file (${changed.join(', ')})`;
  return {
    takenOn: overrides.takenOn ?? defaults.takenOn,
    source: `${overrides.source ?? overridden}; other prices: defaults of ${defaults.takenOn}`,
    models,
  };
}
