import { describe, expect, it } from 'vitest';
import { usePipeline } from '../../helpers/pipeline.js';

const MODEL = 'gpt-image-1-mini';

describe('`auto` concurrency (real Redis, simulator over HTTP)', () => {
  const open = usePipeline();

  it('takes a backlog of 300 jobs in a few dozen at a time, beside the calls underway, and makes every image', async () => {
    // 1,200 rpm = 20 calls/s of 1 s: about 20 calls underway; the allowance is twice maxSleepMs
    // (2 s) plus twice the longest wait in line in the process (half the 4 s lock: 2 s) of
    // quota, 160 jobs. Opened at once, `auto` (Little's law on the model's expected 60 s: 1,440) would
    // fetch all 300 jobs before starting the first.
    const p = await open({
      simulator: { deployments: [{ name: 'quick', model: MODEL, ratePerMinute: 1_200, latency: { meanMs: 1_000, sdMs: 100 } }] },
      worker: { concurrency: 'auto', lockDurationMs: 4_000 },
    });
    const worker = p.startWorker();
    const concurrencies: number[] = [];
    const actives: number[] = [];
    const done = new AbortController();
    const sampling = (async () => {
      while (!done.signal.aborted) {
        concurrencies.push(worker.worker.concurrency);
        actives.push((await p.producer.queue.getJobCounts('active')).active ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await p.producer.enqueue(
      Array.from({ length: 300 }, (_, i) => ({ id: `b${i}`, prompt: `backlog ${i}`, model: MODEL })),
      { batchId: 'backlog' },
    );
    const summary = await p.waitForBatch('backlog', 120_000);
    done.abort();
    await sampling;

    expect(summary.counts).toMatchObject({ stored: 300, failed: 0 });
    // It opens the allowance over a few ticks (32 at a time) and climbs only by the calls
    // underway (tens, not hundreds).
    expect(concurrencies[0]).toBe(32);
    expect(Math.max(...concurrencies)).toBeLessThan(250);
    expect(Math.max(...actives)).toBeLessThan(250);
    expect(actives.length).toBeGreaterThan(20);
    // The calls kept the quota: no 429.
    expect(p.simulator.stats().filter((call) => call.outcome === 'rate_limited')).toEqual([]);
  }, 150_000);
  it('keeps taking jobs in while every job it holds waits on a call: no deployment waits for the first answer', async () => {
    // 1,200 rpm = 20 calls/s, each answered after 5 s. It starts with 32 jobs, which all wait on
    // their calls; BullMQ fetches more only when one of its jobs ends, so the worker wakes its
    // loop as it raises the concurrency (or, failing that, a job waiting in line parks).
    const latencyMs = 5_000;
    const jobs = 60;
    const p = await open({
      simulator: { deployments: [{ name: 'slow', model: MODEL, ratePerMinute: 1_200, latency: { meanMs: latencyMs, sdMs: 0 } }] },
      worker: { concurrency: 'auto', lockDurationMs: 12_000, timeoutMs: 15_000 },
    });
    p.startWorker();
    await p.producer.enqueue(
      Array.from({ length: jobs }, (_, i) => ({ id: `w${i}`, prompt: `waiting ${i}`, model: MODEL })),
      { batchId: 'waiting' },
    );
    const summary = await p.waitForBatch('waiting', 60_000);
    expect(summary.counts).toMatchObject({ stored: jobs, failed: 0 });
    const calls = p.simulator.stats();
    expect(calls.filter((call) => call.outcome === 'rate_limited')).toEqual([]);
    // 60 calls take 3 s of quota: every one of them left before the first answer came back.
    const firstAnswerAt = Math.min(...calls.map((call) => call.arrivedAtMs)) + latencyMs;
    expect(calls.filter((call) => call.arrivedAtMs >= firstAnswerAt)).toEqual([]);
  }, 90_000);
});
