import { randomUUID } from 'node:crypto';

export interface StoredImageFile {
  readonly bytes: Buffer;
  readonly contentType: string;
}

export interface ImageFileStore {
  /** Keeps the image and returns its file name (`<uuid>.png`), the last segment of its URL. */
  put(file: StoredImageFile, extension: string): string;
  get(fileName: string): StoredImageFile | undefined;
  readonly size: number;
}

/**
 * The simulator's stand-in for the blob storage behind dall-e-3 `url` responses: in memory and
 * bounded, dropping the oldest image first (real URLs expire too, after about 24 h).
 */
export function createImageFileStore(maxFiles: number): ImageFileStore {
  // Map iteration order is insertion order, so the first key is the oldest file.
  const files = new Map<string, StoredImageFile>();
  return {
    put(file, extension) {
      const fileName = `${randomUUID()}.${extension}`;
      files.set(fileName, file);
      while (files.size > maxFiles) {
        const oldest = files.keys().next();
        if (oldest.done === true) break;
        files.delete(oldest.value);
      }
      return fileName;
    },
    get(fileName) {
      return files.get(fileName);
    },
    get size() {
      return files.size;
    },
  };
}
