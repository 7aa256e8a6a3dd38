import type { PriceTable } from '../cost/price-table.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import type { DeploymentConfig } from './deployment-config.js';

export type StoreConfig =
  | { readonly kind: 'fs'; readonly root: string }
  | {
      readonly kind: 'blob';
      readonly container: string;
      readonly prefix?: string;
      readonly connectionString?: string;
      readonly accountUrl?: string;
    };

export interface WorkerSettings {
  /**
   * Jobs in flight per worker process; default `auto`: enough to keep every configured
   * deployment at its quota through 60 s calls (see `workerConcurrency`).
   */
  readonly concurrency: number | 'auto';
  /** Calls per image job before it fails (timeouts, 5xx); 429 waits do not count; default 5. */
  readonly attempts: number;
  /** First backoff after a transient error, ms; doubles per attempt with jitter; default 2000. */
  readonly backoffBaseMs: number;
  /** Longest backoff, ms; default 60000. */
  readonly backoffMaxMs: number;
  /** 429 answers one job may wait out before it fails; default 30. */
  readonly maxRateLimitWaits: number;
  /** How often jobs of a paused deployment look again, ms; default 30000. */
  readonly pauseRecheckMs: number;
  /** Images per call for models that take n > 1; default 1. */
  readonly imagesPerCall: number;
  /**
   * API call timeout for every deployment, ms (at most 600000); default undefined: each model's
   * own (gpt-image-2: 540000, from measured latencies; see docs/models.md). A deployment's own
   * `timeoutMs` beats it.
   */
  readonly timeoutMs: number | undefined;
  /**
   * Times a call that timed out is sent again before its images fail; default 1. A timed-out
   * call may have been generated and billed, so it is not retried `attempts` times.
   */
  readonly timeoutRetries: number;
  /**
   * A job not done this long after it was enqueued fails with the reason (no slot came: every
   * deployment paused, or quota far below the batch); default 7 days.
   */
  readonly maxWaitMs: number;
  /** How long a job's lock lasts unless renewed, ms; default 30000. BullMQ renews it every half of this while the job's call runs, however long. */
  readonly lockDurationMs: number;
  /** How often jobs of crashed workers are looked for and handed to others, ms; default 30000. */
  readonly stalledIntervalMs: number;
}

export interface LimiterSettings {
  /**
   * Fraction by which calls are spaced wider than the quota; default 0.02. Azure counts
   * over windows as short as 1–10 s, so a call that starts a little late next to one on time
   * would make a window one call over; the headroom absorbs that lateness.
   */
  readonly headroom: number;
  /** A slot closer than this is waited for in the worker; farther, the job is delayed; default 2000. */
  readonly maxSleepMs: number;
  /** How late a delayed job may claim its reserved slot, ms; default 100. */
  readonly lateToleranceMs: number;
  /** Effective rate is multiplied by this on a 429 within a minute of the last; default 0.7. */
  readonly decreaseFactor: number;
  /** The effective rate never drops below this share of the configured one; default 0.1. */
  readonly minRateFactor: number;
  /** Share of the configured rate given back per successful call; default 0.02. */
  readonly recoverStep: number;
}

/** Everything imgbatch reads from its environment and config file, validated and frozen. */
export interface Config {
  /**
   * REDIS_URL (checked: `redis://`, `rediss://`, or `redis[s]+cluster://host:port,host:port`
   * for a Redis Cluster); undefined means "find or start one" (CLI) or 127.0.0.1:6379 (library).
   */
  readonly redisUrl: string | undefined;
  /**
   * REDIS_TLS_CA_FILE read: PEM certificate(s) of the CA behind a `rediss://` server's
   * certificate; undefined means the system's CAs.
   */
  readonly redisTlsCa: string | undefined;
  /** Key prefix; wrapped in a hash tag so every key lands in one Redis Cluster slot. */
  readonly redisPrefix: string;
  readonly deployments: readonly DeploymentConfig[];
  /** True when no Azure settings were found and the embedded simulator stands in. */
  readonly usesSimulator: boolean;
  readonly store: StoreConfig;
  readonly worker: WorkerSettings;
  readonly limiter: LimiterSettings;
  readonly logLevel: string;
  /** IMGBATCH_API_TOKEN: the bearer token the HTTP API requires; undefined when not set. */
  readonly apiToken: string | undefined;
  /** Prices for estimates, budgets and recorded costs; default DEFAULT_PRICE_TABLE, with the config file's `prices:` merged over it. */
  readonly prices: PriceTable;
  /** The image models: the built-in table with the config file's `models:` applied. */
  readonly models: ModelCatalogue;
}
