import type { WebhookSettings } from '../webhooks/webhook-settings.js';
import type { PriceTable } from '../cost/price-table.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import type { ApiClientConfig } from './api-client-config.js';
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
  /**
   * How long a job's lock lasts unless renewed, ms; default twice the longest expected call
   * latency of the deployments, between 30000 and 120000 (120000 for the gpt-image models).
   * BullMQ renews it every half of this while the job's call runs, however long; a crashed
   * worker's jobs are taken up by another after it (plus stalledIntervalMs).
   */
  readonly lockDurationMs: number | undefined;
  /** How often jobs of crashed workers are looked for and handed to others, ms; default 30000. */
  readonly stalledIntervalMs: number;
  /**
   * Folder where paid images wait while the store cannot be written, kept across restarts (put
   * it on another disk than a folder store, and on a volume in a container); default
   * `<tmpdir>/imgbatch-spool/<redis prefix>`.
   */
  readonly spoolDir?: string;
  /** Most bytes the spool holds; past it, a job keeps its image in memory and waits; default 1 GiB. */
  readonly spoolMaxBytes?: number;
  /** While the store is paused, how often a probe record is written to learn it takes writes again, ms; default 5000. */
  readonly storeProbeMs?: number;
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

/**
 * The rules of outbound fetches: input images of edits named by URL, and generated images an
 * answer leaves at a URL (dall-e-3's `url`). https only; these widen what may be reached, for a
 * network where the images live on private addresses.
 */
export interface FetchSettings {
  /** Allow private and link-local addresses (10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7, ...); default false. */
  readonly allowPrivateAddresses: boolean;
  /** Allow loopback addresses, and plain http to them (a local test server); default false. */
  readonly allowLoopback: boolean;
  /** Longest one fetch may take, ms; default 60000. */
  readonly timeoutMs: number;
  /**
   * Largest generated image taken from a `url` answer, bytes; also, per image asked for (as
   * base64), the cap on an images API answer's body. Default 41943040 (40 MiB).
   */
  readonly maxDownloadBytes: number;
}

/** How `imgbatch serve` guards its HTTP surface; a field left out takes createHttpServer's default. */
export interface HttpSettings {
  /**
   * Host header values the server answers (`name` or `name:port`, e.g. `api.example.com`; `*`
   * for any). Default: any while auth is on; with auth off, only `localhost`, `127.0.0.1` and
   * `[::1]` at the listening port, which are always allowed.
   */
  readonly allowedHosts?: readonly string[];
  /** Whom to believe X-Forwarded-For and X-Forwarded-Proto from: `true` (any peer) or these addresses/CIDRs; default false. */
  readonly trustProxy?: boolean | readonly string[];
  /** Time a client has to send a whole request, headers and body, ms; default 120000. */
  readonly requestTimeoutMs?: number;
  /** Time a client has to send a request's headers, ms; default 20000; at most requestTimeoutMs. */
  readonly headersTimeoutMs?: number;
  /** Failed authentications (wrong bearer token or sign-in) one client address may make per minute, and in a burst, before 429; default 10. */
  readonly authFailuresPerMinute?: number;
  /**
   * Clients of the API, each with its own token (stored as a SHA-256), scopes, batch-id prefix
   * and daily spend cap; default none (IMGBATCH_API_TOKEN alone, with every scope). See docs/api-clients.md.
   */
  readonly clients?: readonly ApiClientConfig[];
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
  /**
   * How long a batch's data stays in Redis after it ends (every image has an outcome), seconds:
   * IMGBATCH_BATCH_RETENTION_DAYS or the config file's `redis.batchRetentionDays`, in days;
   * default 30 days. Images and records in the store are not touched.
   */
  readonly batchRetentionSeconds: number;
  readonly deployments: readonly DeploymentConfig[];
  /** True when no Azure settings were found and the embedded simulator stands in. */
  readonly usesSimulator: boolean;
  readonly store: StoreConfig;
  readonly worker: WorkerSettings;
  readonly limiter: LimiterSettings;
  readonly logLevel: string;
  /** IMGBATCH_API_TOKEN: the bearer token the HTTP API requires; undefined when not set. */
  readonly apiToken: string | undefined;
  /** The config file's `http:` section, with IMGBATCH_HTTP_* variables over it. */
  readonly http: HttpSettings;
  /** Prices for estimates, budgets and recorded costs; default DEFAULT_PRICE_TABLE, with the config file's `prices:` merged over it. */
  readonly prices: PriceTable;
  /** Outbound fetches of input images: the config file's `fetch:`. */
  readonly fetch: FetchSettings;
  /** Webhook deliveries: the config file's `webhooks:` and IMGBATCH_WEBHOOK_SECRET. */
  readonly webhooks: WebhookSettings;
  /** The image models: the built-in table with the config file's `models:` applied. */
  readonly models: ModelCatalogue;
}
