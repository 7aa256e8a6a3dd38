import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/metrics/prometheus-metrics.js';
import { CALL_DURATION_BUCKETS_SECONDS, createCallMetrics } from '../../../src/metrics/call-metrics.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import type { CallOutcome as SimulatorOutcome } from '../../../src/simulator/call-stats.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { parsePrometheusText, sampleValue } from '../../helpers/parse-prometheus-text.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { spawnCli } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'metrics-test-token-0123456789';

/** How the simulator's view of a call maps onto the worker's outcome label. */
const OUTCOME_OF: Partial<Record<SimulatorOutcome, string>> = {
  ok: 'ok',
  rate_limited: 'rate_limited',
  filtered_prompt: 'filtered',
  error_500: 'transient_error',
};

/** A sample's value, or undefined while the series is not there yet (no flush has written it). */
function sampleIfAny(samples: ReturnType<typeof parsePrometheusText>, name: string, labels: Readonly<Record<string, string>>): number | undefined {
  return samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ? sampleValue(samples, name, labels) : undefined;
}

describe('GET /metrics (Prometheus text, cluster-wide counters kept in Redis)', () => {
  const open = usePipeline();
  let metrics: PrometheusMetrics | undefined;
  let connection: Redis | undefined;
  afterEach(async () => {
    await metrics?.close();
    await connection?.quit();
    metrics = connection = undefined;
  });
  // After the metrics' hook, so it runs first: the server stops reading the metrics before they close.
  const serve = useHttpServer();

  it('counts calls by outcome, 429s, filtered images, retries and durations as the simulator saw them, and needs the token', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.simulator.script({ promptIncludes: 'throttled' }, [{ kind: '429', retryAfterMs: 100 }]);
    p.simulator.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    p.startWorker();
    connection = createRedisConnection(p.redisUrl, 'producer');
    metrics = createPrometheusMetrics({ connection, prefix: p.prefix });
    const { client, base } = await serve(p, { apiToken: TOKEN, metrics });

    const model = 'gpt-image-1-mini';
    await client.enqueue(
      [
        { id: 'plain', prompt: 'a paper boat', model },
        { id: 'throttled', prompt: 'a throttled kite', model },
        { id: 'filtered', prompt: 'gore everywhere', model },
        { id: 'flaky', prompt: 'a flaky lamp', model },
        { id: 'second', prompt: 'a brass bell', model },
      ],
      { batchId: 'metrics' },
    );
    const done = await p.waitForBatch('metrics');
    expect(done.counts).toMatchObject({ stored: 4, filtered: 1, failed: 0 });

    const unauthenticated = await fetch(`${base}/metrics`);
    expect(unauthenticated.status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

    const simulatedCalls = p.simulator.summary().total;
    // The worker sums its call counters and writes them every TEST_METRICS_FLUSH_MS (the
    // pipeline's worker; DEFAULT_METRICS_FLUSH_MS otherwise): wait for a scrape that has every
    // call the simulator saw.
    let last = '';
    const text = await waitFor(
      async () => {
        const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
        last = await response.text();
        return sampleIfAny(parsePrometheusText(last), 'imgbatch_call_duration_seconds_count', { deployment: 'gpt' }) === simulatedCalls ? last : undefined;
      },
      10_000,
      () => last,
    );
    expect(text).toContain('# TYPE imgbatch_calls_total counter');
    expect(text).toContain('# TYPE imgbatch_call_duration_seconds histogram');
    const samples = parsePrometheusText(text);

    const simulated = p.simulator.summary();
    expect(simulated.byOutcome).toEqual({ ok: 4, rate_limited: 1, filtered_prompt: 1, error_500: 1 });
    const deployment = 'gpt';
    const expectedByOutcome: Record<string, number> = { ok: 0, filtered: 0, rate_limited: 0, transient_error: 0, terminal_error: 0, deployment_error: 0 };
    for (const [outcome, count] of Object.entries(simulated.byOutcome)) {
      const label = OUTCOME_OF[outcome as SimulatorOutcome];
      if (label === undefined) throw new Error(`unexpected simulator outcome ${outcome}`);
      expectedByOutcome[label] = (expectedByOutcome[label] ?? 0) + count;
    }
    for (const [outcome, count] of Object.entries(expectedByOutcome)) {
      expect(sampleValue(samples, 'imgbatch_calls_total', { deployment, outcome }), outcome).toBe(count);
    }
    expect(sampleValue(samples, 'imgbatch_rate_limited_total', { deployment })).toBe(simulated.byOutcome.rate_limited);
    expect(sampleValue(samples, 'imgbatch_filtered_images_total', { deployment, stage: 'prompt' })).toBe(simulated.byOutcome.filtered_prompt);
    expect(sampleValue(samples, 'imgbatch_filtered_images_total', { deployment, stage: 'output' })).toBe(0);
    // Every call beyond a job's first repeats it: the 429 and the 500 were each called again once.
    expect(sampleValue(samples, 'imgbatch_retries_total', { deployment })).toBe(simulated.total - 5);
    // Spend over every batch: here the one batch, so exactly what its summary says it cost.
    expect(done.costUsd).toBeGreaterThan(0);
    expect(sampleValue(samples, 'imgbatch_cost_usd_total')).toBeCloseTo(done.costUsd, 6);

    // The histogram: every call counted once, buckets cumulative and ending at the count.
    const count = sampleValue(samples, 'imgbatch_call_duration_seconds_count', { deployment });
    expect(count).toBe(simulated.total);
    expect(sampleValue(samples, 'imgbatch_call_duration_seconds_bucket', { deployment, le: '+Inf' })).toBe(count);
    const buckets = CALL_DURATION_BUCKETS_SECONDS.map((bound) => sampleValue(samples, 'imgbatch_call_duration_seconds_bucket', { deployment, le: String(bound) }));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1] ?? 0);
    expect(buckets[buckets.length - 1]).toBe(count);
    expect(sampleValue(samples, 'imgbatch_call_duration_seconds_sum', { deployment })).toBeGreaterThan(0);

    // Queue depth from BullMQ: the five jobs are done (and gone: completed jobs are not kept), nothing waits.
    expect(sampleValue(samples, 'imgbatch_queue_jobs', { queue: 'images', state: 'completed' })).toBe(0);
    expect(sampleValue(samples, 'imgbatch_queue_jobs', { queue: 'images', state: 'waiting' })).toBe(0);
    expect(sampleValue(samples, 'imgbatch_queue_jobs', { queue: 'images', state: 'delayed' })).toBe(0);

    // Limiter state: the quota the worker registered, what came back in the last minute.
    expect(sampleValue(samples, 'imgbatch_deployment_rate_per_minute', { deployment })).toBe(GPT.ratePerMinute);
    const effective = sampleValue(samples, 'imgbatch_deployment_effective_rate_per_minute', { deployment });
    expect(effective).toBeGreaterThan(0);
    expect(effective).toBeLessThanOrEqual(GPT.ratePerMinute);
    const lastMinute = sampleValue(samples, 'imgbatch_deployment_calls_last_minute', { deployment });
    expect(lastMinute).toBe(simulated.total);
    expect(sampleValue(samples, 'imgbatch_deployment_utilization_ratio', { deployment })).toBeCloseTo(lastMinute / GPT.ratePerMinute, 10);
    expect(sampleValue(samples, 'imgbatch_deployment_paused', { deployment })).toBe(0);

    const openApi = (await (await fetch(`${base}/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { paths: Record<string, unknown> };
    expect(openApi.paths['/metrics']).toMatchObject({ get: { responses: { '200': {}, '401': {} } } });
  });

  it('imgbatch serve exposes /metrics with the bearer token, reading the counters the workers wrote', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'one', prompt: 'a tin robot', model: 'gpt-image-1-mini' }], { batchId: 'served' });
    await p.waitForBatch('served');
    const { child, done } = spawnCli(['serve', '--port', '0'], { REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix, IMGBATCH_API_TOKEN: TOKEN });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = await waitFor(async () => Promise.resolve(/listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1]), 20_000, () => stderr);
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      // The worker writes its call counters every TEST_METRICS_FLUSH_MS: the call shows up by then.
      let last = '';
      const samples = await waitFor(
        async () => {
          const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
          expect(response.status).toBe(200);
          last = await response.text();
          const parsed = parsePrometheusText(last);
          return sampleIfAny(parsed, 'imgbatch_calls_total', { deployment: 'gpt', outcome: 'ok' }) === 1 ? parsed : undefined;
        },
        10_000,
        () => last,
      );
      expect(sampleValue(samples, 'imgbatch_queue_jobs', { queue: 'images', state: 'waiting' })).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect((await done).code).toBe(0);
  });

  it('before any work, exports zero cost and an empty queue; answers 503 when Redis does not', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    connection = createRedisConnection(p.redisUrl, 'producer');
    metrics = createPrometheusMetrics({ connection, prefix: p.prefix });
    const { base } = await serve(p, { apiToken: TOKEN, metrics });
    const auth = { authorization: `Bearer ${TOKEN}` };

    const samples = parsePrometheusText(await (await fetch(`${base}/metrics`, { headers: auth })).text());
    expect(sampleValue(samples, 'imgbatch_cost_usd_total')).toBe(0);
    // Before any worker ran: no deployment series, the queue counted as empty.
    expect(samples.filter((s) => s.name === 'imgbatch_calls_total')).toEqual([]);
    expect(sampleValue(samples, 'imgbatch_queue_jobs', { queue: 'images', state: 'waiting' })).toBe(0);

    await connection.quit();
    const down = await fetch(`${base}/metrics`, { headers: auth });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: 'metrics_unavailable' });
    connection = undefined;
  });

  it('a call adds one counter to its duration bucket; read() gives Prometheus\'s cumulative buckets and count, older cumulative counters included', async () => {
    const redis = connectTestRedis();
    const prefix = uniquePrefix('durations');
    try {
      const keys = createKeySpace(prefix);
      const callMetrics = createCallMetrics(redis, keys);
      for (const durationMs of [30, 2_000, 200_000]) await callMetrics.record({ deployment: 'd', outcome: 'ok', durationMs, isRetry: false });
      // One call counted by a worker that wrote every bucket at or above its duration (0.5 s).
      for (const bound of CALL_DURATION_BUCKETS_SECONDS.filter((b) => b >= 0.5)) await redis.hincrby(keys.metricsCalls, JSON.stringify(['duration_bucket', 'd', bound]), 1);
      await redis.hincrby(keys.metricsCalls, JSON.stringify(['duration_count', 'd']), 1);
      const [series] = (await callMetrics.read()).durations;
      const at = (bound: number): number | undefined => series?.buckets[CALL_DURATION_BUCKETS_SECONDS.indexOf(bound)];
      expect([at(0.05), at(0.25), at(0.5), at(2.5), at(120)]).toEqual([1, 1, 2, 3, 3]);
      // The 200 s call is above every bound: only in the count (Prometheus's +Inf bucket).
      expect(series?.count).toBe(4);
    } finally {
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    }
  });
});
