import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What the temp files of writeFileAtomic end with; a folder's leftovers of dead writers are swept by it. */
export const TEMP_SUFFIX = '.tmp';

/** A temp file beside `path` of this process's own: a dot-file (listings skip it) ending in {@link TEMP_SUFFIX}. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomUUID().slice(0, 8)}${TEMP_SUFFIX}`);
}

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one: the
 * bytes go to a temp file in the same folder (a rename is atomic only within one file
 * system), are flushed to disk, then renamed over the target.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tempPath = tempPathFor(path);
  try {
    const handle = await open(tempPath, 'wx');
    try {
      await handle.writeFile(data);
      // Without this a crash soon after the rename can leave a renamed but empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
  } catch (thrown) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw thrown;
  }
  // The rename lives in the folder's own data: until the folder is flushed too, a power cut can
  // lose the new name even though the file's bytes are on disk (rename(2), fsync(2)).
  await syncFolder(dirname(path));
}

export async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
