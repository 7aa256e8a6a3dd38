import { createHash } from 'node:crypto';
import type { EditCallInputs, LoadedInput } from '../azure/edit-images.js';
import { imageInputProblem, maskProblem } from '../inputs/input-problem.js';
import { InputReadError } from '../inputs/input-read-error.js';
import type { InputReader } from '../inputs/input-reader.js';
import { inspectImage, type InspectedImage } from '../inputs/inspect-image.js';
import { parseInputSource, type EditInputs, type InputRef } from '../job/edit-input.js';
import type { EditCapabilities } from '../models/model-table.js';

export type EditLoad =
  | { readonly kind: 'loaded'; readonly inputs: EditCallInputs }
  /** No call: the input is gone or changed (`failed`), or breaks the rules (`rejected`). */
  | { readonly kind: 'refused'; readonly outcome: 'failed' | 'rejected'; readonly reason: string }
  /** The input could not be read now (network, store outage); try again later. */
  | { readonly kind: 'unavailable'; readonly reason: string };

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}

/**
 * The worker's stage before an edit call: reads every input the job names (store copy, URL or
 * blob), and refuses the call, with the reason, when one cannot be read, when its bytes are not
 * the ones enqueued (a different SHA-256: changed since), or when it breaks the model's rules (a
 * job from another producer is checked here for the first time). Holds the bytes for the call:
 * the hash is checked on exactly what is sent.
 */
export async function loadEditInputs(reader: InputReader, edit: EditInputs, limits: EditCapabilities): Promise<EditLoad> {
  const many = edit.images.length > 1;
  async function load(ref: InputRef, what: string, maxBytes: number): Promise<{ loaded: LoadedInput; inspected: InspectedImage } | Exclude<EditLoad, { kind: 'loaded' }>> {
    let bytes: Uint8Array;
    try {
      bytes = await reader.read(parseInputSource(ref.source), { maxBytes });
    } catch (thrown) {
      if (!(thrown instanceof InputReadError)) throw thrown;
      const reason = `${what} (${ref.source}) ${thrown.message}`;
      return thrown.isTransient ? { kind: 'unavailable', reason } : { kind: 'refused', outcome: 'failed', reason: `${reason}; no call made` };
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== ref.sha256) {
      return {
        kind: 'refused',
        outcome: 'failed',
        reason: `${what} (${ref.source}) changed after it was enqueued: its SHA-256 is ${short(sha256)}, the job expects ${short(ref.sha256)}; no call made`,
      };
    }
    const inspected = await inspectImage(bytes);
    return { loaded: { bytes, extension: inspected.format === 'jpeg' ? 'jpeg' : 'png', widthPx: inspected.widthPx, heightPx: inspected.heightPx }, inspected };
  }

  const images: LoadedInput[] = [];
  let first: InspectedImage | undefined;
  for (const [index, ref] of edit.images.entries()) {
    const what = many ? `input image ${index + 1} of ${edit.images.length}` : 'the input image';
    const result = await load(ref, what, limits.maxInputBytes);
    if ('kind' in result) return result;
    const problem = imageInputProblem(result.inspected, limits);
    if (problem !== undefined) return { kind: 'refused', outcome: 'rejected', reason: `${what} (${ref.source}) ${problem}; no call made` };
    first ??= result.inspected;
    images.push(result.loaded);
  }
  if (edit.mask === undefined || first === undefined) return { kind: 'loaded', inputs: { images } };
  const mask = await load(edit.mask, 'the mask', limits.maxMaskBytes);
  if ('kind' in mask) return mask;
  const problem = maskProblem(mask.inspected, first, limits);
  if (problem !== undefined) return { kind: 'refused', outcome: 'rejected', reason: `the mask (${edit.mask.source}) ${problem}; no call made` };
  return { kind: 'loaded', inputs: { images, mask: mask.loaded } };
}
