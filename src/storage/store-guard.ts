import { coerceError } from '../errors/imgbatch-error.js';
import type { Logger } from '../log/logger.js';
import type { ImageRecord } from './image-record.js';
import type { ImageSpool, SpooledResult } from './image-spool.js';
import type { ResultStore, StoredImage } from './result-store.js';
import type { StoreAdmissionState, StoreBreaker } from './store-breaker.js';
import { STORE_UNWRITABLE_TEXT, storeUnwritableOf, type StoreUnwritable, type StoreUnwritableCode } from './store-write-failure.js';

/** Why a job may not start its call now. */
export type StoreWaitCode = 'store_paused' | 'image_spooled';

/** A job's admission: call, or come back later with the reason (no attempt spent). */
export type StoreAdmission =
  | { readonly kind: 'call' }
  | { readonly kind: 'wait'; readonly code: StoreWaitCode; readonly storeCode?: StoreUnwritableCode; readonly reason: string; readonly retryInMs: number };

/** Where a paid result is now: in the store, or in this worker's spool until the store takes it. */
export type KeptWhere = 'stored' | 'spooled';

/**
 * What the processor asks of the store guard: whether a job may call (before any budget, slot
 * or call), and to keep what a call returned. Keeping never drops a paid result for a store
 * that cannot be written: it is spooled (or held in memory) and written later, with no call.
 */
export interface StoreGate {
  admit(imageKeys: readonly string[]): Promise<StoreAdmission>;
  /** Writes the image and its record, or spools them. Throws only for a failure of this one write (a refused key), not for an unwritable store. */
  keepImage(key: string, image: StoredImage, record: ImageRecord): Promise<KeptWhere>;
  /** The same for a record without an image (an output the filter refused). */
  keepRecord(key: string, record: ImageRecord): Promise<KeptWhere>;
}

export interface StoreGuard extends StoreGate {
  /** Flushes what the spool holds from an earlier run now, then probes and flushes every `probeIntervalMs`. */
  start(): void;
  /** One probe-and-flush round; the timer runs it, tests call it to see a round through. */
  flush(): Promise<void>;
  /** Stops the timer and waits for a round under way. */
  close(): Promise<void>;
}

export interface StoreGuardOptions {
  /** The store as the worker writes it (the retrying one: an outage is only declared after its retries). */
  readonly store: ResultStore;
  readonly breaker: StoreBreaker;
  readonly spool: ImageSpool;
  readonly logger: Logger;
  /** This worker's name (host:pid), shown as the holder of what it spools and who opened the breaker. */
  readonly holder: string;
  /** Between two probe writes while the breaker is open, and two tries of a result held in memory, ms. */
  readonly probeIntervalMs: number;
  /** How long a job that may not call waits before it is looked at again, ms. */
  readonly recheckMs: number;
  /**
   * How long this process trusts a breaker it saw closed, with no image in any spool, before it
   * reads Redis again, ms (default DEFAULT_STORE_CLEAR_FOR_MS; 0 reads it for every job).
   */
  readonly clearForMs?: number;
  /** Monotonic clock, ms; tests pass their own. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Reading the breaker cost a job run three Redis commands (a script, its HMGET and an HGET per
 * image), about 5 per image counting the runs of jobs that wait for their turn; once per 250 ms
 * per process it costs next to nothing. See admit() for why a stale "closed" costs little.
 */
export const DEFAULT_STORE_CLEAR_FOR_MS = 250;

/** A record in its own batch, never an image of anyone's: what a probe writes. */
export const STORE_PROBE_KEY = 'imgbatch-store-probe/probe-0';

function probeRecord(holder: string): ImageRecord {
  return {
    key: STORE_PROBE_KEY,
    batchId: 'imgbatch-store-probe',
    requestId: 'probe',
    variant: 0,
    status: 'filtered',
    prompt: `store probe by ${holder}: the store breaker writes this to learn that the store takes writes again; not an image`,
    model: 'none',
    size: 'none',
    quality: 'none',
    deployment: 'none',
    latencyMs: 0,
    attempts: 0,
    filter: { stage: 'prompt', categories: [], code: 'store_probe', message: 'not an image: a probe write of the store breaker' },
    createdAt: new Date().toISOString(),
  };
}

export function describeStorePause(code: StoreUnwritableCode, message: string): string {
  return `${STORE_UNWRITABLE_TEXT[code]} (${message})`;
}

/**
 * The store breaker and the spool around a store, for one worker process. A write that fails
 * because the store cannot be written (see storeUnwritableOf) opens the breaker in Redis, so
 * every worker stops starting calls; the paid result goes to the local spool (or, when the
 * spool is full, stays in memory in its job, so memory is bounded by concurrency). A timer
 * writes a probe record while the breaker is open; once one lands, the spool is written to
 * the store and the breaker closes.
 */
export function createStoreGuard(options: StoreGuardOptions): StoreGuard {
  const { store, breaker, spool, logger, holder } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // This process's last view of the breaker: while open, results go straight to the spool
  // instead of waiting out the retrying store's backoff once more.
  let isPausedHere = false;
  const clearForMs = options.clearForMs ?? DEFAULT_STORE_CLEAR_FOR_MS;
  const now = options.now ?? (() => performance.now());
  // Until when (by `now`) this process admits calls without asking Redis; 0: ask.
  let clearUntil = 0;
  // The read under way, if any: jobs that reach admission meanwhile wait for it rather than
  // read too (a worker with many jobs in line would otherwise read once per job when it ends).
  let reading: Promise<unknown> | undefined;
  // Counts trips, so that a read that was under way when this process tripped is not trusted.
  let trips = 0;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;

  async function write(result: SpooledResult): Promise<void> {
    if (result.image === undefined) await store.putRecord(result.key, result.record);
    else await store.putImage(result.key, result.image, result.record);
  }

  async function trip(failure: StoreUnwritable): Promise<void> {
    isPausedHere = true;
    clearUntil = 0;
    trips++;
    const opened = await breaker.open(failure, holder);
    if (opened) {
      logger.error(
        { code: failure.code, error: failure.message, store: store.description },
        `store paused: ${describeStorePause(failure.code, failure.message)}. No new calls start; paid images wait in the spool. It resumes by itself once a probe write succeeds: free space, fix the rights or bring the store back`,
      );
    }
  }

  /** Writes the result; what made the store refuse it as unwritable, or undefined once written. Other errors are thrown. */
  async function tryWrite(result: SpooledResult): Promise<StoreUnwritable | undefined> {
    try {
      await write(result);
      return undefined;
    } catch (thrown) {
      const failure = storeUnwritableOf(thrown);
      if (failure === undefined) throw thrown;
      return failure;
    }
  }

  /** Puts the result in the spool and marks it, if the spool takes it. */
  async function trySpool(result: SpooledResult): Promise<boolean> {
    if (!(await spool.put(result))) return false;
    // Marked after the bytes are on disk: a mark without bytes would hold its job forever.
    await breaker.markSpooled(result.key, holder);
    return true;
  }

  async function keep(result: SpooledResult): Promise<KeptWhere> {
    if (!isPausedHere) {
      const failure = await tryWrite(result);
      if (failure === undefined) return 'stored';
      await trip(failure);
    }
    if (await trySpool(result)) {
      logger.warn({ imageKey: result.key }, 'paid image kept in the spool until the store takes writes again');
      return 'spooled';
    }
    // The spool is full or its disk refuses too: the job keeps the bytes and its slot, so at
    // most `concurrency` results per worker wait in memory, and no new call starts meanwhile.
    logger.warn({ imageKey: result.key }, 'spool full: paid image held in memory by its job until the store or the spool takes it');
    for (;;) {
      await sleep(options.probeIntervalMs);
      if ((await tryWrite(result)) === undefined) return 'stored';
      if (await trySpool(result)) return 'spooled';
    }
  }

  async function probe(): Promise<StoreUnwritable | undefined> {
    try {
      await store.putRecord(STORE_PROBE_KEY, probeRecord(holder));
      return undefined;
    } catch (thrown) {
      return storeUnwritableOf(thrown) ?? { code: 'unreachable', message: coerceError(thrown).message };
    }
  }

  /** Writes the spool to the store, oldest first; stops at the first sign the store cannot be written. */
  async function drain(): Promise<StoreUnwritable | undefined> {
    for (const key of await spool.keys()) {
      const result = await spool.read(key);
      // Another process sharing the folder wrote it meanwhile.
      if (result === undefined) continue;
      try {
        await write(result);
      } catch (thrown) {
        const failure = storeUnwritableOf(thrown);
        if (failure !== undefined) return failure;
        logger.error({ imageKey: key, err: thrown }, 'spooled image refused by the store; it stays in the spool');
        continue;
      }
      await spool.remove(key);
      await breaker.unmarkSpooled(key);
      logger.info({ imageKey: key }, 'spooled image written to the store');
    }
    return undefined;
  }

  async function runRound(): Promise<void> {
    const state = await breaker.state();
    if (state.kind === 'open') {
      const stillFailing = await probe();
      if (stillFailing !== undefined) {
        isPausedHere = true;
        clearUntil = 0;
        logger.debug({ code: stillFailing.code, error: stillFailing.message }, 'store probe failed; the store stays paused');
        return;
      }
    }
    const failure = await drain();
    if (failure !== undefined) {
      await trip(failure);
      return;
    }
    if (state.kind === 'open') {
      await breaker.reset();
      logger.info({ store: store.description, pausedForMs: Date.now() - state.openedAt }, 'store takes writes again: store breaker closed, calls resume');
    }
    isPausedHere = false;
  }

  function flush(): Promise<void> {
    // One round at a time: a slow store must not pile probes up.
    round ??= runRound()
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'store probe round failed; tried again at the next one');
      })
      .finally(() => {
        round = undefined;
      });
    return round;
  }

  /** Reads the breaker and notes what it says in this process's view. */
  async function readAdmission(imageKeys: readonly string[]): Promise<StoreAdmissionState> {
    const tripsBefore = trips;
    const state = await breaker.admission(imageKeys);
    if (state.kind === 'open_for_calls') {
      isPausedHere = false;
      if (state.spoolsEmpty && clearForMs > 0 && trips === tripsBefore) clearUntil = now() + clearForMs;
    } else if (state.kind === 'store_paused') {
      isPausedHere = true;
      clearUntil = 0;
    }
    return state;
  }

  return {
    async admit(imageKeys) {
      // A "closed" seen less than clearForMs ago is trusted. What a stale one costs is bounded:
      // the breaker opens when some worker's write fails; this process stops trusting at its own
      // first failed write (trip), or clearForMs after its last read, whichever comes first, so it
      // starts at most the calls its jobs reach admission for in that one window after another
      // worker opened the breaker. Those calls' images are kept like any other (spooled, never
      // dropped). A worker running one job at a time admits at most one job per window (its next
      // admission follows its own write), so "spending stops within one call per worker" holds.
      // Only a reply with every spool empty is trusted: a spooled image is never admitted from
      // the cache, and a mark made after the read comes from a write that opened the breaker.
      if (!isPausedHere && now() < clearUntil) return { kind: 'call' };
      if (reading !== undefined) {
        await reading.catch(() => undefined);
        if (!isPausedHere && now() < clearUntil) return { kind: 'call' };
      }
      const read = readAdmission(imageKeys);
      reading ??= read;
      const state = await read.finally(() => {
        if (reading === read) reading = undefined;
      });
      switch (state.kind) {
        case 'open_for_calls':
          return { kind: 'call' };
        case 'store_paused':
          return {
            kind: 'wait',
            code: 'store_paused',
            storeCode: state.code,
            reason: `store paused: ${describeStorePause(state.code, state.message)}; no call starts until a probe write succeeds`,
            retryInMs: options.recheckMs,
          };
        case 'image_spooled':
          return {
            kind: 'wait',
            code: 'image_spooled',
            reason: `image ${state.imageKey} is paid for and kept in the spool of ${state.holder}; waiting for it to reach the store (no second call)`,
            retryInMs: options.probeIntervalMs,
          };
      }
    },
    keepImage(key, image, record) {
      return keep({ key, image, record });
    },
    keepRecord(key, record) {
      return keep({ key, record });
    },
    start() {
      void flush();
      timer = setInterval(() => void flush(), options.probeIntervalMs);
      timer.unref();
    },
    flush,
    async close() {
      clearInterval(timer);
      await round;
    },
  };
}
