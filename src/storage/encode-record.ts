import { StorageError } from '../errors/imgbatch-error.js';
import { imageRecordSchema, type ImageRecord } from './image-record.js';

/**
 * Validates a record about to be written under `key` and returns its stored form: pretty JSON
 * with a final newline, so people can read records in a folder or the portal. Throws a
 * non-transient StorageError instead of writing a record the store could not read back: an
 * unreadable record counts as missing, and a missing record means the image is paid for again.
 */
export function encodeRecord(key: string, record: ImageRecord): string {
  if (record.key !== key) {
    throw new StorageError(`refused record for key ${JSON.stringify(key)}: its own key is ${JSON.stringify(record.key)}`, { isTransient: false });
  }
  const parsed = imageRecordSchema.safeParse(record);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ');
    throw new StorageError(`refused record for key ${JSON.stringify(key)}: ${issues}`, { isTransient: false, cause: parsed.error });
  }
  return `${JSON.stringify(parsed.data, null, 2)}\n`;
}
