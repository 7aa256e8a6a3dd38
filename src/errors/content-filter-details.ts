import type { FilterDetails, FilterStage } from './decision.js';

/**
 * Reads the content-filter verdict out of an Azure `error` object, in every spelling the
 * service has used (test/fixtures/azure-image-responses.json, the content filter cases):
 * `content_policy_violation` / `contentFilter` / `content_filter` codes, an inner
 * `ResponsibleAIPolicyViolation`, `inner_error` or `innererror`, and `content_filter_results`
 * or `content_filter_result`. Shared by `classifyError` (thrown 4xx) and `readImagesResponse`
 * (filter verdicts inside a 200), so the two cannot drift apart.
 */

type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function objectField(object: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = object?.[key];
  return isJsonObject(value) ? value : undefined;
}

/** Compare codes ignoring case and separators: `contentFilter` = `content_filter`. */
function normalizeCode(code: string | undefined): string {
  return (code ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

const FILTER_CODES: ReadonlySet<string> = new Set([
  'contentpolicyviolation',
  'contentfilter',
  'responsibleaipolicyviolation',
]);

function isFilterCode(code: string | undefined): boolean {
  return FILTER_CODES.has(normalizeCode(code));
}

/** True for `{filtered: true}`, or a list (newer `custom_blocklists`) holding one. */
function isFlagged(verdict: unknown): boolean {
  if (Array.isArray(verdict)) return verdict.some(isFlagged);
  return isJsonObject(verdict) && verdict['filtered'] === true;
}

/** The harm categories marked `filtered: true`, in the order the service listed them. */
function flaggedCategories(results: JsonObject | undefined): string[] {
  if (results === undefined) return [];
  return Object.entries(results)
    .filter(([, verdict]) => isFlagged(verdict))
    .map(([category]) => category);
}

/**
 * Only the docs' message distinguishes the output filter from the prompt filter ("Generated
 * image was filtered as a result of our safety system." vs "Your task failed ..."); the code
 * is the same `contentFilter` for both.
 */
function stageFrom(message: string, defaultStage: FilterStage): FilterStage {
  return /generated image/i.test(message) ? 'output' : defaultStage;
}

/**
 * The filter details when `errorObject` (the value of a body's `error` key) is a content-filter
 * refusal, else undefined.
 *
 * @param defaultStage - the stage when the message does not say the generated image was
 *   filtered: `prompt` for a refused call, `output` for a verdict inside a 200.
 */
export function contentFilterDetails(errorObject: unknown, defaultStage: FilterStage): FilterDetails | undefined {
  if (!isJsonObject(errorObject)) return undefined;
  const inner =
    objectField(errorObject, 'inner_error') ?? objectField(errorObject, 'innererror') ?? objectField(errorObject, 'innerError');
  const results =
    objectField(inner, 'content_filter_results') ??
    objectField(inner, 'content_filter_result') ??
    objectField(errorObject, 'content_filter_results') ??
    objectField(errorObject, 'content_filter_result');
  const code = stringField(errorObject, 'code');
  const innerCode = stringField(inner, 'code');
  const categories = flaggedCategories(results);
  if (!isFilterCode(code) && !isFilterCode(innerCode) && categories.length === 0) return undefined;

  const message = stringField(errorObject, 'message') ?? '';
  const revisedPrompt = stringField(inner, 'revised_prompt') ?? stringField(errorObject, 'revised_prompt');
  return {
    stage: stageFrom(message, defaultStage),
    categories,
    ...(revisedPrompt === undefined ? {} : { revisedPrompt }),
    code: code ?? innerCode ?? 'content_filter',
    message,
  };
}
