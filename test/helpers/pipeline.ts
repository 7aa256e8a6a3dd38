import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterEach, inject } from 'vitest';
import type { BatchSummary } from '../../src/batch/batch-registry.js';
import { simulatorDeployments } from '../../src/cli/open-runtime.js';
import type { FetchSettings, LimiterSettings, WorkerSettings } from '../../src/config/config.js';
import type { DeploymentConfig } from '../../src/config/deployment-config.js';
import type { PriceTable } from '../../src/cost/price-table.js';
import type { ModelCatalogue } from '../../src/models/model-catalogue.js';
import { DEFAULT_FETCH_SETTINGS, DEFAULT_LIMITER_SETTINGS } from '../../src/config/load-config.js';
import { createInputReader, type InputReader } from '../../src/inputs/input-reader.js';
import { createSlotLimiter, type SlotLimiter } from '../../src/limiter/slot-limiter.js';
import { createLogger } from '../../src/log/logger.js';
import { createKeySpace } from '../../src/queue/key-space.js';
import { createProducer, type Producer } from '../../src/queue/producer.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { createSimulator, type Simulator } from '../../src/simulator/create-simulator.js';
import type { SimulatorOptionsInput } from '../../src/simulator/simulator-options.js';
import { createFsResultStore } from '../../src/storage/fs-result-store.js';
import type { ResultStore } from '../../src/storage/result-store.js';
import { createImageWorker, type ImageWorker } from '../../src/worker/image-worker.js';
import type { CallImages } from '../../src/worker/process-image-job.js';
import { deleteKeysWithPrefix, uniquePrefix } from './redis.js';

/** Fast settings for tests: short backoffs and timeouts; the shapes of production. */
/** How often a test worker writes its call metrics, ms. */
export const TEST_METRICS_FLUSH_MS = 500;

export const TEST_WORKER_SETTINGS: WorkerSettings = {
  concurrency: 16,
  attempts: 3,
  backoffBaseMs: 50,
  backoffMaxMs: 400,
  maxRateLimitWaits: 10,
  pauseRecheckMs: 500,
  imagesPerCall: 1,
  timeoutMs: 5_000,
  timeoutRetries: 1,
  maxWaitMs: 600_000,
  lockDurationMs: 5_000,
  stalledIntervalMs: 5_000,
};

export const TEST_LIMITER_SETTINGS: LimiterSettings = DEFAULT_LIMITER_SETTINGS;

export interface PipelineOptions {
  readonly simulator: SimulatorOptionsInput;
  readonly worker?: Partial<WorkerSettings>;
  readonly limiter?: Partial<LimiterSettings>;
  /** Change what the worker believes about deployments (e.g. a wrong key). */
  readonly deployments?: (fromSimulator: DeploymentConfig[]) => DeploymentConfig[];
  /** Default: the test run's private redis-server. */
  readonly redisUrl?: string;
  /** Stands in for the Azure call where the simulator cannot produce an answer (malformed bodies). */
  readonly callImages?: CallImages;
  /** Outbound rules (a config's `fetch:`): input images named by URL for producer and workers, and the workers' downloads of `url` answers. */
  readonly inputFetch?: Partial<FetchSettings>;
  /** The models simulator, producer and worker know (a config's `config.models`); default the built-in ones. */
  readonly models?: ModelCatalogue;
  /** The worker's prices (a config's `config.prices`); default the built-in table. */
  readonly prices?: PriceTable;
  /** The store the workers write, made from the pipeline's folder store (a faulty or blob store); default that folder store. */
  readonly workerStore?: (folderStore: ResultStore) => ResultStore;
  /** How long an ended batch's keys stay, seconds, for producer and workers (a config's `config.batchRetentionSeconds`); default 30 days. */
  readonly batchRetentionSeconds?: number;
}

export interface Pipeline {
  readonly simulator: Simulator;
  readonly producer: Producer;
  readonly store: ResultStore;
  readonly outputDir: string;
  readonly prefix: string;
  readonly redisUrl: string;
  readonly deployments: readonly DeploymentConfig[];
  readonly workerSettings: WorkerSettings;
  readonly limiterSettings: LimiterSettings;
  readonly limiter: SlotLimiter;
  /** Reads input images of edits as producer and workers do (the store, and URLs under `inputFetch`). */
  readonly inputReader: InputReader;
  /** Every log line the in-process workers wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  startWorker(): ImageWorker;
  /** Resolves when every image of the batch has an outcome; throws after timeoutMs. */
  waitForBatch(batchId: string, timeoutMs?: number): Promise<BatchSummary>;
  close(): Promise<void>;
}

/** A whole imgbatch pipeline in this process, on the run's private Redis and a temp folder. */
export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const redisUrl = options.redisUrl ?? inject('redisUrl');
  const prefix = uniquePrefix('pipe');
  const simulator = await createSimulator(options.simulator, options.models === undefined ? {} : { models: options.models });
  const outputDir = await mkdtemp(join(tmpdir(), 'imgbatch-out-'));
  const store = createFsResultStore({ root: outputDir });
  const workerStore = options.workerStore?.(store) ?? store;
  const fromSimulator = simulatorDeployments(simulator);
  const deployments = options.deployments === undefined ? fromSimulator : options.deployments(fromSimulator);
  const workerSettings = { ...TEST_WORKER_SETTINGS, ...options.worker };
  const limiterSettings = { ...TEST_LIMITER_SETTINGS, ...options.limiter };
  const inputReader = createInputReader({ store, fetch: { ...DEFAULT_FETCH_SETTINGS, ...options.inputFetch } });
  // Edits as every producer with a store has them: inputs checked and copied into this store.
  const producer = createProducer({
    connection: redisUrl,
    prefix,
    editInputs: { store, reader: inputReader },
    ...(options.models !== undefined && { models: options.models }),
    ...(options.batchRetentionSeconds !== undefined && { batchRetentionSeconds: options.batchRetentionSeconds }),
  });
  const admin: Redis = createRedisConnection(redisUrl, 'worker');
  const limiter = createSlotLimiter(admin, createKeySpace(prefix), limiterSettings);
  const logs: Array<Record<string, unknown>> = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const logger = createLogger({ level: 'debug', destination: logStream });
  const workers: Array<{ worker: ImageWorker; connection: Redis }> = [];

  return {
    simulator,
    producer,
    store,
    outputDir,
    prefix,
    redisUrl,
    deployments,
    workerSettings,
    limiterSettings,
    limiter,
    inputReader,
    logs,
    startWorker() {
      const connection = createRedisConnection(redisUrl, 'worker');
      const worker = createImageWorker({
        connection,
        prefix,
        deployments,
        store: workerStore,
        settings: workerSettings,
        limiter: limiterSettings,
        logger,
        inputReader,
        fetch: { ...DEFAULT_FETCH_SETTINGS, ...options.inputFetch },
        // Tests read the metrics soon after the calls; the default waits 10 s to write them.
        metricsFlushMs: TEST_METRICS_FLUSH_MS,
        ...(options.callImages !== undefined && { callImages: options.callImages }),
        ...(options.models !== undefined && { models: options.models }),
        ...(options.prices !== undefined && { prices: options.prices }),
        ...(options.batchRetentionSeconds !== undefined && { batchRetentionSeconds: options.batchRetentionSeconds }),
      });
      workers.push({ worker, connection });
      return worker;
    },
    async waitForBatch(batchId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // A Redis restart in the middle of a test makes a read fail; that is not the end.
        const summary = await producer.batches.summary(batchId).catch(() => undefined);
        if (summary !== undefined && summary.images > 0 && summary.pending === 0) return summary;
        if (Date.now() > deadline) throw new Error(`batch ${batchId} not finished after ${timeoutMs} ms: ${JSON.stringify(summary ?? null)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      for (const { worker, connection } of workers) {
        await worker.close();
        await connection.quit();
      }
      await producer.close();
      await deleteKeysWithPrefix(admin, prefix);
      await admin.quit();
      await simulator.close();
      await store.close();
      await rm(outputDir, { recursive: true, force: true });
    },
  };
}

/**
 * For a describe block: returns `open(options)`, which makes a pipeline that is closed after
 * each test.
 */
export function usePipeline(): (options: PipelineOptions) => Promise<Pipeline> {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });
  return async (options) => {
    pipeline = await createPipeline(options);
    return pipeline;
  };
}
