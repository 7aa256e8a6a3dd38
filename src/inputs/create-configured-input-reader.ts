import type { Config } from '../config/config.js';
import { createBlobUrlReader } from '../storage/blob-url-reader.js';
import type { ResultStore } from '../storage/result-store.js';
import { createInputReader, type InputReader } from './input-reader.js';

/**
 * The input reader a configured process uses: `store:` references from the result store, blob
 * URLs of the configured storage account with its credential (when the store is Blob), and any
 * other URL under the config's outbound rules (`fetch:`).
 */
export function createConfiguredInputReader(config: Pick<Config, 'store' | 'fetch'>, store: Pick<ResultStore, 'getInput'> | undefined): InputReader {
  const blob =
    config.store.kind === 'blob' ? createBlobUrlReader({ connectionString: config.store.connectionString, accountUrl: config.store.accountUrl }) : undefined;
  return createInputReader({ store, blob, fetch: config.fetch });
}
