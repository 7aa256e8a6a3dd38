import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { ConfigError, StorageError, coerceError } from '../errors/imgbatch-error.js';
import type { ImageRecord } from './image-record.js';
import type { ResultStore } from './result-store.js';
import { toStorageError } from './to-storage-error.js';

export interface RetryingResultStoreOptions {
  /** Tries after the first failed one, per store call. Default 5. */
  readonly retries?: number | undefined;
  /** Wait before the first retry, ms; each further wait doubles (with jitter). Default 200. */
  readonly minTimeoutMs?: number | undefined;
  /** Longest wait between two tries, ms. Default 5000. */
  readonly maxTimeoutMs?: number | undefined;
  /** Called before each retry with the transient error and the number of the try that failed (1 = the first); what it throws is ignored. Default: none. */
  readonly onRetry?: ((error: StorageError, attempt: number) => void) | undefined;
}

function parseCount(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`retrying store ${field}: ${value} is not allowed; use a whole number from 0 up`);
  }
  return value;
}

/**
 * What one failed try means for retrying: a transient StorageError (raw network errors are
 * turned into one) is retried; anything else is rethrown as it was, never retried.
 */
function asRetryable(thrown: unknown, action: string): Error {
  if (thrown instanceof StorageError) return thrown;
  const asStorage = toStorageError(thrown, action);
  return asStorage.isTransient ? asStorage : coerceError(thrown);
}

function isRetryable(error: Error): error is StorageError {
  return error instanceof StorageError && error.isTransient;
}

/**
 * Wraps a store so that transient failures (network errors, timeouts, 408, 429, 5xx) are tried
 * again with exponential backoff, and nothing else is. It is the only retry owner for store
 * I/O: adapters do not retry (the blob store turns the SDK's retries off). The point: the
 * worker keeps a paid image's bytes in memory while this retries the write, so an upload that
 * fails is written again instead of the image being generated, and paid for, twice.
 */
export function createRetryingResultStore(inner: ResultStore, options: RetryingResultStoreOptions = {}): ResultStore {
  const retries = parseCount('retries', options.retries, 5);
  const minTimeoutMs = parseCount('minTimeoutMs', options.minTimeoutMs, 200);
  const maxTimeoutMs = parseCount('maxTimeoutMs', options.maxTimeoutMs, 5000);
  if (maxTimeoutMs < minTimeoutMs) {
    throw new ConfigError(`retrying store maxTimeoutMs: ${maxTimeoutMs} is less than minTimeoutMs ${minTimeoutMs}`);
  }
  const { onRetry } = options;

  function reportRetry(error: StorageError, attempt: number): void {
    try {
      onRetry?.(error, attempt);
    } catch {
      // A failing observer (a logger) must not cost the write it observes.
    }
  }

  async function withRetries<T>(action: string, run: () => Promise<T>): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await run();
        } catch (thrown) {
          throw asRetryable(thrown, action);
        }
      },
      {
        retries,
        minTimeout: minTimeoutMs,
        maxTimeout: maxTimeoutMs,
        factor: 2,
        // Workers that lost storage together should not all come back in the same millisecond.
        randomize: true,
        shouldRetry: ({ error, attemptNumber }) => {
          if (!isRetryable(error)) return false;
          reportRetry(error, attemptNumber);
          return true;
        },
      },
    );
  }

  /** The same schedule p-retry follows: min * 2^(n-1), jittered by 1-2x, capped at max. */
  function backoffMs(retriesDone: number): number {
    return Math.min(Math.round((1 + Math.random()) * minTimeoutMs * 2 ** retriesDone), maxTimeoutMs);
  }

  return {
    kind: inner.kind,
    description: inner.description,

    getRecord(key) {
      return withRetries(`read record ${key}`, () => inner.getRecord(key));
    },

    putImage(key, image, record) {
      return withRetries(`store image ${key}`, () => inner.putImage(key, image, record));
    },

    putRecord(key, record) {
      return withRetries(`store record ${key}`, () => inner.putRecord(key, record));
    },

    keepAside(key) {
      return withRetries(`keep ${key} aside`, () => inner.keepAside(key));
    },

    readImage(record) {
      return withRetries(`read image ${record.key}`, () => inner.readImage(record));
    },

    putInput(batchId, bytes, extension) {
      return withRetries(`store input of ${batchId}`, () => inner.putInput(batchId, bytes, extension));
    },

    getInput(key) {
      return withRetries(`read input ${key}`, () => inner.getInput(key));
    },

    // A listing is a stream, which p-retry cannot replay without buffering a whole batch: a
    // failed listing starts over instead and skips the keys it already yielded.
    async *listRecords(batchId) {
      const action = `list records of ${batchId}`;
      const yielded = new Set<string>();
      for (let attempt = 1; ; attempt++) {
        let failure: StorageError | undefined;
        let iterator: AsyncIterator<ImageRecord> | undefined;
        try {
          iterator = inner.listRecords(batchId)[Symbol.asyncIterator]();
          for (;;) {
            let next: IteratorResult<ImageRecord>;
            try {
              next = await iterator.next();
            } catch (thrown) {
              const error = asRetryable(thrown, action);
              if (!isRetryable(error) || attempt > retries) throw error;
              failure = error;
              break;
            }
            if (next.done === true) return;
            if (yielded.has(next.value.key)) continue;
            yielded.add(next.value.key);
            yield next.value;
          }
        } finally {
          // Also runs when the consumer stops early: lets the inner listing close its handles.
          await iterator?.return?.();
        }
        reportRetry(failure, attempt);
        await sleep(backoffMs(attempt - 1));
      }
    },

    close() {
      return inner.close();
    },
  };
}
