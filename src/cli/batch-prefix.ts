import type { Config } from '../config/config.js';

/**
 * The Redis key prefix a batch of this configuration lives under. A self-contained run on the
 * embedded simulator keeps to keys of its own: on a Redis shared with real workers it must
 * neither take their jobs nor hand them its own, nor share their limiter buckets. Commands that
 * look at a batch afterwards (results, resume) use the same rule, so they find it.
 */
export function batchPrefix(config: Pick<Config, 'redisPrefix' | 'usesSimulator'>): string {
  return config.usesSimulator ? `${config.redisPrefix}-simulator` : config.redisPrefix;
}

/**
 * Prefixes to look for an existing batch under, most likely first: the configured one (where
 * `enqueue` and workers put batches), then, without Azure settings, the one `run` uses on the
 * embedded simulator.
 */
export function batchPrefixesToSearch(config: Pick<Config, 'redisPrefix' | 'usesSimulator'>): string[] {
  return config.usesSimulator ? [config.redisPrefix, batchPrefix(config)] : [config.redisPrefix];
}
