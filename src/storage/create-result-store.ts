import type { StoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { createBlobResultStore } from './blob-result-store.js';
import type { ResultStore } from './result-store.js';
import { resultStoreOf } from './result-store-of.js';

/** The configured store, wrapped so that every write has one retry owner. */
export function createResultStore(config: StoreConfig, logger: Logger): ResultStore {
  return resultStoreOf(config, logger, createBlobResultStore);
}
