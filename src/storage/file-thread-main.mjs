// The body of a file thread (file-threads.ts): runs the folder store's per-image file calls
// with Node's synchronous API, one message per read or per write of one or more files. Plain
// JavaScript with no imports of the project's own, so the same file runs from src (tsx, vitest)
// and from dist.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';

/** Flushes a folder's own data (the names in it), as writeFileAtomic's syncFolder does. */
function syncFolder(path) {
  const folder = openSync(path, 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

/** A file call that failed, and the file it was for (its `path` may be a temp file or a folder). */
class FileFailure extends Error {
  constructor(thrown, target) {
    super(`file call for ${target} failed`);
    this.thrown = thrown;
    this.target = target;
  }
}

/** A temp file holding all of `data`, flushed: what a rename then puts in place. */
function writeTemp(tempPath, data) {
  const file = openSync(tempPath, 'wx');
  try {
    writeFileSync(file, data);
    fsyncSync(file);
  } finally {
    closeSync(file);
  }
}

/** Removes temp files a failed write leaves; one that cannot be removed is swept later. */
function removeTemps(files) {
  for (const file of files) {
    try {
      rmSync(file.tempPath, { force: true });
    } catch {
      // left for the sweep
    }
  }
}

/**
 * writeFileAtomic (write-file-atomic.ts) for several files, with synchronous calls: every
 * file's temp file written and flushed, then each renamed into place in order, then each folder
 * flushed once. An image and its record share a folder, so one flush of it makes both names
 * last, where a flush after each rename cost one more fsync per image (on the two-core VM of
 * bench:folder-store, about 0.3 to 0.6 ms of kernel time each). The record's rename still comes
 * after its image's: until the flush, a crash may keep either name or both, and on the
 * journalled filesystems Linux runs (ext4, XFS, btrfs) a rename in a folder never outlives an
 * earlier one in it; a record whose image is missing anyway reads as not kept (fs-result-store.ts).
 * A file that fails stops the rest: the files before it that are in place stay, the others'
 * temp files are removed. Throws a FileFailure naming the file.
 */
function writeFiles(files) {
  const written = [];
  for (const file of files) {
    try {
      writeTemp(file.tempPath, file.data);
      written.push(file);
    } catch (thrown) {
      removeTemps([...written, file]);
      throw new FileFailure(thrown, file.path);
    }
  }
  for (const [index, file] of files.entries()) {
    try {
      renameSync(file.tempPath, file.path);
    } catch (thrown) {
      removeTemps(files.slice(index));
      throw new FileFailure(thrown, file.path);
    }
  }
  // Every folder is flushed, a failure or not; the first failure names the first file of its
  // folder (its name, and any after it there, may not last).
  let failure;
  for (const folder of new Set(files.map((file) => dirname(file.path)))) {
    try {
      syncFolder(folder);
    } catch (thrown) {
      failure ??= new FileFailure(thrown, files.find((file) => dirname(file.path) === folder).path);
    }
  }
  if (failure !== undefined) throw failure;
}

/** The text of a file, or null when there is none. */
function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (thrown) {
    if (thrown instanceof Error && thrown.code === 'ENOENT') return null;
    throw thrown;
  }
}

/** What the other side needs to rebuild the error: Node's message and its errno fields. */
function describeError(thrown) {
  if (!(thrown instanceof Error)) return { message: String(thrown) };
  const { code, errno, syscall, path } = thrown;
  return { message: thrown.message, code, errno, syscall, path };
}

parentPort.on('message', (request) => {
  if (request.op === 'write') {
    try {
      writeFiles(request.files);
    } catch (failure) {
      const { thrown, target } = failure instanceof FileFailure ? failure : { thrown: failure, target: undefined };
      parentPort.postMessage({ id: request.id, error: { ...describeError(thrown), target } });
      return;
    }
    parentPort.postMessage({ id: request.id });
  } else if (request.op === 'read') {
    try {
      parentPort.postMessage({ id: request.id, text: readText(request.path) });
    } catch (thrown) {
      parentPort.postMessage({ id: request.id, error: { ...describeError(thrown), target: request.path } });
    }
  } else {
    parentPort.postMessage({ id: request.id, error: { message: `unknown file thread operation ${String(request.op)}` } });
  }
});
