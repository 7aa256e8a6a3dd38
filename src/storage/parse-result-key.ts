import { StorageError } from '../errors/imgbatch-error.js';

/** A result key split into the two path segments every store lays out. */
export interface ResultKey {
  readonly batchId: string;
  /** `<request>-<variant>`: the image's and the record's name without extension. */
  readonly name: string;
}

// The same characters the edge allows in ids (src/job/image-request.ts). Checked again here
// because a store turns keys into file paths and blob names: if a bug or a producer in
// another language lets `..`, `/`, `\` or a drive letter through, it must stop here rather
// than write outside the store's root.
const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;

function isSafeSegment(segment: string): boolean {
  return SAFE_SEGMENT.test(segment) && segment !== '.' && segment !== '..';
}

function refuse(what: string, value: string, reason: string): StorageError {
  // Not transient: the same name is refused on every try.
  return new StorageError(`refused ${what} ${JSON.stringify(value)}: ${reason}`, { isTransient: false });
}

/**
 * Splits `<batch>/<request>-<variant>` into its segments, or throws a non-transient
 * StorageError for any key that could leave a store's root (`..`, absolute, backslash, empty
 * segment, more or fewer than one `/`, characters outside letters, digits, `.`, `_`, `-`).
 */
export function parseResultKey(key: string): ResultKey {
  const segments = key.split('/');
  const [batchId, name] = segments;
  if (segments.length !== 2 || batchId === undefined || name === undefined) {
    throw refuse('key', key, 'expected exactly one "/" as in <batch>/<request>-<variant>');
  }
  if (!isSafeSegment(batchId) || !isSafeSegment(name)) {
    throw refuse('key', key, 'each segment must be non-empty, not "." or "..", and hold only letters, digits, ".", "_" and "-"');
  }
  return { batchId, name };
}

/** Checks a batch id used as one path segment, with the same rules as a key's first segment. */
export function parseBatchId(batchId: string): string {
  if (!isSafeSegment(batchId)) {
    throw refuse('batch id', batchId, 'must be non-empty, not "." or "..", and hold only letters, digits, ".", "_" and "-"');
  }
  return batchId;
}

/**
 * Checks an image file extension. `json` and `tmp` are refused because an image with them
 * would overwrite its own record or be mistaken for an unfinished write.
 */
export function parseImageExtension(extension: string): string {
  if (!/^[a-z0-9]{1,10}$/.test(extension)) {
    throw refuse('image extension', extension, 'must be 1 to 10 lowercase letters or digits, without the dot');
  }
  if (extension === 'json' || extension === 'tmp') {
    throw refuse('image extension', extension, 'is reserved for records and unfinished writes');
  }
  return extension;
}
