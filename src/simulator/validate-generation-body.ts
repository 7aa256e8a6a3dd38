import type { ModelCapabilities, OutputFormat, ResponseFormat } from '../models/model-table.js';
import type { SizeRule } from '../models/size-rule.js';

/** A generations call after the service's checks, with the model's defaults filled in. */
export interface GenerationRequest {
  readonly prompt: string;
  readonly n: number;
  readonly size: string;
  readonly quality: string;
  readonly responseFormat: ResponseFormat;
  readonly outputFormat: OutputFormat;
  readonly outputCompression: number | undefined;
  readonly background: string | undefined;
}

export type BodyCheck =
  | { readonly isValid: true; readonly request: GenerationRequest }
  | {
      readonly isValid: false;
      /** The property the 400 names, as the service spells it (`quality`, `response_format`). */
      readonly property: string;
    };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The service's size check: a listed size, or for custom sizes Azure's rule ("Both edges must
 * be a multiple of 16 pixels. Long edge up to 3840 px (4K). Aspect ratio up to 3:1. Total
 * pixel count between 655,360 and 8,294,400", image how-to 2026-04-17), or `auto`.
 */
function isSizeAccepted(size: unknown, rule: SizeRule): size is string {
  if (typeof size !== 'string') return false;
  if (rule.kind === 'list') return rule.sizes.includes(size);
  if (size === 'auto') return rule.allowsAuto;
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (match === null) return false;
  const width = Number(match[1]);
  const height = Number(match[2]);
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  return (
    short > 0 &&
    width % rule.multipleOfPx === 0 &&
    height % rule.multipleOfPx === 0 &&
    long <= rule.maxEdgePx &&
    long <= short * rule.maxAspectRatio &&
    width * height >= rule.minPixels &&
    width * height <= rule.maxPixels
  );
}

/**
 * The service's own parameter checks against the model's row in the model table. Written
 * separately from the client-side `validateRequestForModel` on purpose: the simulator stands in
 * for Azure, so sharing the client's checks would hide the client's mistakes. Unknown fields
 * (the SDK always sends `model`) are ignored, and `null` counts as absent, as on the real API.
 * The first failing property is reported, as the real 400 names only one.
 */
export function validateGenerationBody(body: unknown, model: ModelCapabilities): BodyCheck {
  const fields = isRecord(body) ? body : {};
  const field = (name: string): unknown => fields[name] ?? undefined;
  const invalid = (property: string): BodyCheck => ({ isValid: false, property });
  const isOneOf = (value: unknown, allowed: readonly string[]): value is string =>
    typeof value === 'string' && allowed.includes(value);

  const prompt = field('prompt');
  if (typeof prompt !== 'string' || prompt.trim() === '' || prompt.length > model.maxPromptChars) return invalid('prompt');

  const n = field('n') ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > model.maxImagesPerCall) return invalid('n');

  const size = field('size') ?? model.defaultSize;
  if (!isSizeAccepted(size, model.sizes)) return invalid('size');

  const quality = field('quality') ?? model.defaultQuality;
  if (!isOneOf(quality, model.qualities)) return invalid('quality');

  const style = field('style');
  if (style !== undefined && !isOneOf(style, model.styles)) return invalid('style');

  const rawResponseFormat = field('response_format');
  if (rawResponseFormat !== undefined && !model.acceptsResponseFormat) return invalid('response_format');
  // dall-e-3 answers with a URL unless asked for b64_json; models without a choice have one format.
  const responseFormat = rawResponseFormat ?? (model.responseFormats.includes('url') ? 'url' : model.responseFormats[0]);
  if (responseFormat !== 'url' && responseFormat !== 'b64_json') return invalid('response_format');
  if (!model.responseFormats.includes(responseFormat)) return invalid('response_format');

  const rawOutputFormat = field('output_format');
  if (rawOutputFormat !== undefined && !isOneOf(rawOutputFormat, model.outputFormats)) return invalid('output_format');
  const outputFormat: OutputFormat = rawOutputFormat === 'jpeg' ? 'jpeg' : 'png';

  const outputCompression = field('output_compression');
  if (
    outputCompression !== undefined &&
    (!model.supportsCompression ||
      typeof outputCompression !== 'number' ||
      !Number.isInteger(outputCompression) ||
      outputCompression < 0 ||
      outputCompression > 100)
  ) {
    return invalid('output_compression');
  }

  const background = field('background');
  if (background !== undefined && !isOneOf(background, model.backgrounds)) return invalid('background');
  // A transparent background needs an alpha channel, which JPEG lacks.
  if (background === 'transparent' && outputFormat !== 'png') return invalid('background');

  const user = field('user');
  if (user !== undefined && typeof user !== 'string') return invalid('user');

  return {
    isValid: true,
    request: { prompt, n, size, quality, responseFormat, outputFormat, outputCompression, background },
  };
}
