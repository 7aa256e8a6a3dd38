import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../queue/redis-connection.js';
import type { OpenAI } from 'openai';
import { createBatchRegistry } from '../batch/batch-registry.js';
import type { FetchSettings, LimiterSettings, WorkerSettings } from '../config/config.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { createImageClient } from '../azure/create-image-client.js';
import { editImages } from '../azure/edit-images.js';
import { generateImages } from '../azure/generate-images.js';
import { DEFAULT_FETCH_SETTINGS, DEFAULT_SPOOL_MAX_BYTES, DEFAULT_STORE_PROBE_MS } from '../config/load-config.js';
import { createInputReader, type InputReader } from '../inputs/input-reader.js';
import { IMAGE_QUEUE_NAME, type ImageJobData } from '../job/image-job.js';
import { createSlotLimiter } from '../limiter/slot-limiter.js';
import { slotCandidateListsOf } from '../limiter/slot-candidate-lists.js';
import { warmUpImageCalls } from '../azure/warm-up-image-calls.js';
import type { Logger } from '../log/logger.js';
import { KEEP_FAILED_JOBS_SECONDS } from '../queue/image-queue.js';
import { createKeySpace } from '../queue/key-space.js';
import { createCallMetrics } from '../metrics/call-metrics.js';
import { meterCallImages } from './metered-call-images.js';
import type { ResultStore } from '../storage/result-store.js';
import { createFolderImageSpool } from '../storage/image-spool.js';
import { createStoreBreaker } from '../storage/store-breaker.js';
import { createStoreGuard } from '../storage/store-guard.js';
import { DEFAULT_PRICE_TABLE } from '../cost/default-price-table.js';
import type { PriceTable } from '../cost/price-table.js';
import { BUILT_IN_CATALOGUE, type ModelCatalogue } from '../models/model-catalogue.js';
import { downloadImage } from './download-image.js';
import { createJobState } from '../queue/job-state.js';
import { createPendingDownloads } from '../queue/pending-downloads.js';
import { maxImagesResponseBytes } from '../azure/max-images-response-bytes.js';
import { isLoopbackEndpoint } from '../net/is-loopback-endpoint.js';
import { admissionAllowance, admissionStep, concurrencyCeiling, concurrencyNow, nextConcurrency, readProcessCapacity } from './worker-concurrency.js';
import { wakeWorkerLoop } from './wake-worker-loop.js';
import { callTimeoutOf } from './call-timeout.js';
import { createLineGate } from './line-gate.js';
import { lineWaitOf } from './line-wait-of.js';
import { createQueueBacklog, type QueueBacklog } from './queue-backlog.js';
import { lockDurationOf, lockRenewTimeOf } from './lock-duration-of.js';
import { createOverlappingRuns } from './overlapping-runs.js';
import { giveUpStalledJob, MAX_STALLS } from './give-up-stalled-job.js';
import { reconcileJobOutcomes } from './reconcile-job-outcomes.js';
import { processImageJob, type CallImages, type JobSummary, type ProcessorDeps } from './process-image-job.js';

export interface ImageWorkerOptions {
  /** A connection made with role `worker` (maxRetriesPerRequest: null); the caller owns it. */
  readonly connection: RedisClient;
  /** Key prefix shared with producers; default `imgbatch`. */
  readonly prefix?: string;
  readonly deployments: readonly DeploymentConfig[];
  readonly store: ResultStore;
  readonly settings: WorkerSettings;
  readonly limiter: LimiterSettings;
  readonly logger: Logger;
  /** Replaces the real Azure call (benchmarks of other clients); default: AzureOpenAI per deployment. */
  readonly callImages?: CallImages;
  /** Prices for budgets (`--max-cost`) and the cost in each record; default DEFAULT_PRICE_TABLE (pass `config.prices`). */
  readonly prices?: PriceTable;
  /**
   * Reads the input images of edit jobs; default: `store:` copies from `store`, and URLs under
   * DEFAULT_FETCH_SETTINGS (https, public addresses). Pass createConfiguredInputReader(config, store)
   * for the config's outbound rules and blob URLs read with the storage credential.
   */
  readonly inputReader?: InputReader;
  /** The models jobs are checked against; default the built-in ones (pass `config.models`). */
  readonly models?: ModelCatalogue;
  /**
   * Rules for downloading images answered as a URL, and the cap on answers' bodies; default
   * DEFAULT_FETCH_SETTINGS (pass `config.fetch`). Loopback http is allowed besides when a
   * deployment's endpoint is itself on loopback (a local simulator serves its images there).
   */
  readonly fetch?: FetchSettings;
  /** How long a batch's data stays in Redis after it ends, seconds; default 30 days (pass `config.batchRetentionSeconds`). */
  readonly batchRetentionSeconds?: number;
  /** How often this process writes its call metrics to Redis, ms; default DEFAULT_METRICS_FLUSH_MS. */
  readonly metricsFlushMs?: number;
}

/**
 * Call metrics are summed in the worker and written every 10 s: a flush writes each counter that
 * moved (about five per deployment), so with 16 deployments at 2,400 rpm a flush every 2 s still
 * cost about one Redis command per call, every 10 s about 0.2. A scrape (every 15 s or more)
 * sees them at most 10 s late; a worker killed outright loses at most its last 10 s of counts.
 */
export const DEFAULT_METRICS_FLUSH_MS = 10_000;

export interface ImageWorker {
  readonly worker: Worker<ImageJobData, JobSummary>;
  /** Settles when the worker stops taking jobs; it starts once the limiter and connections are ready. */
  readonly running: Promise<void>;
  /** Stops taking jobs, lets the ones in flight finish, closes the worker. */
  close(): Promise<void>;
}

/**
 * The real call: one AzureOpenAI client per deployment, all made now, so that a deployment
 * the client refuses (a malformed endpoint or name) stops the worker at start rather than
 * failing every job at its first call.
 */
export function createAzureCallImages(
  deployments: readonly DeploymentConfig[],
  timeoutMsOf: (deployment: DeploymentConfig) => number,
  maxDownloadBytes: number = DEFAULT_FETCH_SETTINGS.maxDownloadBytes,
): CallImages {
  const clients = new Map<string, OpenAI>(
    deployments.map((deployment) => [
      deployment.name,
      createImageClient({
        endpoint: deployment.endpoint,
        deployment: deployment.deployment,
        apiVersion: deployment.apiVersion,
        api: deployment.api,
        timeoutMs: timeoutMsOf(deployment),
        auth: deployment.auth,
      }),
    ]),
  );
  return async (deployment, job, options) => {
    const client = clients.get(deployment.name);
    if (client === undefined) throw new Error(`no client for deployment ${deployment.name}`);
    const callOptions = { clientRequestId: options.clientRequestId, model: deployment.deployment, maxBodyBytes: maxImagesResponseBytes(job.variants.length, maxDownloadBytes) };
    return options.editInputs === undefined ? generateImages(client, job, callOptions) : editImages(client, job, options.editInputs, callOptions);
  };
}

/** The backlog as `backlog` sees it, except that while the worker closes every slot is wanted. */
function closingOr(backlog: QueueBacklog, isClosing: () => boolean): QueueBacklog {
  return { isSlotWanted: (turnInMs, line) => (isClosing() ? Promise.resolve(true) : backlog.isSlotWanted(turnInMs, line)) };
}

/** How often `auto` concurrency follows the calls underway, ms. */
const CONCURRENCY_TICK_MS = 250;

/** Time for the warm-up's connection to an endpoint, ms: a handshake, not an image call. */
const WARM_UP_TIMEOUT_MS = 10_000;

/** The worker process's composition root: BullMQ on one side, processImageJob on the other. */
export function createImageWorker(options: ImageWorkerOptions): ImageWorker {
  const keys = createKeySpace(options.prefix ?? 'imgbatch');
  const { connection, logger } = options;
  const models = options.models ?? BUILT_IN_CATALOGUE;
  const fetchSettings = options.fetch ?? DEFAULT_FETCH_SETTINGS;
  const callTimeoutMsOf = (deployment: DeploymentConfig): number => callTimeoutOf(deployment, models, options.settings).ms;
  const callImages = options.callImages ?? createAzureCallImages(options.deployments, callTimeoutMsOf, fetchSettings.maxDownloadBytes);
  const downloadOptions = {
    maxBytes: fetchSettings.maxDownloadBytes,
    timeoutMs: fetchSettings.timeoutMs,
    allowPrivateAddresses: fetchSettings.allowPrivateAddresses,
    allowLoopback: fetchSettings.allowLoopback || options.deployments.some((deployment) => isLoopbackEndpoint(deployment.endpoint)),
  };
  const callMetrics = createCallMetrics(connection, keys, {
    flushMs: options.metricsFlushMs ?? DEFAULT_METRICS_FLUSH_MS,
    onFlushError: (error) => {
      logger.warn({ err: error }, 'call metrics not recorded');
    },
  });
  // The API serving /metrics runs elsewhere; it learns each deployment's quota from here.
  callMetrics.registerDeployments(options.deployments).catch((error: unknown) => {
    logger.warn({ err: error }, 'deployments not registered for metrics');
  });
  const limiter = createSlotLimiter(connection, keys, options.limiter);
  const lockDurationMs = lockDurationOf(options.settings, options.deployments, models);
  // [store-gate] One guard per process: the breaker is shared through Redis, the spool is this
  // machine's folder (per key prefix by default, so two imgbatch setups never mix their images).
  const workerName = `${hostname()}:${process.pid}`;
  const storeGuard = createStoreGuard({
    store: options.store,
    breaker: createStoreBreaker(connection, keys),
    spool: createFolderImageSpool({
      dir: options.settings.spoolDir ?? join(tmpdir(), 'imgbatch-spool', options.prefix ?? 'imgbatch'),
      maxBytes: options.settings.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
    }),
    logger,
    holder: workerName,
    probeIntervalMs: options.settings.storeProbeMs ?? DEFAULT_STORE_PROBE_MS,
    recheckMs: options.settings.pauseRecheckMs,
  });
  // What an earlier run of this worker spooled is written first (and the breaker probed).
  storeGuard.start();
  // [/store-gate]
  // Jobs in this process's hands now, against worker.concurrency (queue-backlog.ts).
  let jobsRunning = 0;
  const lineWait = lineWaitOf(options.limiter, lockDurationMs);
  const deps: ProcessorDeps = {
    deployments: options.deployments,
    models,
    callImages: meterCallImages(callImages, { metrics: callMetrics, logger }),
    downloadImage: (url) => downloadImage(url, downloadOptions),
    pendingDownloads: createPendingDownloads(connection, keys),
    inputReader: options.inputReader ?? createInputReader({ store: options.store, fetch: DEFAULT_FETCH_SETTINGS }),
    limiter,
    batches: createBatchRegistry(connection, keys, options.batchRetentionSeconds === undefined ? {} : { retentionSeconds: options.batchRetentionSeconds }),
    jobState: createJobState(connection, keys),
    store: options.store,
    storeGate: storeGuard, // [store-gate]
    settings: options.settings,
    prices: options.prices ?? DEFAULT_PRICE_TABLE,
    // A delayed job wakes well before its slot: its store lookups and BullMQ's promotion of
    // delayed jobs take time, and a job that arrives late loses its slot. Early costs nothing:
    // it sleeps the rest in the worker.
    wakeEarlyMs: options.limiter.maxSleepMs / 2,
    lineWait,
    lineGate: createLineGate(),
    // A closing worker wants every slot back: its jobs waiting in line park rather than call.
    // Full: holding all it may. Under `auto` that is the target, not the step the ramp is at.
    // A job whose turn is within maxSleepMs keeps its slot (queue-backlog.ts): farther ones
    // park for another line's backlog, as they must under a fixed concurrency too, where no
    // job's turn need lie beyond the wait in the process.
    backlog: closingOr(createQueueBacklog(connection, keys, () => jobsRunning >= (isAuto ? concurrencyNow(ceiling, callsUnderway, allowance) : worker.concurrency), lineWait.gateMs), () => isClosing),
    lateToleranceMs: options.limiter.lateToleranceMs,
    logger,
  };
  const reconcileDeps = { ...deps, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
  const { concurrency } = options.settings;
  const isAuto = concurrency === 'auto';
  // `auto` follows the calls as they start (see concurrencyNow), up to what memory allows; the
  // allowance covers the jobs waiting in line in the process besides those taking their slot.
  const ceiling = concurrencyCeiling(readProcessCapacity());
  // Jobs for the turns one wait in the process covers (plus twice maxSleepMs). A job waits
  // behind its line's jobs (line-gate.ts) at most that long, then for its turn at most that
  // long again. Admitted for twice the wait (as once), the newest jobs' turns lay beyond both
  // (4 s + 20 s of quota ahead against 20 s): each of them parked, a trip through BullMQ's
  // delayed set of about forty Redis commands, and came back behind the jobs not fetched yet.
  const allowance = admissionAllowance(options.deployments, options.limiter.maxSleepMs, lineWait.inProcessMs);
  /** Runs of this process whose call has started and that have not ended yet. */
  let callsUnderway = 0;
  const step = admissionStep(options.deployments, CONCURRENCY_TICK_MS);
  /** `auto`'s next concurrency from `current`: the calls underway plus the allowance, a step ahead of the jobs held at most. */
  const followCalls = (current: number): number => nextConcurrency(current, concurrencyNow(ceiling, callsUnderway, allowance), step, jobsRunning);
  const callImagesCounted = (run: { hasCalled: boolean }): CallImages => (deployment, job, callOptions) => {
    if (!run.hasCalled) {
      run.hasCalled = true;
      callsUnderway++;
    }
    return deps.callImages(deployment, job, callOptions);
  };
  // BullMQ renews locks by job id: a run that took its job over in this process keeps its lock
  // when the older run of that job ends (overlapping-runs.ts).
  const lockRenewTimeMs = lockRenewTimeOf(lockDurationMs);
  const overlappingRuns = createOverlappingRuns({
    lockDurationMs,
    // As often as BullMQ's own timer looks (every half of lockRenewTime): a lock is renewed with
    // more than its margin left, and one refused renewal leaves time for the next.
    renewEveryMs: Math.max(1, Math.floor(lockRenewTimeMs / 2)),
    onRenewalFailed: (jobId, error) => {
      // Refused (no error): the older run outlived the newer one, whose end took the lock along.
      if (error === undefined) logger.debug({ jobId }, 'a run of a job no longer holds its lock; not renewed');
      else logger.warn({ jobId, err: error }, 'the lock of a job taken over in this process could not be renewed');
    },
  });
  const processJob = async (job: Job<ImageJobData, JobSummary>, token: string | undefined): Promise<JobSummary> => {
    const jobId = job.id ?? job.name;
    if (job.stalledCounter > MAX_STALLS) throw new UnrecoverableError(await giveUpStalledJob(reconcileDeps, { id: jobId, data: job.data, stalls: job.stalledCounter }));
    const run = { hasCalled: false };
    let result;
    try {
      // Back from a wait (parked, a backoff, a stall): BullMQ counts every fetch of a job in
      // attemptsStarted, and clears `delay` when it promotes a delayed job, so that says nothing.
      result = await processImageJob(isAuto ? { ...deps, callImages: callImagesCounted(run) } : deps, { id: jobId, data: job.data, wasDelayed: job.attemptsStarted > 1, lockToken: token });
    } finally {
      if (run.hasCalled) callsUnderway--;
    }
    switch (result.kind) {
      case 'completed':
        return result.summary;
      case 'delayed':
        logger.debug({ jobId, untilMs: result.untilMs, reason: result.reason }, 'job delayed');
        await job.moveToDelayed(result.untilMs, token);
        throw new DelayedError(result.reason);
      case 'failed':
        throw new UnrecoverableError(result.message);
      case 'lost':
        // The job is not this run's to move: its lock is another run's, or gone. BullMQ does
        // nothing with a job whose processor throws DelayedError (the processor moved it, as
        // above); the holder finishes it, or the stalled check hands it to a worker.
        logger.warn({ jobId, reason: result.reason }, 'job no longer held by this run');
        throw new DelayedError(result.reason);
    }
  };
  const worker = new Worker<ImageJobData, JobSummary>(
    IMAGE_QUEUE_NAME,
    async (job, token) => {
      jobsRunning++;
      const endRun = token === undefined ? undefined : overlappingRuns.begin({ jobId: job.id ?? job.name, token, extendLock: (t, ms) => job.extendLock(t, ms) });
      try {
        return await processJob(job, token);
      } finally {
        endRun?.();
        jobsRunning--;
      }
    },
    {
      connection,
      prefix: keys.bullPrefix,
      // Shown as the job's processedBy, so an operator sees which process made which image.
      name: workerName, // [store-gate] the same name is shown as a spool's holder
      concurrency: isAuto ? followCalls(0) : concurrency,
      lockDuration: lockDurationMs,
      // The lock is renewed every half of its duration for as long as the job's call runs, so
      // a call of 10 minutes (gpt-image-2 allows 540 s) is never handed to a second worker while
      // the first still waits for it (test/integration/pipeline/long-calls.test.ts). BullMQ's
      // default; set here because everything against paying twice rests on it.
      lockRenewTime: lockRenewTimeMs,
      stalledInterval: options.settings.stalledIntervalMs,
      // A worker killed mid-call leaves its job stalled; another worker takes it up again.
      // BullMQ's own limit would fail the job where no outcome gets recorded (see
      // giveUpStalledJob), so it sits far above ours.
      maxStalledCount: 1_000,
      // Started below, once the process can send a call the moment its slot comes.
      autorun: false,
      // For jobs added without these options (plain BullMQ clients, other languages); a job's
      // own options win. The same as the image queue's defaults (src/queue/image-queue.ts).
      removeOnComplete: { count: 0 },
      removeOnFail: { age: KEEP_FAILED_JOBS_SECONDS },
    },
  );
  worker.on('error', (error) => {
    logger.error({ err: error }, 'worker error');
  });

  // Only with `auto`; an explicit number is kept. The concurrency follows the calls underway:
  // a backlog is taken in `allowance` jobs at a time, a step ahead of the processor at most, and
  // calls slower than the model's expected latency simply keep more of them underway (Little's
  // law, measured rather than assumed).
  const resize = isAuto
    ? setInterval(() => {
        const next = followCalls(worker.concurrency);
        if (next === worker.concurrency) return;
        const isRising = next > worker.concurrency;
        worker.concurrency = next;
        // Held jobs waiting for their turn or their call do not end for seconds or minutes, and
        // BullMQ looks at its concurrency again only when one does.
        if (isRising) wakeWorkerLoop(worker);
      }, CONCURRENCY_TICK_MS)
    : undefined;
  resize?.unref();
  worker.on('stalled', (jobId) => {
    // The worker holding this job died or hung; another takes it up. The processor waits for
    // the deadline of a call it had in flight (a living worker may still keep its image), then
    // counts that call as possibly billed: if the worker is dead, the image is paid twice, the
    // one window where that can happen.
    logger.warn({ jobId }, 'job of a stalled worker taken over; its call in flight, if any, may have been billed');
  });
  worker.on('lockRenewalFailed', (jobIds) => {
    // Redis did not take the renewal (an outage longer than the lock): another worker may take
    // these jobs up while their calls still run here. It waits for each call's deadline and
    // reads the store before calling again, so what these calls bring is kept, not paid twice.
    logger.error({ jobIds }, 'job locks could not be renewed; their calls in flight may be made again by another worker');
  });
  worker.on('failed', (job, error) => {
    logger.warn({ jobId: job?.id, error: error.message }, 'image job failed');
    if (job === undefined) return;
    // A job that failed without recording every image's outcome (an error the processor did
    // not expect, Redis refusing bookkeeping past its retries) would keep its batch waiting
    // for ever: its images get one here, and its open call counts as possibly billed.
    const detail = { reason: 'lost_outcome_reconciled', message: `the job failed (${error.message}) before recording this image's outcome` } as const;
    reconcileJobOutcomes(reconcileDeps, { id: job.id ?? job.name, data: job.data }, detail)
      .then((reconciled) => {
        if (reconciled > 0) logger.warn({ jobId: job.id, reconciled }, 'outcomes of a failed job reconciled');
      })
      .catch((reconcileError: unknown) => {
        logger.error({ err: reconcileError, jobId: job.id }, 'outcomes of a failed job not reconciled; `imgbatch resume` retries its images');
      });
  });

  // No slot is taken before the process can call on time: Redis holds the limiter's scripts
  // and this worker's slot groups, and each endpoint has an open connection. A first call timed
  // across a script load or a connection setup leaves late, next to another process's call on
  // time, and is the second call of one of Azure's short windows: a 429.
  let isClosing = false;
  const ready = Promise.all([
    limiter.prepare(slotCandidateListsOf(options.deployments)),
    options.callImages !== undefined
      ? undefined
      : warmUpImageCalls(
          options.deployments.map((deployment) => ({ ...deployment, timeoutMs: callTimeoutMsOf(deployment) })),
          WARM_UP_TIMEOUT_MS,
        ).then((failures) => {
          for (const failure of failures) logger.warn({ origin: failure.origin, error: failure.error }, 'endpoint not reached before the first call');
        }),
  ]).catch((error: unknown) => {
    logger.warn({ err: error }, 'limiter not prepared ahead; the first slots prepare it');
  });
  const running = ready
    .then(() => (isClosing ? undefined : worker.run()))
    .catch((error: unknown) => {
      logger.error({ err: error }, 'worker stopped taking jobs');
    });

  return {
    worker,
    running,
    async close() {
      isClosing = true;
      clearInterval(resize);
      await worker.close();
      await storeGuard.close(); // [store-gate]
      await callMetrics.close().catch((error: unknown) => {
        logger.warn({ err: error }, 'call metrics not recorded');
      });
    },
  };
}
