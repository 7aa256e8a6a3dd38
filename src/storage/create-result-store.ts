import type { StoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { createBlobResultStore } from './blob-result-store.js';
import { createFsResultStore } from './fs-result-store.js';
import type { ResultStore } from './result-store.js';
import { createRetryingResultStore } from './retrying-result-store.js';

/** The configured store, wrapped so that every write has one retry owner. */
export function createResultStore(config: StoreConfig, logger: Logger): ResultStore {
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
