import type { StoredImage } from '../storage/result-store.js';
import { makeThumbnail, type ThumbnailOptions } from './make-thumbnail.js';

export interface ThumbnailDataUriOptions extends ThumbnailOptions {
  /** Largest image embedded as it is when no thumbnail can be made, bytes. Default 524288 (512 KiB). */
  readonly maxOriginalBytes?: number;
}

/** Types a browser shows in an `<img>`; anything else is never embedded. */
const EMBEDDABLE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

function dataUri(contentType: string, bytes: Uint8Array): string {
  return `data:${contentType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/**
 * A `data:` URI for an image in a self-contained page: a small JPEG thumbnail when the image
 * can be decoded here, else the image itself if it is small enough, else undefined (the page
 * shows a placeholder). Keeps a contact sheet of a few hundred images to a few megabytes.
 */
export async function thumbnailDataUri(image: StoredImage, options: ThumbnailDataUriOptions = {}): Promise<string | undefined> {
  const thumbnail = await makeThumbnail(image, options);
  if (thumbnail !== undefined) return dataUri(thumbnail.contentType, thumbnail.bytes);
  const maxOriginalBytes = options.maxOriginalBytes ?? 512 * 1024;
  if (EMBEDDABLE_TYPES.has(image.contentType) && image.bytes.byteLength <= maxOriginalBytes) return dataUri(image.contentType, image.bytes);
  return undefined;
}
