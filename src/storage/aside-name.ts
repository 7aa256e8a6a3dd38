import type { ImageRecord } from './image-record.js';

/** The folder inside a batch where images made for an earlier version of a row are kept. */
export const ASIDE_FOLDER = 'previous';

/**
 * The name (without extension) an image and its record get when kept aside: `<name>.<tag>`,
 * the tag being the record's fingerprint (one file per request the row ever asked), else its
 * creation time in digits. Letters, digits, `.`, `_` and `-` only, like every name in a store.
 */
export function asideName(name: string, record: Pick<ImageRecord, 'fingerprint' | 'createdAt'>): string {
  // Cleaned either way: a record is data, and this becomes a path segment.
  const tag = (record.fingerprint ?? record.createdAt).replace(/[^A-Za-z0-9]/g, '').slice(0, 64);
  return `${name}.${tag === '' ? 'unknown' : tag}`;
}
