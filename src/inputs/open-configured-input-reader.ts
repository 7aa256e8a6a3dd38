import type { Config } from '../config/config.js';
import type { ResultStore } from '../storage/result-store.js';
import { createInputReader, type InputReader } from './input-reader.js';

/**
 * createConfiguredInputReader for the commands: the Azure Storage SDK is imported only when the
 * store is Blob (its URLs are then read with the storage credential), so a command on a folder
 * store starts without loading it.
 */
export async function openConfiguredInputReader(config: Pick<Config, 'store' | 'fetch'>, store: Pick<ResultStore, 'getInput'> | undefined): Promise<InputReader> {
  const blob =
    config.store.kind === 'blob'
      ? (await import('../storage/blob-url-reader.js')).createBlobUrlReader({ connectionString: config.store.connectionString, accountUrl: config.store.accountUrl })
      : undefined;
  return createInputReader({ store, blob, fetch: config.fetch });
}
