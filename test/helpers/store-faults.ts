import { execFile } from 'node:child_process';
import { open, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ResultStore } from '../../src/storage/result-store.js';
import { toStorageError } from '../../src/storage/to-storage-error.js';

const run = promisify(execFile);

/**
 * Mounts a tmpfs of `sizeBytes` on `dir`: a real disk that fills up and can be made read-only.
 * False where the machine does not allow mounts (no CAP_SYS_ADMIN); the caller then breaks the
 * store through its seam instead.
 */
export async function tryMountTmpfs(dir: string, sizeBytes: number): Promise<boolean> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
    return true;
  } catch {
    return false;
  }
}

export async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]);
}

/** Remounts `dir` read-only or read-write; a remount to read-only fails (busy) while a writer has a file open, so it is tried again. */
export async function remount(dir: string, mode: 'ro' | 'rw'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('mount', ['-o', `remount,${mode}`, dir]);
      return;
    } catch (error) {
      if (attempt >= 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Writes a file that takes every free block of the file system under `dir`; returns its path. */
export async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler.bin');
  const handle = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(1024 * 1024, 1);
    for (;;) {
      const info = await statfs(dir);
      if (info.bavail === 0) return path;
      try {
        await handle.write(chunk.subarray(0, Math.min(chunk.length, info.bavail * info.bsize)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return path;
        throw error;
      }
    }
  } finally {
    await handle.close();
  }
}

/** A store whose writes fail the way the folder store's do for `errno` while `isBroken` (the ResultStore port is the seam). */
export interface FaultyStore extends ResultStore {
  isBroken: boolean;
}

export function createFaultyStore(inner: ResultStore, errno: 'ENOSPC' | 'EROFS' | 'EACCES'): FaultyStore {
  const fail = (action: string): Error => toStorageError(Object.assign(new Error(`${errno}: simulated, ${action}`), { code: errno }), action);
  const faulty: FaultyStore = {
    isBroken: false,
    kind: inner.kind,
    description: inner.description,
    getRecord: (key) => inner.getRecord(key),
    putImage: (key, image, record) => (faulty.isBroken ? Promise.reject(fail(`write image ${key}`)) : inner.putImage(key, image, record)),
    putRecord: (key, record) => (faulty.isBroken ? Promise.reject(fail(`write record ${key}`)) : inner.putRecord(key, record)),
    keepAside: (key) => (faulty.isBroken ? Promise.reject(fail(`keep aside ${key}`)) : inner.keepAside(key)),
    listRecords: (batchId) => inner.listRecords(batchId),
    readImage: (record) => inner.readImage(record),
    putInput: (batchId, bytes, extension) => inner.putInput(batchId, bytes, extension),
    getInput: (key) => inner.getInput(key),
    close: () => inner.close(),
  };
  return faulty;
}
