import { randomBytes } from 'node:crypto';
import { createBatchRegistry, type BatchCallback, type BatchRegistry } from '../batch/batch-registry.js';
import { IMAGE_JOB_NAME, imageJobId, type ImageJobData } from '../job/image-job.js';
import type { JobPriority } from '../job/job-priority.js';
import { unstartedLineOf } from './unstarted-lines.js';
import type { InputReader } from '../inputs/input-reader.js';
import { resolveEditInputs } from '../inputs/resolve-edit-inputs.js';
import { checkBatchId, type ImageRequest } from '../job/image-request.js';
import { createJobPreparer, type ModelNotice, type RejectedRequest, type RequestInput } from '../job/prepare-jobs.js';
import { createSilentLogger, type Logger } from '../log/logger.js';
import type { ResultStore } from '../storage/result-store.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { createImageQueue, type ImageQueue } from './image-queue.js';
import { createKeySpace } from './key-space.js';
import { createRedisClient, DEFAULT_REDIS_URL, isRedisClient, type RedisClient, type RedisTarget } from './redis-connection.js';

export interface ProducerOptions {
  /**
   * Redis URL (`redis+cluster://…` for a Redis Cluster), a target with TLS settings, or an
   * ioredis connection (Redis or Cluster) the caller owns; default `redis://127.0.0.1:6379`.
   */
  readonly connection?: string | RedisTarget | RedisClient;
  /** Key prefix shared with the workers; default `imgbatch`. */
  readonly prefix?: string;
  /** Images per call for models that take n > 1; default 1. */
  readonly imagesPerCall?: number;
  /** The models requests are checked against; default the built-in ones (pass `config.models`). */
  readonly models?: ModelCatalogue;
  readonly logger?: Logger;
  /**
   * How input images of edits are read and where the checked copies go (the workers' result
   * store). Default: none, and requests with input images are refused with the reason.
   */
  readonly editInputs?: EditInputsOptions;
  /** How long a batch's data stays in Redis after it ends, seconds; default 30 days (pass `config.batchRetentionSeconds`). */
  readonly batchRetentionSeconds?: number;
}

export interface EditInputsOptions {
  /** The result store the workers read; inputs are copied into it under the batch. */
  readonly store: Pick<ResultStore, 'putInput'>;
  /** Reads inputs named by URL, blob URL, store reference or (with `localInputsDir`) local path. */
  readonly reader: InputReader;
}

export interface EnqueueOptions {
  /** Default: a new id like `b-lq3k9x-4f2a`. Same id + same requests = nothing new added. */
  readonly batchId?: string;
  /**
   * Refuses requests no deployment would serve, with the reason; for callers that know the
   * deployments (a self-contained run). Default: no check, workers elsewhere may serve them.
   */
  readonly checkServed?: (request: ImageRequest) => string | undefined;
  /**
   * The batch's budget, USD (`--max-cost`), set before any of its jobs is added, so no worker
   * starts a call of the batch without it; default: the batch's budget stays as it is.
   */
  readonly maxCostUsd?: number;
  /**
   * Where the batch's webhook events go, set before any of its jobs is added so its end cannot
   * be missed; the caller has checked the URL against the allow-list (checkCallbackUrl).
   * Default: the batch's callback stays as it is (none for a new batch).
   */
  readonly callback?: BatchCallback;
  /**
   * Who gets the deployments' next slots first: the batch's jobs carry it (`high`, `normal`,
   * `bulk`); batches of one priority take turns. It is recorded in the batch (its summary's
   * `priority`) and replaces the one recorded before. Default: the priority the batch records
   * (rows added to a `bulk` batch are `bulk` too), none for a new batch, i.e. `normal`. Jobs
   * the batch already holds keep the priority they were added with.
   */
  readonly priority?: JobPriority;
  /** Clock for model lifecycles (a retired model is refused, one retiring soon noted), epoch ms; default now. */
  readonly nowMs?: number;
  /** Called as chunks reach Redis (and once at the end) with running totals; default none. */
  readonly onProgress?: (progress: EnqueueProgress) => void;
  /**
   * Looks at the jobs the batch already holds before they are added again, and names the ones
   * not to add (see reviewKnownJobs in batch/review-known-jobs.ts: rows that changed). Default:
   * none, every job is added again (BullMQ adds nothing for a job id it still holds).
   */
  readonly reviewKnownJobs?: KnownJobsReview;
  /**
   * The folder local input image paths are relative to and must stay inside (a CSV's folder);
   * default none: local paths are refused (inputs must be URLs or store references).
   */
  readonly localInputsDir?: string;
}

/**
 * Decides about jobs a batch already holds, before they are added again: returns the ids of
 * those not to add. Called with each chunk's known jobs, a few chunks at a time.
 */
export type KnownJobsReview = (jobs: readonly KnownJob[]) => Promise<ReadonlySet<string>>;

export interface KnownJob {
  readonly jobId: string;
  /** The job as this enqueue made it (from the rows given now). */
  readonly data: ImageJobData;
}

/** Running totals of an enqueue, for progress displays. */
export interface EnqueueProgress {
  /** Inputs (CSV rows, requests) read so far, good or bad. */
  readonly inputs: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly jobsAdded: number;
  readonly imagesAdded: number;
}

export interface EnqueueResult {
  readonly batchId: string;
  /** Requests that passed validation. */
  readonly accepted: number;
  readonly rejected: readonly RejectedRequest[];
  /** Image jobs (API calls) and images this call added; 0 when all were already there. */
  readonly jobsAdded: number;
  readonly imagesAdded: number;
  /** Jobs the batch already held from an earlier enqueue. */
  readonly jobsAlreadyQueued: number;
  /** Models of accepted requests that Azure retires within 30 days: taken, with this warning. */
  readonly notices: readonly ModelNotice[];
}

export interface Producer {
  /** Validates and enqueues requests; bad ones come back in `rejected`, good ones are added. */
  enqueue(requests: readonly unknown[], options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Enqueues inputs that carry their own locations (CSV rows), streaming: jobs are added in
   * chunks as inputs arrive, so a file of any size never sits in memory whole.
   */
  enqueueInputs(inputs: Iterable<RequestInput> | AsyncIterable<RequestInput>, options?: EnqueueOptions): Promise<EnqueueResult>;
  readonly queue: ImageQueue;
  readonly batches: BatchRegistry;
  close(): Promise<void>;
}

/**
 * Jobs per addBulk pipeline, and chunks in flight at once. Sending one chunk and waiting for it
 * leaves Redis idle while the next is parsed and the CPU idle while Redis runs BullMQ's add
 * script (~23 µs a job); a few chunks in flight keep both busy. The bound is the backpressure
 * that keeps the CSV stream from running ahead of Redis: memory stays at a few chunks whatever
 * the file's size. `npm run bench:ingest` (1,000,000 rows, two cores): ~29,000 rows/s at
 * 254 MB peak RSS, against ~24,000 for plain sequential addBulk of 1,000; bigger chunks or more
 * in flight bought no speed and cost memory.
 */
const ADD_CHUNK = 500;
const MAX_CHUNKS_IN_FLIGHT = 3;

/** Requests of a JSON array as inputs: named `requests[i]`, with `req-<i>` for one without an id. */
export function requestInputsOf(requests: readonly unknown[]): RequestInput[] {
  return requests.map((request, index) => ({ request, location: `requests[${index}]`, position: { index }, defaultId: `req-${index}` }));
}

export function newBatchId(now = Date.now()): string {
  return `b-${now.toString(36)}-${randomBytes(2).toString('hex')}`;
}

/** The enqueue side: other services, the CLI and the HTTP API all add jobs through this. */
export function createProducer(options: ProducerOptions = {}): Producer {
  const ownsConnection = !isRedisClient(options.connection);
  const redis = isRedisClient(options.connection) ? options.connection : createRedisClient(options.connection ?? DEFAULT_REDIS_URL, 'producer');
  const keys = createKeySpace(options.prefix ?? 'imgbatch');
  const logger = options.logger ?? createSilentLogger();
  const queue = createImageQueue(redis, keys, logger);
  const batches = createBatchRegistry(redis, keys, options.batchRetentionSeconds === undefined ? {} : { retentionSeconds: options.batchRetentionSeconds });

  async function addJobs(batchId: string, chunk: readonly ImageJobData[], review: KnownJobsReview | undefined): Promise<{ jobsAdded: number; imagesAdded: number }> {
    const jobs = chunk.map((data) => ({ data, jobId: imageJobId(data), images: data.variants.length, line: unstartedLineOf(data) }));
    // Count first, then add. A worker sees a job only once it is added, so it can never count
    // the job before the producer does (it would, in the other order, and `imagesAdded` would
    // come out short). A crash between the two leaves counted jobs not yet added; enqueueing
    // the same requests again adds them, since addBulk runs for every job, counted or not.
    const added = new Set(await batches.addJobs(batchId, jobs, options.imagesPerCall ?? 1));
    const known = jobs.filter((job) => !added.has(job.jobId));
    const withheld = review === undefined || known.length === 0 ? new Set<string>() : await review(known);
    await queue.addBulk(jobs.filter((job) => !withheld.has(job.jobId)).map(({ data, jobId }) => ({ name: IMAGE_JOB_NAME, data, opts: { jobId } })));
    let jobsAdded = 0;
    let imagesAdded = 0;
    for (const job of jobs) {
      if (added.has(job.jobId)) {
        jobsAdded++;
        imagesAdded += job.images;
      }
    }
    return { jobsAdded, imagesAdded };
  }

  async function enqueueInputs(
    inputs: Iterable<RequestInput> | AsyncIterable<RequestInput>,
    enqueueOptions: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const batchId = enqueueOptions.batchId ?? newBatchId();
    checkBatchId(batchId);
    if (enqueueOptions.maxCostUsd !== undefined) await batches.setMaxCost(batchId, enqueueOptions.maxCostUsd);
    if (enqueueOptions.callback !== undefined) await batches.setCallback(batchId, enqueueOptions.callback);
    await batches.claimImagesPerCall(batchId, options.imagesPerCall ?? 1);
    // Recorded before the first job is added, so the batch never shows another priority than its
    // newest jobs carry; after the images-per-call check, so an enqueue it refuses changes nothing.
    if (enqueueOptions.priority !== undefined) await batches.setPriority(batchId, enqueueOptions.priority);
    const priority = enqueueOptions.priority ?? (await batches.priorityOf(batchId));
    const preparer = createJobPreparer({
      batchId,
      ...(enqueueOptions.nowMs !== undefined && { now: enqueueOptions.nowMs }),
      ...(options.models !== undefined && { models: options.models }),
      ...(options.imagesPerCall !== undefined && { imagesPerCall: options.imagesPerCall }),
      ...(enqueueOptions.checkServed !== undefined && { checkServed: enqueueOptions.checkServed }),
    });
    const rejected: RejectedRequest[] = [];
    let accepted = 0;
    let jobsSeen = 0;
    let jobsAdded = 0;
    let imagesAdded = 0;
    let buffer: ImageJobData[] = [];
    const inFlight = new Set<Promise<void>>();
    // The first failed chunk; later chunks still settle before enqueueInputs returns or throws,
    // so nothing is left writing to Redis behind the caller's back.
    let failure: { readonly error: unknown } | undefined;
    const reportProgress = (): void =>
      enqueueOptions.onProgress?.({ inputs: accepted + rejected.length, accepted, rejected: rejected.length, jobsAdded, imagesAdded });
    const flush = (): void => {
      const chunk = buffer;
      buffer = [];
      const sent: Promise<void> = addJobs(batchId, chunk, enqueueOptions.reviewKnownJobs)
        .then((added) => {
          jobsAdded += added.jobsAdded;
          imagesAdded += added.imagesAdded;
          reportProgress();
        })
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    };
    // Input images are read, checked and copied before their request is prepared, so a bad one
    // refuses its row and nothing of it is enqueued.
    const editInputs = options.editInputs;
    const checkedInputs =
      editInputs === undefined
        ? inputs
        : resolveEditInputs(inputs, { batchId, reader: editInputs.reader, store: editInputs.store, localDir: enqueueOptions.localInputsDir, models: options.models });
    try {
      for await (const input of checkedInputs) {
        const prepared = preparer.prepare(input);
        if (prepared.kind === 'rejected') {
          rejected.push(prepared.rejection);
          continue;
        }
        accepted++;
        jobsSeen += prepared.jobs.length;
        for (const job of prepared.jobs) buffer.push(priority === undefined ? job : { ...job, priority });
        if (buffer.length < ADD_CHUNK) continue;
        flush();
        // Backpressure: stop pulling rows while Redis has enough to do.
        while (inFlight.size >= MAX_CHUNKS_IN_FLIGHT) await Promise.race(inFlight);
        if (failure !== undefined) break;
      }
      if (buffer.length > 0 && failure === undefined) flush();
    } finally {
      await Promise.all(inFlight);
    }
    if (failure !== undefined) throw failure.error;
    reportProgress();
    return { batchId, accepted, rejected, jobsAdded, imagesAdded, jobsAlreadyQueued: jobsSeen - jobsAdded, notices: preparer.notices() };
  }

  return {
    queue,
    batches,
    enqueueInputs,
    enqueue(requests, enqueueOptions) {
      return enqueueInputs(requestInputsOf(requests), enqueueOptions);
    },
    async close() {
      await queue.close();
      if (ownsConnection) await redis.quit();
    },
  };
}
