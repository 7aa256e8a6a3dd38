/** Room for everything in an answer besides the images: JSON keys, revised prompts, filter results, usage. */
const ANSWER_OVERHEAD_BYTES = 1_048_576;

/**
 * The largest body an images call for `images` images may answer with: each image at most
 * `maxImageBytes`, as base64 (4 characters for 3 bytes), plus the rest of the JSON.
 */
export function maxImagesResponseBytes(images: number, maxImageBytes: number): number {
  return Math.max(1, images) * Math.ceil(maxImageBytes / 3) * 4 + ANSWER_OVERHEAD_BYTES;
}
