import type { RedisClient } from '../queue/redis-connection.js';
import type { FilterStage } from '../errors/decision.js';
import type { KeySpace } from '../queue/key-space.js';
import { CALL_OUTCOMES, type CallOutcome } from './call-outcome.js';

/**
 * Upper bounds of the call duration histogram, seconds. Fixed, because the buckets live in
 * Redis as counters every worker adds to: changing them would mix two histograms. Image calls
 * take 5–60 s on Azure (the SDK gives up at the configured timeout, 120 s by default); the low
 * buckets are for the simulator and for calls refused at once (429, 401).
 */
export const CALL_DURATION_BUCKETS_SECONDS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120];

/** One images call as the worker saw it. */
export interface CallSample {
  readonly deployment: string;
  readonly outcome: CallOutcome;
  readonly durationMs: number;
  /** Images the content filter refused in this call; undefined when none. */
  readonly filtered?: { readonly stage: FilterStage; readonly images: number } | undefined;
  /** Whether the call repeats an earlier call of the same job (after a 429, an error, a crash). */
  readonly isRetry: boolean;
}

/** A deployment some worker serves, as it registered itself. */
export interface RegisteredDeployment {
  readonly name: string;
  readonly model: string;
  readonly ratePerMinute: number;
}

export interface DurationSeries {
  readonly deployment: string;
  /** Cumulative counts, one per bound of CALL_DURATION_BUCKETS_SECONDS, in that order. */
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sumSeconds: number;
}

/** Every counter since the prefix was first used, summed over all workers. */
export interface CallMetricsSnapshot {
  readonly calls: ReadonlyArray<{ readonly deployment: string; readonly outcome: CallOutcome; readonly count: number }>;
  readonly filteredImages: ReadonlyArray<{ readonly deployment: string; readonly stage: FilterStage; readonly count: number }>;
  readonly retries: ReadonlyArray<{ readonly deployment: string; readonly count: number }>;
  readonly durations: readonly DurationSeries[];
  readonly deployments: readonly RegisteredDeployment[];
}

export interface CallMetrics {
  /**
   * Adds one call to the cluster-wide counters: one pipeline, one round trip; with `flushMs`,
   * added to this process's sums, which reach Redis at the next flush.
   */
  record(sample: CallSample): Promise<void>;
  /** Writes the sums held in this process (none without `flushMs`). */
  flush(): Promise<void>;
  /** Stops the flush timer and writes what is held. */
  close(): Promise<void>;
  /** Notes the deployments a worker serves and their configured rate; the last worker to start wins. */
  registerDeployments(deployments: readonly RegisteredDeployment[]): Promise<void>;
  read(): Promise<CallMetricsSnapshot>;
}

// Hash fields are JSON arrays `[series, ...labels]`: deployment names from env or the simulator
// may hold any character, and JSON keeps them apart without an escaping scheme of our own.
type Field =
  | readonly ['calls', string, CallOutcome]
  | readonly ['filtered', string, FilterStage]
  | readonly ['retries', string]
  | readonly ['duration_bucket', string, number]
  | readonly ['duration_in', string, number | '+Inf']
  | readonly ['duration_count', string]
  | readonly ['duration_ms_sum', string];

const field = (value: Field): string => JSON.stringify(value);

function parseField(text: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isOutcome(value: unknown): value is CallOutcome {
  return CALL_OUTCOMES.some((outcome) => outcome === value);
}

function isStage(value: unknown): value is FilterStage {
  return value === 'prompt' || value === 'output';
}

function parseDeployment(name: string, json: string): RegisteredDeployment | undefined {
  try {
    const value = JSON.parse(json) as Partial<Record<'model' | 'ratePerMinute', unknown>>;
    if (typeof value.model !== 'string' || typeof value.ratePerMinute !== 'number') return undefined;
    return { name, model: value.model, ratePerMinute: value.ratePerMinute };
  } catch {
    return undefined;
  }
}

/**
 * Call counters kept in Redis, because workers are separate processes (often on separate
 * machines) from the API that serves `/metrics`: each worker adds to the same hash, and a scrape
 * reads the sum. Keys sit under the queue's `{prefix}` hash tag, in the same cluster slot.
 */
export interface CallMetricsOptions {
  /**
   * Sum the counters in this process and write them every this many ms, one HINCRBY per counter
   * that moved, instead of three or four per call: a worker's calls mostly add to the same few
   * counters (per deployment: the outcome, the duration bucket, the duration sum). A scrape sees
   * a call up to this late; a worker killed outright loses at most this long of counts.
   * Default: every call written at once.
   */
  readonly flushMs?: number;
  /** Told of a timed flush that failed (its counts are lost). */
  readonly onFlushError?: (error: unknown) => void;
}

/** The sums one call adds, by hash field. */
function countsOf(sample: CallSample): Array<[string, number]> {
  const { deployment } = sample;
  const durationMs = Math.max(0, Math.round(sample.durationMs));
  const counts: Array<[string, number]> = [[field(['calls', deployment, sample.outcome]), 1]];
  if (sample.filtered !== undefined && sample.filtered.images > 0) counts.push([field(['filtered', deployment, sample.filtered.stage]), sample.filtered.images]);
  if (sample.isRetry) counts.push([field(['retries', deployment]), 1]);
  // One counter per call, the bucket it falls in: read() adds them up into the cumulative
  // buckets and the count Prometheus wants. Written cumulative, a call cost up to 17 commands
  // of Redis (15 bounds and the count), the most of any per-image work.
  const bound = CALL_DURATION_BUCKETS_SECONDS.find((b) => durationMs <= b * 1000) ?? '+Inf';
  counts.push([field(['duration_in', deployment, bound]), 1], [field(['duration_ms_sum', deployment]), durationMs]);
  return counts;
}

export function createCallMetrics(redis: RedisClient, keys: KeySpace, options: CallMetricsOptions = {}): CallMetrics {
  let held = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  async function write(counts: Iterable<[string, number]>): Promise<void> {
    const pipeline = redis.pipeline();
    for (const [name, by] of counts) pipeline.hincrby(keys.metricsCalls, name, by);
    if (pipeline.length === 0) return;
    for (const [error] of (await pipeline.exec()) ?? []) {
      if (error !== null) throw error;
    }
  }

  async function flush(): Promise<void> {
    if (held.size === 0) return;
    const counts = held;
    held = new Map();
    // Not held again when the write fails: a pipeline that failed part-way may have written
    // some, and a counter counted twice is worse than one a few calls short.
    await write(counts);
  }

  return {
    async record(sample) {
      if (options.flushMs === undefined) return write(countsOf(sample));
      for (const [name, by] of countsOf(sample)) held.set(name, (held.get(name) ?? 0) + by);
      timer ??= setTimeout(() => {
        timer = undefined;
        flush().catch((error: unknown) => options.onFlushError?.(error));
      }, options.flushMs).unref();
      return Promise.resolve();
    },
    flush,
    async close() {
      clearTimeout(timer);
      timer = undefined;
      await flush();
    },

    async registerDeployments(deployments) {
      if (deployments.length === 0) return;
      await redis.hset(
        keys.metricsDeployments,
        Object.fromEntries(deployments.map((d) => [d.name, JSON.stringify({ model: d.model, ratePerMinute: d.ratePerMinute })])),
      );
    },

    async read() {
      const [hash, registered] = await Promise.all([redis.hgetall(keys.metricsCalls), redis.hgetall(keys.metricsDeployments)]);
      const calls: Array<{ deployment: string; outcome: CallOutcome; count: number }> = [];
      const filteredImages: Array<{ deployment: string; stage: FilterStage; count: number }> = [];
      const retries: Array<{ deployment: string; count: number }> = [];
      const durations = new Map<string, { buckets: number[]; count: number; sumSeconds: number }>();
      const durationOf = (deployment: string): { buckets: number[]; count: number; sumSeconds: number } => {
        let series = durations.get(deployment);
        if (series === undefined) {
          series = { buckets: CALL_DURATION_BUCKETS_SECONDS.map(() => 0), count: 0, sumSeconds: 0 };
          durations.set(deployment, series);
        }
        return series;
      };
      for (const [text, value] of Object.entries(hash)) {
        const parts = parseField(text);
        const count = Number(value);
        const [series, deployment, label] = parts ?? [];
        if (typeof deployment !== 'string' || !Number.isFinite(count)) continue;
        if (series === 'calls' && isOutcome(label)) calls.push({ deployment, outcome: label, count });
        else if (series === 'filtered' && isStage(label)) filteredImages.push({ deployment, stage: label, count });
        else if (series === 'retries') retries.push({ deployment, count });
        else if (series === 'duration_in') {
          // Cumulative: the call counts in its own bucket and every wider one, and in the count.
          const index = label === '+Inf' ? CALL_DURATION_BUCKETS_SECONDS.length : CALL_DURATION_BUCKETS_SECONDS.indexOf(Number(label));
          if (index < 0) continue;
          const counts = durationOf(deployment);
          for (let i = index; i < counts.buckets.length; i++) counts.buckets[i] = (counts.buckets[i] ?? 0) + count;
          counts.count += count;
        } else if (series === 'duration_bucket') {
          // Written cumulative by workers before `duration_in`: added as they are.
          const index = CALL_DURATION_BUCKETS_SECONDS.indexOf(Number(label));
          if (index >= 0) durationOf(deployment).buckets[index] = (durationOf(deployment).buckets[index] ?? 0) + count;
        } else if (series === 'duration_count') durationOf(deployment).count += count;
        else if (series === 'duration_ms_sum') durationOf(deployment).sumSeconds = count / 1000;
      }
      const deployments = Object.entries(registered)
        .map(([name, json]) => parseDeployment(name, json))
        .filter((d): d is RegisteredDeployment => d !== undefined);
      return {
        calls,
        filteredImages,
        retries,
        durations: [...durations].map(([deployment, series]) => ({ deployment, ...series })),
        deployments,
      };
    },
  };
}
