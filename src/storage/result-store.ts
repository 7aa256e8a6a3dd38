import type { ImageRecord } from './image-record.js';
import type { InputExtension } from './input-key.js';

export interface StoredImage {
  readonly bytes: Uint8Array;
  /** `image/png` or `image/jpeg`. */
  readonly contentType: string;
  /** File extension without the dot: `png`, `jpeg`. */
  readonly extension: string;
}

/**
 * Where images and their records end up. Keys look like `<batch>/<request>-<variant>` and
 * are already safe as path segments (validated at the edge). Adapters do not retry: the
 * retrying wrapper owns store retries, so each write has exactly one retry owner.
 */
export interface ResultStore {
  /** Short name for logs and summaries: `fs` or `blob`. */
  readonly kind: string;
  /** Human-readable root: a folder path or a container URL. */
  readonly description: string;
  /** The record for a key, or null when the image is not done. */
  getRecord(key: string): Promise<ImageRecord | null>;
  /**
   * Writes the image bytes, then the record with `location`, `contentType` and `sizeBytes`
   * filled in. Overwrites an earlier partial write of the same key. Returns the record written.
   */
  putImage(key: string, image: StoredImage, record: ImageRecord): Promise<ImageRecord>;
  /** Writes a record without an image (a filtered result). */
  putRecord(key: string, record: ImageRecord): Promise<ImageRecord>;
  /** Every record of a batch, in no particular order; not the ones kept aside (keepAside). */
  listRecords(batchId: string): AsyncIterable<ImageRecord>;
  /**
   * Moves the image and record at `key` aside, to `<batch>/previous/<request>-<variant>.<tag>`
   * (`tag`: the record's fingerprint, else its creation time), so that the key is free for a
   * new image while the previous one stays beside it: a changed row made again loses nothing
   * paid for. Returns the record as kept aside (its `location` the new place), or null when
   * the key holds nothing. Safe to repeat after a failure part way.
   */
  keepAside(key: string): Promise<ImageRecord | null>;
  /**
   * The image bytes of a stored record, or null when the record has no image or the image is
   * gone. Only the extension is taken from `location`; the path or blob name is built from the
   * key, so a record edited by hand cannot steer a read outside the store, and a folder store
   * moved to another root still reads. Throws a non-transient StorageError for a location
   * that does not end in the key's own file name.
   */
  readImage(record: Pick<ImageRecord, 'key' | 'location'>): Promise<StoredImage | null>;
  /**
   * Copies an input image of an edit into the batch, named by the SHA-256 of its bytes, so
   * workers on any machine read exactly what was checked at enqueue: `<batch>/inputs/<sha256>.<ext>`
   * (see inputKey). Storing the same bytes again writes nothing new. Returns the key.
   */
  putInput(batchId: string, bytes: Uint8Array, extension: InputExtension): Promise<string>;
  /** The bytes of an input by its key, or null when there is none. Throws a non-transient StorageError for a key not of the input form. */
  getInput(key: string): Promise<Uint8Array | null>;
  close(): Promise<void>;
}
