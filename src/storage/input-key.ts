import { StorageError } from '../errors/imgbatch-error.js';
import { parseBatchId } from './parse-result-key.js';

/** The file types an edit's input images come in (Azure: "must be a PNG or JPG file"). */
export const INPUT_EXTENSIONS = ['png', 'jpeg'] as const;
export type InputExtension = (typeof INPUT_EXTENSIONS)[number];

/** An input key split into its parts. */
export interface InputKey {
  readonly batchId: string;
  /** Lowercase hex SHA-256 of the bytes. */
  readonly sha256: string;
  readonly extension: InputExtension;
}

const INPUT_KEY = /^([^/]+)\/inputs\/([0-9a-f]{64})\.(png|jpeg)$/;

/**
 * Where a batch's copy of an input image lives, relative to a store's root:
 * `<batch>/inputs/<sha256>.<png|jpeg>`. Named by content, so an image used by many rows is
 * stored once, and a reader can tell that the bytes are the ones named.
 */
export function inputKey(batchId: string, sha256: string, extension: InputExtension): string {
  const key = `${parseBatchId(batchId)}/inputs/${sha256}.${extension}`;
  parseInputKey(key);
  return key;
}

/** Splits an input key, or throws a non-transient StorageError for anything else (it could name a path outside the store). */
export function parseInputKey(key: string): InputKey {
  const match = INPUT_KEY.exec(key);
  const [, batchId, sha256, extension] = match ?? [];
  if (batchId === undefined || sha256 === undefined || (extension !== 'png' && extension !== 'jpeg')) {
    throw new StorageError(`refused input key ${JSON.stringify(key)}: expected <batch>/inputs/<64 hex digits>.png or .jpeg`, { isTransient: false });
  }
  return { batchId: parseBatchId(batchId), sha256, extension };
}
