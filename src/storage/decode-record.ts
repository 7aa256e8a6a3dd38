import { imageRecordSchema, type ImageRecord } from './image-record.js';

/**
 * Reads a stored record, or returns null when the text is not a valid record. Callers treat
 * null as "not done", so a damaged record costs one image made again instead of a batch that
 * can never finish; stores write records atomically, so damage means outside interference.
 */
export function decodeRecord(text: string): ImageRecord | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = imageRecordSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
