import { createHash } from 'node:crypto';
import type { FieldIssue } from '../errors/imgbatch-error.js';
import { parseInputSource, storeSource, type InputRef, type ResolvedEdit } from '../job/edit-input.js';
import { imageRequestSchema, type ImageRequest } from '../job/image-request.js';
import type { RequestInput } from '../job/prepare-jobs.js';
import { BUILT_IN_CATALOGUE, type ModelCatalogue } from '../models/model-catalogue.js';
import type { EditCapabilities } from '../models/model-table.js';
import { validateRequestForModel } from '../models/validate-request-for-model.js';
import { inputKey, type InputExtension } from '../storage/input-key.js';
import type { ResultStore } from '../storage/result-store.js';
import { imageInputProblem, maskProblem } from './input-problem.js';
import { InputReadError } from './input-read-error.js';
import type { InputReader } from './input-reader.js';
import { inspectImage, type InspectedImage } from './inspect-image.js';

export interface ResolveEditInputsOptions {
  readonly batchId: string;
  readonly reader: InputReader;
  /**
   * Where checked inputs are copied (the workers' result store). Absent: check only (a dry run
   * or an estimate): the jobs name the copies an enqueue would make, and nothing is written.
   */
  readonly store?: Pick<ResultStore, 'putInput'> | undefined;
  /** The folder local paths are relative to and must stay inside (the CSV's); absent: local paths are refused. */
  readonly localDir?: string | undefined;
  /** The models requests are checked against (their edit limits); default the built-in ones. */
  readonly models?: ModelCatalogue | undefined;
}

/** An input read and checked once in this enqueue, with the copy made of it, if any yet. */
interface SeenInput {
  readonly inspected: InspectedImage;
  readonly sha256: string;
  /** The bytes, until a copy is made (then the key is kept instead). */
  bytes: Uint8Array | undefined;
  storedKey: string | undefined;
}

type Looked = { readonly kind: 'seen'; readonly input: SeenInput } | { readonly kind: 'unreadable'; readonly reason: string; readonly isTransient: boolean };

/** Inputs remembered per enqueue, so one product photo or mask named by many rows is read once. */
const MAX_REMEMBERED = 256;

function isEditRequest(request: unknown): boolean {
  if (typeof request !== 'object' || request === null) return false;
  const fields = request as Record<string, unknown>;
  return fields['images'] !== undefined || fields['mask'] !== undefined;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/**
 * The enqueue stage of edits: before anything is enqueued, every input image a request names
 * is read (local path inside the CSV's folder, https URL, blob URL or store reference), checked
 * by its bytes (PNG or JPEG, under the model's limit; a mask a PNG with alpha and the first
 * image's dimensions) and copied once, by content hash, into the store under the batch. A
 * request that passes goes on with `edit` set to the copies' references and hashes; one that
 * does not goes on with an issue per bad input naming the field and the reason, so the
 * preparer refuses it and its neighbours go on. Requests without input images pass untouched.
 * Requests that fail validation anyway are not read at all: a row refused for its model or its
 * 17 images costs no download and no copy.
 */
export async function* resolveEditInputs(
  inputs: Iterable<RequestInput> | AsyncIterable<RequestInput>,
  options: ResolveEditInputsOptions,
): AsyncGenerator<RequestInput> {
  const remembered = new Map<string, Looked>();
  const models = options.models ?? BUILT_IN_CATALOGUE;

  async function look(sourceText: string, maxBytes: number): Promise<Looked> {
    const source = parseInputSource(sourceText);
    const cacheKey = `${source.kind}:${sourceText}`;
    const known = remembered.get(cacheKey);
    if (known !== undefined) {
      // Most recently used last: a Map keeps insertion order, so the first entry is the oldest.
      remembered.delete(cacheKey);
      remembered.set(cacheKey, known);
      return known;
    }
    let looked: Looked;
    try {
      const bytes = await options.reader.read(source, { maxBytes, localDir: options.localDir });
      const inspected = await inspectImage(bytes);
      looked = { kind: 'seen', input: { inspected, sha256: createHash('sha256').update(bytes).digest('hex'), bytes, storedKey: undefined } };
    } catch (thrown) {
      if (!(thrown instanceof InputReadError)) throw thrown;
      looked = { kind: 'unreadable', reason: thrown.message, isTransient: thrown.isTransient };
    }
    // A transient failure is not remembered: the next row may find the input reachable.
    if (looked.kind === 'seen' || !looked.isTransient) {
      remembered.set(cacheKey, looked);
      if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value ?? '');
    }
    return looked;
  }

  async function copy(seen: SeenInput): Promise<InputRef> {
    const extension: InputExtension = seen.inspected.format === 'jpeg' ? 'jpeg' : 'png';
    if (seen.storedKey === undefined) {
      if (options.store === undefined) {
        seen.storedKey = inputKey(options.batchId, seen.sha256, extension);
      } else {
        const key = await options.store.putInput(options.batchId, seen.bytes ?? new Uint8Array(), extension);
        if (key !== inputKey(options.batchId, seen.sha256, extension)) throw new Error(`the store named input ${seen.sha256} ${key}`);
        seen.storedKey = key;
      }
      seen.bytes = undefined;
    }
    return { source: storeSource(seen.storedKey), sha256: seen.sha256, widthPx: seen.inspected.widthPx, heightPx: seen.inspected.heightPx };
  }

  async function resolve(input: RequestInput, request: ImageRequest, edits: EditCapabilities): Promise<RequestInput> {
    const issues: FieldIssue[] = [];
    const images = request.images ?? [];
    const seenImages: SeenInput[] = [];
    for (const [index, sourceText] of images.entries()) {
      const looked = await look(sourceText, edits.maxInputBytes);
      const which = images.length > 1 ? ` (input image ${index + 1} of ${images.length})` : '';
      const problem = looked.kind === 'unreadable' ? looked.reason : imageInputProblem(looked.input.inspected, edits);
      if (problem !== undefined || looked.kind === 'unreadable') issues.push({ location: input.location, field: 'image', reason: `${quote(sourceText)}${which} ${problem ?? ''}` });
      else seenImages.push(looked.input);
    }
    let seenMask: SeenInput | undefined;
    if (request.mask !== undefined) {
      const looked = await look(request.mask, edits.maxMaskBytes);
      const first = seenImages.length === images.length ? seenImages[0] : undefined;
      if (looked.kind === 'unreadable') issues.push({ location: input.location, field: 'mask', reason: `${quote(request.mask)} ${looked.reason}` });
      else {
        // Without a readable first image there are no dimensions to compare with; its own issue says why.
        const problem = maskProblem(looked.input.inspected, first?.inspected ?? looked.input.inspected, edits);
        if (problem !== undefined) issues.push({ location: input.location, field: 'mask', reason: `${quote(request.mask)} ${problem}` });
        else seenMask = looked.input;
      }
    }
    if (issues.length > 0) return { ...input, issues };
    // One at a time: a row may name one file twice, and it is copied once.
    const refs: InputRef[] = [];
    for (const seen of seenImages) refs.push(await copy(seen));
    const edit: ResolvedEdit = { images: refs, ...(seenMask !== undefined && { mask: await copy(seenMask) }) };
    return { ...input, edit };
  }

  for await (const input of inputs) {
    if ((input.issues !== undefined && input.issues.length > 0) || !isEditRequest(input.request)) {
      yield input;
      continue;
    }
    const parsed = imageRequestSchema.safeParse(input.request);
    const model = parsed.success ? models.find(parsed.data.model) : undefined;
    // Refused anyway (the preparer says why): nothing to read.
    if (!parsed.success || model?.edits === undefined || parsed.data.images === undefined || validateRequestForModel(parsed.data, models).length > 0) {
      yield input;
      continue;
    }
    yield await resolve(input, parsed.data, model.edits);
  }
}
