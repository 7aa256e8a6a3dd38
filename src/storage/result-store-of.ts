import type { StoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { BlobResultStoreOptions, BlobResultStore } from './blob-result-store.js';
import { createFsResultStore } from './fs-result-store.js';
import type { ResultStore } from './result-store.js';
import { createRetryingResultStore } from './retrying-result-store.js';

/**
 * The configured store, wrapped so that every write has one retry owner. The Blob adapter is
 * passed in rather than imported here, so a caller can load the Azure Storage SDK (about a third
 * of a second of CPU) only when the store is Blob (openResultStore).
 */
export function resultStoreOf(config: StoreConfig, logger: Logger, createBlobResultStore: (options: BlobResultStoreOptions) => BlobResultStore): ResultStore {
  const inner =
    config.kind === 'fs'
      ? createFsResultStore({ root: config.root })
      : createBlobResultStore({
          container: config.container,
          prefix: config.prefix,
          connectionString: config.connectionString,
          accountUrl: config.accountUrl,
        });
  return createRetryingResultStore(inner, {
    onRetry: (error, attempt) => {
      logger.warn({ attempt, error: error.message }, 'store write failed; retrying');
    },
  });
}
