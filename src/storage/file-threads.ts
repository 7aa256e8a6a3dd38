import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { tempPathFor } from './write-file-atomic.js';

/**
 * Threads of this process that run the folder store's per-image file calls (write an image and
 * its record atomically, read a record) with Node's synchronous API: one message for the writes
 * of an image and its record, and one per read of a file that is there (a missing one is told
 * by a stat here: {@link SLOW_STAT_MS}).
 * Through `fs/promises` the same write is eight calls (open, write, flush, close, rename, and
 * the folder's open, flush, close), each a round trip to libuv's thread pool that wakes a pool
 * thread and then the main thread; at a few dozen images a second every one of them finds both
 * asleep. `npm run bench:folder-store` (a two-core VM, paced at 40 images a second, 2026-12-07):
 * 1.80 ms of CPU per image for a record read and an image with its record written through the
 * store, 2.84 ms for the same calls through fs/promises, 0.16 ms for the pacing alone (then with
 * the stat and one flush of the folder per image, on a slower disk: 2.43 against 4.17). The
 * same writes made synchronously on the main thread would block it for about 3.4 ms per image.
 *
 * A write goes to the first idle thread, a new one up to {@link MAX_FILE_THREADS}, or the one
 * with the fewest waiting: under light load one thread does everything (and stays warm); on a
 * slow disk (a flush can take 10 ms) several write side by side. Threads are started on first
 * use and do not keep the process alive while idle.
 */
export interface FileThreads {
  /**
   * writeFileAtomic on a thread, file after file in one message: each file is either the old one
   * or all of its data, flushed with its folder. The first that fails stops the rest; the
   * error, as Node's fs throws it, is a {@link FileThreadError} naming that file.
   */
  writeAtomic(files: readonly FileToWrite[]): Promise<void>;
  /**
   * The file's text, or null when there is no such file. With `statFirst` (a local disk:
   * isLocalFilesystem), a file that is not there is answered without a thread: {@link SLOW_STAT_MS}.
   */
  readText(path: string, options?: { readonly statFirst?: boolean }): Promise<string | null>;
}

export interface FileToWrite {
  readonly path: string;
  readonly data: Uint8Array | string;
}

/**
 * On a local disk (`statFirst`), whether a file is there is asked on the main thread first, one
 * stat, and only a file that is there is read on a thread: most reads are the "already kept?"
 * look for an image not made yet. Never on a network filesystem, where a stat blocks for as long
 * as the server does not answer (a hard-mounted share that hangs would stop the whole worker,
 * its lock renewals too).
 * A round trip to a sleeping thread costs about 0.4 ms of CPU on a two-core VM, a stat of a
 * missing file about 0.05 ms (paced at one every 5 ms, 2026-12-07). A stat that blocks the main
 * thread longer than this (a disk under heavy load) sends every read to the threads for
 * {@link READ_ON_THREAD_MS}.
 */
export const SLOW_STAT_MS = 2;

/** How long reads go to the threads after a slow stat, ms; then a stat is tried again. */
export const READ_ON_THREAD_MS = 60_000;

/** Threads a process runs at most: a few flushes side by side keep up with a slow disk. */
export const MAX_FILE_THREADS = 4;

interface ErrorFields {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;
  readonly target?: string;
}

/** A file call that failed on a thread, with Node's fields (`code`, `errno`, `syscall`, `path`) and the file it was for. */
export class FileThreadError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  /** The file being written or read (`path` may be its temp file or its folder). */
  readonly target: string | undefined;

  constructor(fields: ErrorFields) {
    super(fields.message);
    this.name = 'FileThreadError';
    this.target = fields.target;
    if (fields.code !== undefined) this.code = fields.code;
    if (fields.errno !== undefined) this.errno = fields.errno;
    if (fields.syscall !== undefined) this.syscall = fields.syscall;
    if (fields.path !== undefined) this.path = fields.path;
  }
}

type Reply = { readonly id: number; readonly text?: string | null; readonly error?: ErrorFields };

interface Waiting {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

interface FileThread {
  readonly worker: Worker;
  readonly waiting: Map<number, Waiting>;
}

/**
 * Bytes to send, as a copy of their own that is handed over rather than cloned: cloning copies
 * them twice (into the message, and out of it on the thread), handing over not at all, and the
 * caller's bytes stay whole for a retry or the spool (a buffer handed over is empty on this side).
 * A view of part of a larger buffer (Node's pool, an answer read whole) copies only its own
 * bytes. Paced at one write every 5 ms, 100 KB went for about 0.08 ms of CPU less per write
 * than as a clone (two-core VM, 2026-12-07).
 */
export function ownBytes(data: Uint8Array | string): { readonly data: Uint8Array | string; readonly handedOver?: ArrayBuffer } {
  if (typeof data === 'string') return { data };
  // Not data.slice(): on a Buffer that is a view of the same memory.
  const own = new Uint8Array(data);
  return { data: own, handedOver: own.buffer };
}

let shared: FileThreads | undefined;

/** The process's file threads, shared by every folder store in it (started on first use). */
export function sharedFileThreads(): FileThreads {
  shared ??= createFileThreads();
  return shared;
}

/** The code of the error a call fails with when its thread dies under it: transient, the call may be made again (toStorageError). */
export const FILE_THREAD_EXITED = 'ERR_FILE_THREAD_EXITED';

export interface FileThreadsOptions {
  /** Default {@link MAX_FILE_THREADS}. */
  readonly maxThreads?: number;
  /** The thread's body; default file-thread-main.mjs beside this module. */
  readonly script?: URL;
  /** Default {@link SLOW_STAT_MS}. */
  readonly slowStatMs?: number;
}

export function createFileThreads(options: FileThreadsOptions = {}): FileThreads {
  const maxThreads = options.maxThreads ?? MAX_FILE_THREADS;
  const script = options.script ?? new URL('./file-thread-main.mjs', import.meta.url);
  const slowStatMs = options.slowStatMs ?? SLOW_STAT_MS;
  const threads: FileThread[] = [];
  let lastId = 0;
  /** Until then (performance.now()) reads skip the stat on the main thread: one was slow. */
  let statSlowUntil = 0;

  /** False when the file is surely not there; true when it may be (a thread reads it, and says why not). */
  function mayBeThere(path: string): boolean {
    const startedAt = performance.now();
    if (startedAt < statSlowUntil) return true;
    let isThere = true;
    try {
      statSync(path);
    } catch (thrown) {
      // Only ENOENT is "not there" (Node 24's throwIfNoEntry also passes ENOTDIR, a parent that
      // is a file, as missing): anything else the read on a thread fails with, as Node fails.
      isThere = (thrown as { code?: unknown }).code !== 'ENOENT';
    }
    const endedAt = performance.now();
    if (endedAt - startedAt > slowStatMs) statSlowUntil = endedAt + READ_ON_THREAD_MS;
    return isThere;
  }

  function start(): FileThread {
    // No flags of the process's own (a loader, `--input-type`, `-e`): the thread's body is plain
    // JavaScript that needs none, and some would stop it from starting.
    const worker = new Worker(script, { execArgv: [] });
    const thread: FileThread = { worker, waiting: new Map() };
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = thread.waiting.get(reply.id);
      thread.waiting.delete(reply.id);
      if (thread.waiting.size === 0) worker.unref();
      waiting?.resolve(reply);
    });
    // A thread that dies takes its waiting calls with it: they fail, and the next call starts
    // another. A thread that cannot start at all (its body missing) fails them with its own
    // error (MODULE_NOT_FOUND, not transient); one that exits under them with a transient
    // one: a write on a thread is whole or not there, and is made again by the store's retries.
    const fail = (error: Error): void => {
      const index = threads.indexOf(thread);
      if (index !== -1) threads.splice(index, 1);
      for (const waiting of thread.waiting.values()) waiting.reject(error);
      thread.waiting.clear();
    };
    worker.on('error', fail);
    // A reply that cannot be read would leave its call waiting for good: the thread is given up.
    worker.on('messageerror', (error) => {
      fail(error);
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      fail(new FileThreadError({ message: `the file thread exited (code ${code}) with calls out`, code: FILE_THREAD_EXITED }));
    });
    threads.push(thread);
    return thread;
  }

  function pick(): FileThread {
    const idle = threads.find((thread) => thread.waiting.size === 0);
    if (idle !== undefined) return idle;
    if (threads.length < maxThreads) return start();
    return threads.reduce((fewest, thread) => (thread.waiting.size < fewest.waiting.size ? thread : fewest));
  }

  type Request = { readonly op: 'write'; readonly files: ReadonlyArray<FileToWrite & { readonly tempPath: string }> } | { readonly op: 'read'; readonly path: string };

  async function call(request: Request, handedOver: readonly ArrayBuffer[] = []): Promise<Reply> {
    const thread = pick();
    const id = ++lastId;
    const reply = await new Promise<Reply>((resolve, reject) => {
      thread.waiting.set(id, { resolve, reject });
      // Kept alive while a call is out: a process waiting for nothing else still hears the answer.
      thread.worker.ref();
      thread.worker.postMessage({ ...request, id }, handedOver);
    });
    if (reply.error !== undefined) throw new FileThreadError(reply.error);
    return reply;
  }

  return {
    async writeAtomic(files) {
      // Temp files named as writeFileAtomic names them, so the sweep of a dead writer's leftovers finds them.
      const handedOver: ArrayBuffer[] = [];
      const sent = files.map(({ path, data }) => {
        const own = ownBytes(data);
        if (own.handedOver !== undefined) handedOver.push(own.handedOver);
        return { path, tempPath: tempPathFor(path), data: own.data };
      });
      await call({ op: 'write', files: sent }, handedOver);
    },

    async readText(path, options) {
      if (options?.statFirst === true && !mayBeThere(path)) return null;
      return (await call({ op: 'read', path })).text ?? null;
    },
  };
}
