import { boundedFetch } from '../net/bounded-fetch.js';
import { FetchError } from '../net/fetch-error.js';
import { sniffImageType } from './image-type.js';

/** The rules a download of a generated image follows (see boundedFetch for what each means). */
export interface ImageDownloadOptions {
  /** Largest image accepted, bytes; required. */
  readonly maxBytes: number;
  /** Longest the whole download may take, ms; required. */
  readonly timeoutMs: number;
  /** Allow private and link-local addresses; default false. */
  readonly allowPrivateAddresses?: boolean;
  /** Allow loopback addresses and plain http to them (a local simulator); default false. */
  readonly allowLoopback?: boolean;
}

/**
 * Fetches an image the service left at a URL (dall-e-3's default answer) under the rules of
 * every outbound fetch: https only, no private or link-local address, no redirect to another
 * host, a size cap and a timeout. The bytes must be a PNG, JPEG or WEBP by their signature:
 * whatever else a URL answers (an error page, a login form) is not stored as an image.
 *
 * Makes one try. The image is already paid for, so a failure is not the end: the processor
 * keeps the URL (valid about 24 h) and tries again later without a new call
 * (keepPendingDownloads); `FetchError.isTransient` says whether trying again can help.
 *
 * @throws FetchError naming the URL (without its query, where a SAS token travels) and the rule it broke.
 */
export async function downloadImage(url: string, options: ImageDownloadOptions): Promise<Uint8Array> {
  const fetched = await boundedFetch(url, options);
  if (sniffImageType(fetched.bytes) === undefined) {
    const declared = fetched.contentType === undefined ? '' : ` (declared ${fetched.contentType})`;
    throw new FetchError(fetched.url, 'not_image', `the body is not a PNG, JPEG or WEBP image${declared}`);
  }
  return new Uint8Array(fetched.bytes.buffer, fetched.bytes.byteOffset, fetched.bytes.byteLength);
}
