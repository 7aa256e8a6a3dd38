import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { enqueueIntoBatch, type BatchEnqueueResult } from '../batch/enqueue-into-batch.js';
import { resumeBatch, type ResumeResult } from '../batch/resume-batch.js';
import { cancelBatch, type CancelResult } from '../batch/cancel-batch.js';
import type { BatchCallback, BatchSummary } from '../batch/batch-registry.js';
import { createClientLedger, type ClientLedger } from '../batch/client-ledger.js';
import { listManifestRows, type ManifestRow } from '../batch/list-manifest-rows.js';
import { readImageProblems, type ImageProblems } from '../batch/read-image-problems.js';
import type { FetchSettings } from '../config/config.js';
import { DEFAULT_FETCH_SETTINGS } from '../config/load-config.js';
import { BatchWaitTimeoutError, ConfigError } from '../errors/imgbatch-error.js';
import { createInputReader, type InputReader } from '../inputs/input-reader.js';
import { readCsvRequests } from '../ingest/read-csv-requests.js';
import { imageJobSchema } from '../job/image-job.js';
import { createSilentLogger, type Logger } from '../log/logger.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { createScheduleQueue, type ScheduleQueue } from '../schedule/schedule-queue.js';
import type { ImageQueue } from '../queue/image-queue.js';
import { listBatchPage, type BatchPage, type BatchPageQuery } from '../batch/list-batch-page.js';
import { createKeySpace } from '../queue/key-space.js';
import { createJobState } from '../queue/job-state.js';
import { createProducer, requestInputsOf } from '../queue/producer.js';
import { createRedisClient, DEFAULT_REDIS_URL, isRedisClient, type RedisClient, type RedisTarget } from '../queue/redis-connection.js';
import type { ImageRecord } from '../storage/image-record.js';
import type { ResultStore, StoredImage } from '../storage/result-store.js';
import type { JobPriority } from '../job/job-priority.js';
import { createWebhookDeliveryLog, type WebhookDelivery } from '../webhooks/webhook-delivery-state.js';

export interface ImgbatchClientOptions {
  /**
   * Redis URL (`redis+cluster://…` for a Redis Cluster), a target with TLS settings, or an
   * ioredis connection (Redis or Cluster) the caller owns (and closes); default `redis://127.0.0.1:6379`.
   */
  readonly connection?: string | RedisTarget | RedisClient;
  /** Key prefix shared with the workers; default `imgbatch`. */
  readonly prefix?: string;
  /**
   * Where the workers store results; needed for `results`, `resultsPage`, and for edits (input
   * images are copied into it). Not closed by the client.
   */
  readonly store?: ResultStore;
  /** The outbound rules for input images named by URL; default DEFAULT_FETCH_SETTINGS (https, public addresses only). */
  readonly fetch?: FetchSettings;
  /** Reads input images of edits; default: one over `store` and `fetch` (no blob URL credential). */
  readonly inputReader?: InputReader;
  /** Images per call for models that take n > 1; must match what the batch was first enqueued with; default 1. */
  readonly imagesPerCall?: number;
  /** The models requests are checked against; default the built-in ones (pass `config.models`). */
  readonly models?: ModelCatalogue;
  readonly logger?: Logger;
}

export interface ClientEnqueueOptions {
  /** Default: a new id like `b-lq3k9x-4f2a`. The same id and requests again add nothing new. */
  readonly batchId?: string;
  /**
   * The batch's budget in USD, set before any job is added: once spent + in flight would pass
   * it, no new call starts and the rest end `skipped`. Default: the budget the batch has, or none.
   */
  readonly maxCostUsd?: number;
  /**
   * Where the batch's webhook events go (`batch.ended`, and `image.finished` with `perImage`).
   * Workers deliver only to hosts on their config's `webhooks.allowedHosts`, signed with
   * IMGBATCH_WEBHOOK_SECRET; see docs/webhooks.md. Default: the batch's callback stays as it is.
   */
  readonly callback?: BatchCallback;
  /**
   * Rows the batch already holds with a different request (prompt, model, size, quality, style,
   * output format, inputs) are made again, and their previous images kept aside in the store
   * (`<batch>/previous/`). Default false: they are listed in `changed` and keep their images.
   */
  readonly redoChanged?: boolean;
  /**
   * Who gets the deployments' next slots first: `high`, `normal` or `bulk`; batches of one
   * priority take turns. It becomes the batch's (`status(batchId).priority`). Default: the
   * batch's, `normal` for a new batch. Jobs the batch already holds keep theirs.
   */
  readonly priority?: JobPriority;
}

export interface ClientResumeOptions {
  /** A new budget for the batch, USD, set before anything is queued again; default: keep the budget it has. */
  readonly maxCostUsd?: number;
}

export interface CsvEnqueueOptions extends ClientEnqueueOptions {
  /** Model for rows whose `model` cell is empty; default none (such rows are refused). */
  readonly defaultModel?: string;
}

export interface WaitOptions {
  /** Give up (BatchWaitTimeoutError) after this long, ms; default: wait as long as it takes. */
  readonly timeoutMs?: number;
  /** How often the batch's counts are read, ms; default 1000. */
  readonly pollMs?: number;
  /** Called with the counts after every read, the last one included. */
  readonly onProgress?: (summary: BatchSummary) => void;
}

export interface ResultsPageOptions {
  /** `nextCursor` of the previous page; default: the first page. */
  readonly cursor?: string;
  /** Records per page; default 100. */
  readonly limit?: number;
}

export interface ResultsPage {
  /** Records of stored and filtered images, ordered by key. */
  readonly items: readonly ImageRecord[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

export interface ImgbatchClient {
  /**
   * Validates requests and adds their image jobs; bad requests come back in `rejected` with
   * field and reason. Into a batch that exists, as the CLI does (see enqueueIntoBatch): the
   * batch is resumed, changed rows are listed in `changed`, and `store` is needed.
   */
  enqueue(requests: readonly unknown[], options?: ClientEnqueueOptions): Promise<BatchEnqueueResult>;
  /**
   * Streams a CSV (a file path or a stream) through the same ingest as the CLI; rows are named
   * `row N` in `rejected`. Local input image paths are read relative to the file's folder (never
   * from a stream). Into a batch that exists, as `enqueue`.
   */
  enqueueCsv(source: string | Readable, options?: CsvEnqueueOptions): Promise<BatchEnqueueResult>;
  /**
   * `imgbatch resume`: images missing from the store are queued again, failed jobs get fresh
   * attempts, cancelled and budget-skipped images are queued again; stored images are never
   * made again. Workers do the work. Needs `store`.
   */
  resume(batchId: string, options?: ClientResumeOptions): Promise<ResumeResult>;
  /** Only the failed jobs of the batch get fresh attempts (`resume` limited to them). Needs `store`. */
  retryFailed(batchId: string, options?: ClientResumeOptions): Promise<ResumeResult>;
  /** Counts by outcome, images pending, API calls so far. An unknown batch has 0 images. */
  status(batchId: string): Promise<BatchSummary>;
  /** One page of the batches Redis holds, newest first: counts, cost and budget, client (see listBatchPage). */
  batchPage(query: BatchPageQuery): Promise<BatchPage>;
  /** Resolves with the final counts once no image of the batch is pending. */
  waitForBatch(batchId: string, options?: WaitOptions): Promise<BatchSummary>;
  /** Every record (stored or filtered image) of the batch, from the store, in no particular order. */
  results(batchId: string): AsyncIterable<ImageRecord>;
  /** One page of records, ordered by image key, for paginated listings. */
  resultsPage(batchId: string, options?: ResultsPageOptions): Promise<ResultsPage>;
  /**
   * One row per image of the batch, done or not: status, prompt, the filter's verdict or the
   * last error, extra columns (see `listManifestRows`). Needs `store`.
   */
  manifest(batchId: string): AsyncIterable<ManifestRow>;
  /** A stored image's bytes by key (`<batch>/<request>-<variant>`); null when that image is not stored. Needs `store`. */
  image(key: string): Promise<StoredImage | null>;
  /** The BullMQ queue the jobs go to, for dashboards; the client closes it. */
  readonly queue: ImageQueue;
  /** The BullMQ queue of schedule runs (`imgbatch schedules sync`), for dashboards; the client closes it. */
  readonly scheduleQueue: ScheduleQueue;
  /** Removes the batch's jobs no worker has started; their images end `cancelled`. */
  cancel(batchId: string): Promise<CancelResult>;
  /** Where each webhook event of the batch stands (pending, delivered, retrying, failed, refused), oldest first; empty without a callback. */
  webhookDeliveries(batchId: string): Promise<WebhookDelivery[]>;
  /**
   * The images of the batch that failed, were rejected or skipped, with their reason code and
   * message: how many, and at most `limit` of them (default 100), so a huge batch is not read whole.
   */
  problems(batchId: string, options?: { readonly limit?: number }): Promise<ImageProblems>;
  /** Which API client made each batch, and what each client has spent (the HTTP API's tokens, `http.clients`). */
  readonly clientLedger: ClientLedger;
  /** Throws when Redis does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1_000;

function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/**
 * The library entry point for other services: enqueue, follow and cancel batches, and read
 * their results, without running a worker. Workers run elsewhere (or in the same process,
 * `createImageWorker`) on the same Redis and prefix.
 */
export function createImgbatchClient(options: ImgbatchClientOptions = {}): ImgbatchClient {
  const ownsConnection = !isRedisClient(options.connection);
  const redis = isRedisClient(options.connection) ? options.connection : createRedisClient(options.connection ?? DEFAULT_REDIS_URL, 'producer');
  const prefix = options.prefix ?? 'imgbatch';
  const keys = createKeySpace(prefix);
  const { store } = options;
  const producer = createProducer({
    connection: redis,
    prefix,
    ...(options.imagesPerCall !== undefined && { imagesPerCall: options.imagesPerCall }),
    ...(options.models !== undefined && { models: options.models }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(store !== undefined && {
      editInputs: { store, reader: options.inputReader ?? createInputReader({ store, fetch: options.fetch ?? DEFAULT_FETCH_SETTINGS }) },
    }),
  });

  const scheduleQueue = createScheduleQueue(redis, keys, options.logger ?? createSilentLogger());
  const webhookDeliveries = createWebhookDeliveryLog(redis, keys);

  function requireStore(): ResultStore {
    if (options.store === undefined) throw new ConfigError('this imgbatch client was created without a store; pass `store` to read results');
    return options.store;
  }

  const jobState = createJobState(redis, keys);
  const batchDeps = { producer, store, jobState };

  function resumeWith(batchId: string, scope: 'all' | 'failed', resumeOptions: ClientResumeOptions): Promise<ResumeResult> {
    const deps = { queue: producer.queue, batches: producer.batches, jobState, store: requireStore() };
    return resumeBatch(deps, batchId, { scope, ...(resumeOptions.maxCostUsd !== undefined && { maxCostUsd: resumeOptions.maxCostUsd }) });
  }

  return {
    enqueue(requests, enqueueOptions = {}) {
      return enqueueIntoBatch(batchDeps, requestInputsOf(requests), enqueueOptions);
    },

    enqueueCsv(source, csvOptions = {}) {
      const { defaultModel, ...enqueueOptions } = csvOptions;
      return enqueueIntoBatch(batchDeps, readCsvRequests(source, defaultModel === undefined ? {} : { defaultModel }), {
        ...enqueueOptions,
        // A file's input images are relative to its folder; a stream (an HTTP body) has none.
        ...(typeof source === 'string' && { localInputsDir: dirname(resolve(source)) }),
      });
    },

    resume: (batchId, resumeOptions = {}) => resumeWith(batchId, 'all', resumeOptions),

    retryFailed: (batchId, resumeOptions = {}) => resumeWith(batchId, 'failed', resumeOptions),

    status: (batchId) => producer.batches.summary(batchId),

    async waitForBatch(batchId, waitOptions = {}) {
      const pollMs = waitOptions.pollMs ?? 1_000;
      const deadline = waitOptions.timeoutMs === undefined ? Infinity : Date.now() + waitOptions.timeoutMs;
      for (;;) {
        const summary = await producer.batches.summary(batchId);
        waitOptions.onProgress?.(summary);
        if (summary.pending === 0) return summary;
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) throw new BatchWaitTimeoutError(batchId, waitOptions.timeoutMs ?? 0, summary.pending);
        await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, remainingMs)));
      }
    },

    results(batchId) {
      return requireStore().listRecords(batchId);
    },

    async resultsPage(batchId, pageOptions = {}) {
      const store = requireStore();
      const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(pageOptions.limit ?? DEFAULT_PAGE)));
      const after = pageOptions.cursor === undefined ? undefined : decodeCursor(pageOptions.cursor);
      // Redis knows which images are done; sorting their keys gives pages that stay put while
      // the batch grows, and only the page's records are read from the store.
      const done: string[] = [];
      for await (const page of producer.batches.outcomes(batchId)) {
        for (const [key, outcome] of page) if ((outcome === 'stored' || outcome === 'filtered') && (after === undefined || key > after)) done.push(key);
      }
      done.sort();
      const pageKeys = done.slice(0, limit);
      const records = await Promise.all(pageKeys.map((key) => store.getRecord(key)));
      const last = pageKeys[pageKeys.length - 1];
      return {
        items: records.filter((record): record is ImageRecord => record !== null),
        ...(done.length > limit && last !== undefined && { nextCursor: encodeCursor(last) }),
      };
    },

    manifest(batchId) {
      return listManifestRows(
        {
          store: requireStore(),
          batches: producer.batches,
          jobData: async (jobId) => {
            const parsed = imageJobSchema.safeParse((await producer.queue.getJob(jobId))?.data);
            return parsed.success ? parsed.data : undefined;
          },
        },
        batchId,
      );
    },

    async image(key) {
      const store = requireStore();
      const record = await store.getRecord(key);
      return record?.status === 'stored' ? await store.readImage(record) : null;
    },

    queue: producer.queue,
    scheduleQueue,

    batchPage: (query) => listBatchPage(redis, keys, query),
    webhookDeliveries: (batchId) => webhookDeliveries.read(batchId),
    problems: (batchId, problemOptions) => readImageProblems(redis, keys, batchId, problemOptions?.limit ?? DEFAULT_PAGE),
    clientLedger: createClientLedger(redis, keys),

    cancel: (batchId) => cancelBatch({ queue: producer.queue, batches: producer.batches, redis, keys }, batchId),

    async ping() {
      await redis.ping();
    },

    async close() {
      await scheduleQueue.close();
      await producer.close();
      if (ownsConnection) await redis.quit();
    },
  };
}
