import { contentFilterDetails, isJsonObject, stringField } from '../errors/content-filter-details.js';
import type { Decision, FilterDetails } from '../errors/decision.js';

/** One image the service returned; exactly one of `bytes` / `url` is set. */
export interface GeneratedImage {
  /** Position in the response's `data`, i.e. the n-th image of the call (0-based). */
  readonly index: number;
  /** The image's bytes, from its `b64_json` (gpt-image family; dall-e-3 with `response_format: b64_json`). */
  readonly bytes?: Uint8Array;
  /** Where to download the image (dall-e-3 default); expires after about 24 h. */
  readonly url?: string;
  /** The prompt the service actually used (dall-e-3 rewrites prompts). */
  readonly revisedPrompt?: string;
}

/** One image position the output filter refused; the call itself succeeded. */
export interface FilteredImage {
  readonly index: number;
  readonly filter: FilterDetails;
}

/** A `data` item that is neither an image nor a filter verdict. */
export interface UnusableItem {
  readonly index: number;
  readonly reason: string;
}

/**
 * What a 200 means for the worker: either images to store (and image positions to record as
 * filtered, and positions it could not use), or one decision for the whole call.
 */
export type ImagesOutcome =
  | {
      readonly kind: 'images';
      /** Store each. */
      readonly images: readonly GeneratedImage[];
      /** Record each as filtered (stage `output`); never call again for them. */
      readonly filtered: readonly FilteredImage[];
      /** Items that held nothing usable; the images at these positions did not arrive. */
      readonly unusable: readonly UnusableItem[];
      /** Token usage as the service reported it (gpt-image family), for billing records. */
      readonly usage?: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'decision'; readonly decision: Decision };

function malformed(message: string): ImagesOutcome {
  // The service answered 200, so it may well have generated (and billed) the images we
  // cannot read.
  return { kind: 'decision', decision: { kind: 'transient', code: 'malformed_response', message, mayHaveBilled: true, status: 200 } };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `text ${JSON.stringify(value.slice(0, 80))}`;
  return typeof value;
}

/**
 * A `b64_json` value's bytes: decoded already when the body came from parseImagesBody (a
 * Uint8Array), decoded here when it is still the base64 text.
 */
function imageBytesOf(value: unknown): Uint8Array | undefined {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
  // An empty value holds no image: the item is unusable, not an image of no bytes.
  return bytes instanceof Uint8Array && bytes.byteLength > 0 ? bytes : undefined;
}

function readItem(item: unknown, index: number): GeneratedImage | FilteredImage | UnusableItem {
  if (!isJsonObject(item)) return { index, reason: `item is ${describe(item)}, not an object` };
  if (item['error'] !== undefined) {
    // A verdict inside a 200 is always about the output: the prompt filter refuses the whole call.
    const filter = contentFilterDetails(item['error'], 'output');
    if (filter !== undefined) return { index, filter: { ...filter, stage: 'output' } };
    const error = isJsonObject(item['error']) ? item['error'] : undefined;
    return { index, reason: `item error ${stringField(error, 'code') ?? '?'}: ${stringField(error, 'message') ?? ''}`.trim() };
  }
  const bytes = imageBytesOf(item['b64_json']);
  const url = stringField(item, 'url');
  const revisedPrompt = stringField(item, 'revised_prompt');
  const extra = revisedPrompt === undefined ? {} : { revisedPrompt };
  if (bytes !== undefined) return { index, bytes, ...extra };
  if (url !== undefined) return { index, url, ...extra };
  return { index, reason: 'item has neither b64_json nor url' };
}

/**
 * Reads the body of an images call that came back with HTTP 200 (as parseImagesBody gives it, or
 * as plain JSON with its images in base64). Azure can put a filter verdict inside a 200, per
 * item (`data: [{url}, {error: {code: "contentFilter"}}]`) or for the whole call
 * (`{created, error: {code: "contentFilter"}}`), so a 200 is not yet a success.
 * Shapes: the recorded responses in test/fixtures/azure-image-responses.json (Azure SDK test
 * recordings of real calls, api-versions 2024-10-21 and 2025-04-01-preview).
 */
export function readImagesResponse(body: unknown): ImagesOutcome {
  if (!isJsonObject(body)) return malformed(`the 200 response body is ${describe(body)}, not a JSON object`);

  const data = body['data'];
  if (body['error'] !== undefined && !(Array.isArray(data) && data.length > 0)) {
    // The docs show the output filter answering this way, with status 200.
    const filter = contentFilterDetails(body['error'], 'output');
    if (filter !== undefined) return { kind: 'decision', decision: { kind: 'filtered', filter } };
    const error = isJsonObject(body['error']) ? body['error'] : undefined;
    return {
      kind: 'decision',
      decision: {
        kind: 'transient',
        code: stringField(error, 'code') ?? 'error_in_200',
        message: stringField(error, 'message') ?? 'the 200 response holds an error and no images',
        mayHaveBilled: true,
        status: 200,
      },
    };
  }
  if (!Array.isArray(data) || data.length === 0) return malformed('the 200 response has no images in "data"');

  const images: GeneratedImage[] = [];
  const filtered: FilteredImage[] = [];
  const unusable: UnusableItem[] = [];
  data.forEach((item: unknown, index) => {
    const read = readItem(item, index);
    if ('filter' in read) filtered.push(read);
    else if ('reason' in read) unusable.push(read);
    else images.push(read);
  });
  if (images.length === 0 && filtered.length === 0) {
    return malformed(`the 200 response has no usable images (${unusable.map((item) => item.reason).join('; ')})`);
  }
  const usage = isJsonObject(body['usage']) ? body['usage'] : undefined;
  return { kind: 'images', images, filtered, unusable, ...(usage === undefined ? {} : { usage }) };
}
