import type { RedisClient } from '../queue/redis-connection.js';
import { Counter, Gauge, Registry } from 'prom-client';
import { DEFAULT_LIMITER_SETTINGS } from '../config/load-config.js';
import { createBatchBudget } from '../batch/batch-budget.js';
import { createClientLedger, type ClientSpend } from '../batch/client-ledger.js';
import { createSlotLimiter, type DeploymentLimiterState } from '../limiter/slot-limiter.js';
import { createSilentLogger, type Logger } from '../log/logger.js';
import { createImageQueue } from '../queue/image-queue.js';
import { createKeySpace } from '../queue/key-space.js';
import { IMAGE_QUEUE_NAME } from '../job/image-job.js';
import { CALL_OUTCOMES } from './call-outcome.js';
import { CALL_DURATION_BUCKETS_SECONDS, createCallMetrics, type CallMetricsSnapshot, type RegisteredDeployment } from './call-metrics.js';
import { SnapshotHistogram } from './snapshot-histogram.js';

/** Job states counted for `imgbatch_queue_jobs`, as BullMQ names them. */
const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'completed', 'failed'] as const;

export interface PrometheusMetricsOptions {
  /** A producer connection (fail fast); the caller owns and closes it. */
  readonly connection: RedisClient;
  /** Key prefix shared with the workers; default `imgbatch`. */
  readonly prefix?: string;
  /** Where queue errors are logged; default silent. */
  readonly logger?: Logger;
}

export interface PrometheusMetrics {
  /** A registry of its own (never prom-client's global one), for callers that merge registries. */
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** The exposition text; one read of Redis per scrape, however many series. */
  render(): Promise<string>;
  /** Closes its queue handle; the connection stays the caller's. */
  close(): Promise<void>;
}

interface Scrape {
  readonly calls: CallMetricsSnapshot;
  readonly jobCounts: Readonly<Record<string, number>>;
  readonly limiter: ReadonlyArray<{ readonly deployment: RegisteredDeployment; readonly state: DeploymentLimiterState }>;
  readonly costUsd: number;
  readonly clients: readonly ClientSpend[];
}

/**
 * Prometheus metrics for the whole cluster, read from Redis at scrape time: the API process
 * that serves `/metrics` makes no calls itself, so every value comes from what the workers
 * wrote (call counters, latency buckets, the deployments they serve), the shared limiter's
 * state and BullMQ's job counts.
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
  const { connection } = options;
  const keys = createKeySpace(options.prefix ?? 'imgbatch');
  const callMetrics = createCallMetrics(connection, keys);
  // state() only reads; the settings matter to acquire and cooldown, which this never calls.
  const limiter = createSlotLimiter(connection, keys, DEFAULT_LIMITER_SETTINGS);
  const queue = createImageQueue(connection, keys, options.logger ?? createSilentLogger());
  const batches = createBatchBudget(connection, keys);
  const ledger = createClientLedger(connection, keys);
  const registry = new Registry();

  async function readScrape(): Promise<Scrape> {
    const [calls, jobCounts, costUsd, clients] = await Promise.all([
      callMetrics.read(),
      queue.getJobCounts(...JOB_STATES),
      batches.totalCostUsd(),
      ledger.spends(),
    ]);
    const states = await Promise.all(calls.deployments.map((deployment) => limiter.state(deployment.name)));
    const limiterRows = calls.deployments.flatMap((deployment, index) => {
      const state = states[index];
      return state === undefined ? [] : [{ deployment, state }];
    });
    return { calls, jobCounts, limiter: limiterRows, costUsd, clients };
  }

  // Every metric's collect() runs in the same tick of one registry.metrics() call: they share
  // one read of Redis, and the next scrape starts a fresh one.
  let inFlight: Promise<Scrape> | undefined;
  function scrape(): Promise<Scrape> {
    inFlight ??= readScrape().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  /** Deployments to show a zero for, so `rate()` has a series before the first event. */
  const knownDeployments = (s: Scrape): Set<string> =>
    new Set([...s.calls.deployments.map((d) => d.name), ...s.calls.calls.map((c) => c.deployment)]);

  const callsTotal: Counter<'deployment' | 'outcome'> = new Counter({
    name: 'imgbatch_calls_total',
    help: 'Images API calls, by deployment and outcome (ok, filtered, rate_limited, transient_error, terminal_error, deployment_error); a timeout or dropped connection is a transient_error.',
    labelNames: ['deployment', 'outcome'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      callsTotal.reset();
      for (const deployment of knownDeployments(s)) for (const outcome of CALL_OUTCOMES) callsTotal.inc({ deployment, outcome }, 0);
      for (const c of s.calls.calls) callsTotal.inc({ deployment: c.deployment, outcome: c.outcome }, c.count);
    },
  });

  const rateLimitedTotal: Counter<'deployment'> = new Counter({
    name: 'imgbatch_rate_limited_total',
    help: 'Calls answered 429 (rate limited), by deployment.',
    labelNames: ['deployment'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      rateLimitedTotal.reset();
      for (const deployment of knownDeployments(s)) rateLimitedTotal.inc({ deployment }, 0);
      for (const c of s.calls.calls) if (c.outcome === 'rate_limited') rateLimitedTotal.inc({ deployment: c.deployment }, c.count);
    },
  });

  const filteredTotal: Counter<'deployment' | 'stage'> = new Counter({
    name: 'imgbatch_filtered_images_total',
    help: 'Images the content filter refused, by deployment and stage (prompt, output).',
    labelNames: ['deployment', 'stage'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      filteredTotal.reset();
      for (const deployment of knownDeployments(s)) for (const stage of ['prompt', 'output']) filteredTotal.inc({ deployment, stage }, 0);
      for (const f of s.calls.filteredImages) filteredTotal.inc({ deployment: f.deployment, stage: f.stage }, f.count);
    },
  });

  const retriesTotal: Counter<'deployment'> = new Counter({
    name: 'imgbatch_retries_total',
    help: 'Calls that repeated an earlier call of the same job (after a 429, an error or a worker crash), by deployment.',
    labelNames: ['deployment'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      retriesTotal.reset();
      for (const deployment of knownDeployments(s)) retriesTotal.inc({ deployment }, 0);
      for (const r of s.calls.retries) retriesTotal.inc({ deployment: r.deployment }, r.count);
    },
  });

  registry.registerMetric(
    new SnapshotHistogram({
      name: 'imgbatch_call_duration_seconds',
      help: 'Duration of images API calls as the worker measured them, whatever the outcome, by deployment.',
      buckets: CALL_DURATION_BUCKETS_SECONDS,
      labelNames: ['deployment'],
      read: async () =>
        (await scrape()).calls.durations.map((d) => ({ labels: { deployment: d.deployment }, cumulativeCounts: d.buckets, count: d.count, sum: d.sumSeconds })),
    }),
  );

  const queueJobs: Gauge<'queue' | 'state'> = new Gauge({
    name: 'imgbatch_queue_jobs',
    help: 'Jobs in the queue by state (BullMQ job counts).',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      queueJobs.reset();
      for (const state of JOB_STATES) queueJobs.set({ queue: IMAGE_QUEUE_NAME, state }, s.jobCounts[state] ?? 0);
    },
  });

  /** A per-deployment gauge from the limiter's state. */
  function limiterGauge(name: string, help: string, value: (row: Scrape['limiter'][number]) => number): void {
    const gauge: Gauge<'deployment'> = new Gauge({
      name,
      help,
      labelNames: ['deployment'],
      registers: [registry],
      async collect() {
        const s = await scrape();
        gauge.reset();
        for (const row of s.limiter) gauge.set({ deployment: row.deployment.name }, value(row));
      },
    });
  }
  limiterGauge('imgbatch_deployment_rate_per_minute', 'Configured quota of the deployment, requests per minute.', (r) => r.deployment.ratePerMinute);
  limiterGauge(
    'imgbatch_deployment_effective_rate_per_minute',
    'Rate the shared limiter grants now, per minute: the configured rate times the factor repeated 429s cut it to.',
    (r) => r.deployment.ratePerMinute * r.state.rateFactor,
  );
  limiterGauge('imgbatch_deployment_calls_last_minute', 'Calls to the deployment that came back in the last minute, 429s included.', (r) => r.state.callsLastMinute);
  limiterGauge(
    'imgbatch_deployment_utilization_ratio',
    'Calls in the last minute over the configured rate per minute (1 = the whole quota).',
    (r) => (r.deployment.ratePerMinute > 0 ? r.state.callsLastMinute / r.deployment.ratePerMinute : 0),
  );
  limiterGauge('imgbatch_deployment_paused', '1 while the deployment is paused (bad key, missing deployment) until `imgbatch deployments resume`.', (r) =>
    r.state.pausedReason === undefined ? 0 : 1,
  );

  const costTotal: Counter = new Counter({
    name: 'imgbatch_cost_usd_total',
    help: 'Spend on image generation so far over every batch, US dollars (from usage when the service returns it, else the price table).',
    registers: [registry],
    async collect() {
      const s = await scrape();
      costTotal.reset();
      costTotal.inc(s.costUsd);
    },
  });

  const clientCostTotal: Counter<'client'> = new Counter({
    name: 'imgbatch_client_cost_usd_total',
    help: 'Spend of the batches each API client (http.clients, or admin) made, US dollars, over all time.',
    labelNames: ['client'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      clientCostTotal.reset();
      for (const c of s.clients) clientCostTotal.inc({ client: c.client }, c.totalUsd);
    },
  });

  const clientCostToday: Gauge<'client'> = new Gauge({
    name: 'imgbatch_client_cost_usd_today',
    help: 'Spend of each API client on the current UTC day, US dollars: what its daily cap is checked against.',
    labelNames: ['client'],
    registers: [registry],
    async collect() {
      const s = await scrape();
      clientCostToday.reset();
      for (const c of s.clients) clientCostToday.set({ client: c.client }, c.todayUsd);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    async close() {
      await queue.close();
    },
  };
}
