// The body of a file thread (file-threads.ts): runs the folder store's per-image file calls
// with Node's synchronous API, one message per read or per write of one or more files. Plain JavaScript with no imports
// of the project's own, so the same file runs from src (tsx, vitest) and from dist.
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

/** writeFileAtomic (write-file-atomic.ts) with synchronous calls: temp file, flushed, renamed, folder flushed. */
function writeAtomic(path, tempPath, data) {
  try {
    const file = openSync(tempPath, 'wx');
    try {
      writeFileSync(file, data);
      fsyncSync(file);
    } finally {
      closeSync(file);
    }
    renameSync(tempPath, path);
  } catch (thrown) {
    // The write's own error is the one to report (its code decides a retry): a temp file that
    // cannot be removed is swept later.
    try {
      rmSync(tempPath, { force: true });
    } catch {
      // left for the sweep
    }
    throw thrown;
  }
  syncFolder(dirname(path));
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
    // In order, each whole: a file that fails stops the rest (an image's record never goes
    // without the image before it).
    for (const file of request.files) {
      try {
        writeAtomic(file.path, file.tempPath, file.data);
      } catch (thrown) {
        parentPort.postMessage({ id: request.id, error: { ...describeError(thrown), target: file.path } });
        return;
      }
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
