import type { StoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { ResultStore } from './result-store.js';
import { resultStoreOf } from './result-store-of.js';

/**
 * createResultStore for the commands: the Azure Storage SDK is imported only when the store is
 * Blob, so a command on a folder store starts without loading it.
 */
export async function openResultStore(config: StoreConfig, logger: Logger): Promise<ResultStore> {
  const createBlobResultStore =
    config.kind === 'blob'
      ? (await import('./blob-result-store.js')).createBlobResultStore
      : () => {
          throw new Error('a folder store has no Blob adapter');
        };
  return resultStoreOf(config, logger, createBlobResultStore);
}
