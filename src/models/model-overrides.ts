import { z } from 'zod';
import { ConfigError } from '../errors/imgbatch-error.js';
import { LIFECYCLE_STAGES, type EditCapabilities, type ModelCapabilities, type ModelLifecycle } from './model-table.js';
import { describeSizeRule, sizeProblem, type SizeRule } from './size-rule.js';

/**
 * The longest call timeout imgbatch allows, ms: the OpenAI SDKs' own default, which Azure's
 * images guidance treats as the ceiling; a third-party benchmark saw a connection hang for
 * 4,968 s, which a longer timeout would wait out.
 */
export const MAX_CALL_TIMEOUT_MS = 600_000;

/** A call timeout setting, ms: a whole number from 1 to {@link MAX_CALL_TIMEOUT_MS}. */
export const callTimeoutMsSchema = z
  .number({ error: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(1, 'must be at least 1 ms')
  .max(MAX_CALL_TIMEOUT_MS, `must be at most ${MAX_CALL_TIMEOUT_MS} ms (600 s, the ceiling imgbatch allows)`);

const positiveInt = z.number().int('must be a whole number').positive('must be more than 0');
const sizeText = z.string().regex(/^[1-9][0-9]*x[1-9][0-9]*$/, 'must be WIDTHxHEIGHT, e.g. 1024x1024');
const isoDate = z.iso.date('must be a date like 2027-04-21');
const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must list at least one value');

/** The custom-size rule; a partial one is merged over the model's own rule. */
const sizeRuleOverrideSchema = z.strictObject({
  multipleOfPx: positiveInt.optional(),
  maxEdgePx: positiveInt.optional(),
  maxAspectRatio: z.number().min(1, 'must be at least 1 (1 means square only)').optional(),
  minPixels: positiveInt.optional(),
  maxPixels: positiveInt.optional(),
  allowsAuto: z.boolean().optional(),
});

const editsOverrideSchema = z.strictObject({
  maxInputImages: positiveInt.max(16, 'must be at most 16').optional(),
  maxInputBytes: positiveInt.optional(),
  maxMaskBytes: positiveInt.optional(),
  inputFidelities: z.array(z.string().min(1)).optional(),
});

/**
 * One model in the config file's `models:` section. Every field is optional: it overrides that
 * field of the built-in model of the same id, or, for a new id, of the model named by `like`.
 */
export const modelOverrideSchema = z.strictObject({
  /** For a model the built-in table lacks: the built-in model it starts from, e.g. `gpt-image-2`. */
  like: z.string().min(1).optional(),
  /** A list of `WIDTHxHEIGHT` sizes, or a custom-size rule (merged over the model's own rule). */
  sizes: z.union([nonEmptyList(sizeText), sizeRuleOverrideSchema], {
    error: 'must be a list of sizes such as [1024x1024, 1536x1024] or a rule { multipleOfPx, maxEdgePx, maxAspectRatio, minPixels, maxPixels, allowsAuto }',
  }).optional(),
  defaultSize: z.string().min(1).optional(),
  qualities: nonEmptyList(z.string().min(1)).optional(),
  defaultQuality: z.string().min(1).optional(),
  styles: z.array(z.string().min(1)).optional(),
  /** `n`: images one call may ask for, 1–10. */
  maxImagesPerCall: positiveInt.max(10, 'must be at most 10').optional(),
  outputFormats: z.array(z.enum(['png', 'jpeg'], 'must be png or jpeg (Azure makes no webp)')).optional(),
  supportsCompression: z.boolean().optional(),
  backgrounds: z.array(z.string().min(1)).optional(),
  maxPromptChars: positiveInt.optional(),
  defaultRatePerMinute: z.number().positive('must be more than 0').optional(),
  lifecycle: z
    .strictObject({
      stage: z.enum(LIFECYCLE_STAGES, `must be one of ${LIFECYCLE_STAGES.join(', ')}`).optional(),
      /** `null` removes the built-in date. */
      retiresOn: isoDate.nullable().optional(),
      replacedBy: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  /** Edit support, merged over the model's own; `null`: the model cannot edit. */
  edits: editsOverrideSchema.nullable().optional(),
  timeoutMs: callTimeoutMsSchema.optional(),
  expectedLatencyMs: positiveInt.optional(),
});

export type ModelOverride = z.output<typeof modelOverrideSchema>;

/** The `models:` section: model id -> override. */
export const modelOverridesSchema = z.record(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a model id may hold only letters, digits, ".", "_" and "-"'),
  modelOverrideSchema,
);

export type ModelOverrides = z.output<typeof modelOverridesSchema>;

function mergeSizes(where: string, base: SizeRule, over: NonNullable<ModelOverride['sizes']>): SizeRule {
  if (Array.isArray(over)) return { kind: 'list', sizes: over };
  const merged = { ...(base.kind === 'custom' ? base : {}), ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) };
  const required = ['multipleOfPx', 'maxEdgePx', 'maxAspectRatio', 'minPixels', 'maxPixels'] as const;
  const missing = required.filter((field) => !(field in merged));
  if (missing.length > 0) {
    throw new ConfigError(`${where}.sizes: the model has a list of sizes, so a rule needs every bound; missing: ${missing.join(', ')}`);
  }
  const rule = { kind: 'custom' as const, allowsAuto: false, ...merged } as Extract<SizeRule, { kind: 'custom' }>;
  if (rule.minPixels > rule.maxPixels) throw new ConfigError(`${where}.sizes: minPixels ${rule.minPixels} is over maxPixels ${rule.maxPixels}`);
  return rule;
}

function mergeEdits(where: string, base: EditCapabilities | undefined, over: ModelOverride['edits']): EditCapabilities | undefined {
  if (over === undefined) return base;
  if (over === null) return undefined;
  const merged = { ...base, ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) };
  const missing = (['maxInputImages', 'maxInputBytes', 'maxMaskBytes', 'inputFidelities'] as const).filter((field) => !(field in merged));
  if (missing.length > 0) throw new ConfigError(`${where}.edits: the model has no edit support to start from, so every field is needed; missing: ${missing.join(', ')}`);
  return merged as EditCapabilities;
}

function mergeLifecycle(base: ModelLifecycle, over: ModelOverride['lifecycle']): ModelLifecycle {
  if (over === undefined) return base;
  const retiresOn = over.retiresOn === undefined ? base.retiresOn : (over.retiresOn ?? undefined);
  return { stage: over.stage ?? base.stage, replacedBy: over.replacedBy ?? base.replacedBy, ...(retiresOn !== undefined && { retiresOn }) };
}

/** The checks that span fields: what a request without a value gets must be something the model takes. */
function checkConsistent(where: string, model: ModelCapabilities): void {
  const sizeIssue = sizeProblem(model.sizes, model.defaultSize);
  if (sizeIssue !== undefined) {
    throw new ConfigError(`${where}.defaultSize: "${model.defaultSize}" ${sizeIssue} (allowed: ${describeSizeRule(model.sizes)})`);
  }
  if (!model.qualities.includes(model.defaultQuality)) {
    throw new ConfigError(`${where}.defaultQuality: "${model.defaultQuality}" is not one of its qualities (${model.qualities.join(', ')})`);
  }
  if (model.backgrounds.includes('transparent') && !model.outputFormats.includes('png') && model.outputFormats.length > 0) {
    throw new ConfigError(`${where}.backgrounds: transparent needs png among outputFormats`);
  }
}

/**
 * The base rows with the config file's `models:` section applied: a known id has the given
 * fields replaced (a partial size rule or edit block is merged over the model's own); a new id
 * starts from the built-in model its `like` names, with an `unconfirmed` lifecycle and no
 * retirement date unless given. Throws a ConfigError naming the file, the model and the field.
 */
export function applyModelOverrides(base: readonly ModelCapabilities[], overrides: ModelOverrides, where: string): ModelCapabilities[] {
  const rows = new Map(base.map((model) => [model.id, model]));
  const result = new Map(rows);
  for (const [id, over] of Object.entries(overrides)) {
    const at = `${where}: models.${id}`;
    const existing = rows.get(id);
    let start: ModelCapabilities;
    if (existing !== undefined) {
      if (over.like !== undefined) throw new ConfigError(`${at}.like: ${id} is a built-in model; override its fields directly instead of naming a model it is like`);
      start = existing;
    } else {
      if (over.like === undefined) {
        throw new ConfigError(`${at}: "${id}" is not a built-in model (built-in: ${[...rows.keys()].join(', ')}); add like: <a built-in model> to start from, and override what differs`);
      }
      const like = rows.get(over.like);
      if (like === undefined) throw new ConfigError(`${at}.like: "${over.like}" is not a built-in model (built-in: ${[...rows.keys()].join(', ')})`);
      start = { ...like, id, lifecycle: { stage: 'unconfirmed', replacedBy: [] }, factsFrom: 'config' };
    }
    const sizes = over.sizes === undefined ? start.sizes : mergeSizes(at, start.sizes, over.sizes);
    const edits = mergeEdits(at, start.edits, over.edits);
    const model: ModelCapabilities = {
      ...start,
      sizes,
      ...(over.defaultSize !== undefined && { defaultSize: over.defaultSize }),
      ...(over.qualities !== undefined && { qualities: over.qualities }),
      ...(over.defaultQuality !== undefined && { defaultQuality: over.defaultQuality }),
      ...(over.styles !== undefined && { styles: over.styles }),
      ...(over.maxImagesPerCall !== undefined && { maxImagesPerCall: over.maxImagesPerCall }),
      ...(over.outputFormats !== undefined && { outputFormats: over.outputFormats }),
      ...(over.supportsCompression !== undefined && { supportsCompression: over.supportsCompression }),
      ...(over.backgrounds !== undefined && { backgrounds: over.backgrounds }),
      ...(over.maxPromptChars !== undefined && { maxPromptChars: over.maxPromptChars }),
      ...(over.defaultRatePerMinute !== undefined && { defaultRatePerMinute: over.defaultRatePerMinute }),
      ...(over.timeoutMs !== undefined && { timeoutMs: over.timeoutMs }),
      ...(over.expectedLatencyMs !== undefined && { expectedLatencyMs: over.expectedLatencyMs }),
      lifecycle: mergeLifecycle(start.lifecycle, over.lifecycle),
      edits,
    };
    checkConsistent(at, model);
    result.set(id, model);
  }
  for (const [id, model] of result) {
    for (const next of model.lifecycle.replacedBy) {
      if (!result.has(next)) throw new ConfigError(`${where}: models.${id}.lifecycle.replacedBy: "${next}" is not a known model (known: ${[...result.keys()].join(', ')})`);
    }
  }
  return [...result.values()];
}
