import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { createProducer, type Producer } from '../../../src/queue/producer.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import type { SimulatorOptionsInput } from '../../../src/simulator/simulator-options.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { createCallRelay, startWorkerProcess, writeWorkerConfig, type CallRelay, type WorkerProcess, type WorkerProcessOptions } from '../../helpers/worker-process.js';
import { waitFor } from '../../helpers/wait-for.js';

const MODEL = 'gpt-image-1-mini';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('imgbatch worker processes sharing one Redis', () => {
  const redisUrl = inject('redisUrl');
  let prefix: string;
  let dir: string;
  let outputDir: string;
  let admin: Redis;
  let producer: Producer;
  let simulator: Simulator | undefined;
  let workers: WorkerProcess[];
  let relays: CallRelay[];

  beforeEach(async () => {
    prefix = uniquePrefix('procs');
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-procs-'));
    outputDir = join(dir, 'output');
    admin = connectTestRedis();
    producer = createProducer({ connection: redisUrl, prefix });
    simulator = undefined;
    workers = [];
    relays = [];
  });

  afterEach(async () => {
    // Workers first: nothing may touch Redis or the folder while they are cleaned away.
    await Promise.all(workers.map((worker) => worker.stop(5_000)));
    await Promise.all(relays.map((relay) => relay.close()));
    await simulator?.close();
    await producer.close();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
    await rm(dir, { recursive: true, force: true });
  });

  async function startSimulator(options: SimulatorOptionsInput): Promise<Simulator> {
    simulator = await createSimulator(options);
    return simulator;
  }

  function startWorker(configPath: string, options: Pick<WorkerProcessOptions, 'logLevel'> = {}): WorkerProcess {
    const worker = startWorkerProcess({ redisUrl, prefix, outputDir, configPath, ...options });
    workers.push(worker);
    return worker;
  }

  function workerLogs(): string {
    return workers.map((worker) => `--- worker ${worker.pid} ---\n${worker.stderr().slice(-8_000)}`).join('\n');
  }

  async function waitForBatch(batchId: string, timeoutMs: number): Promise<BatchSummary> {
    let last: BatchSummary | undefined;
    return waitFor(
      async () => {
        last = await producer.batches.summary(batchId);
        return last.images > 0 && last.pending === 0 ? last : undefined;
      },
      timeoutMs,
      () => `batch ${batchId} unfinished: ${JSON.stringify(last)}\n${workerLogs()}`,
    );
  }

  it('two worker processes at R requests per minute on one deployment never get a 429 and never exceed R/6 calls in any 10 s window, each image called once', async ({ onTestFailed }) => {
    onTestFailed(() => {
      process.stderr.write(`${workerLogs()}\n`);
    });
    const ratePerMinute = 600;
    const windowCapacity = ratePerMinute / 6;
    // 120 images at 10 calls a second: twelve seconds, so at least one whole 10 s window is pressed.
    const requests = 12;
    const imagesPerRequest = 10;
    const images = requests * imagesPerRequest;
    const sim = await startSimulator({
      deployments: [{ name: 'shared', model: MODEL, ratePerMinute, latency: { meanMs: 100, sdMs: 20 } }],
    });
    // Each process calls through its own relay, so the relays tell which process sent what.
    const relayA = await createCallRelay(sim.url);
    const relayB = await createCallRelay(sim.url);
    relays.push(relayA, relayB);
    const worker = { concurrency: 16, timeoutMs: 10_000 };
    // The default limiter settings: 2% headroom, and a call more than 100 ms late gives its slot up.
    const limiter = {};
    const configA = await writeWorkerConfig(dir, 'worker-a.json', { deployments: [{ name: 'shared', endpoint: relayA.url, model: MODEL, ratePerMinute }], worker, limiter });
    const configB = await writeWorkerConfig(dir, 'worker-b.json', { deployments: [{ name: 'shared', endpoint: relayB.url, model: MODEL, ratePerMinute }], worker, limiter });
    const workerA = startWorker(configA);
    const workerB = startWorker(configB);
    await Promise.all([workerA.waitForLog('worker started'), workerB.waitForLog('worker started')]);

    const startedAtMs = Date.now();
    const enqueued = await producer.enqueue(
      Array.from({ length: requests }, (_, i) => ({ id: `r${i}`, prompt: `a lighthouse at dusk, study ${i}`, n: imagesPerRequest, model: MODEL })),
      { batchId: 'two-procs' },
    );
    expect(enqueued.imagesAdded).toBe(images);
    const summary = await waitForBatch('two-procs', 45_000);
    const elapsedMs = Date.now() - startedAtMs;

    expect(summary.counts).toEqual({ stored: images, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0 });
    const calls = sim.stats();
    const perDeployment = sim.summary().byDeployment.shared;
    expect(perDeployment?.byOutcome.rate_limited ?? 0).toBe(0);
    expect(perDeployment?.maxAcceptedPerWindow).toBeLessThanOrEqual(windowCapacity);
    // The run pressed on the quota: some window came close to full, so the bound above was tested.
    expect(perDeployment?.maxAcceptedPerWindow).toBeGreaterThanOrEqual(windowCapacity * 0.9);

    // Each image exactly one call, and that call succeeded: nothing was generated (paid) twice.
    expect(calls.filter((call) => call.outcome !== 'ok')).toEqual([]);
    const callsPerImage = new Map<string, number>();
    for (const call of calls) {
      const key = call.clientRequestId ?? '(no client request id)';
      callsPerImage.set(key, (callsPerImage.get(key) ?? 0) + 1);
    }
    expect(callsPerImage.size).toBe(images);
    expect([...callsPerImage].filter(([, count]) => count !== 1)).toEqual([]);

    // Both processes sent calls, and every call is accounted for by one of them.
    expect(relayA.okCalls() + relayB.okCalls()).toBe(images);
    expect(relayA.okCalls()).toBeGreaterThanOrEqual(images * 0.1);
    expect(relayB.okCalls()).toBeGreaterThanOrEqual(images * 0.1);

    // The shared limiter spaces calls, not serializes them: close to images / (R/60) seconds.
    const idealMs = (images / (ratePerMinute / 60)) * 1_000;
    expect(elapsedMs).toBeLessThanOrEqual(idealMs * 1.3 + 3_000);
  });

  it('a worker killed with SIGKILL in mid-call leaves its job to another worker process, which finishes it: one image stored, two calls paid', async ({ onTestFailed }) => {
    onTestFailed(() => {
      process.stderr.write(`${workerLogs()}\n`);
    });
    const sim = await startSimulator({
      deployments: [{ name: 'slow', model: MODEL, ratePerMinute: 60, latency: { meanMs: 3_000, sdMs: 0 } }],
    });
    // A short lock and stall check, so the crashed worker's job is free again within seconds.
    const configPath = await writeWorkerConfig(dir, 'worker.json', {
      deployments: [{ name: 'slow', endpoint: sim.url, model: MODEL, ratePerMinute: 60 }],
      worker: { concurrency: 4, timeoutMs: 8_000, lockDurationMs: 2_000, stalledIntervalMs: 1_000 },
    });
    const workerA = startWorker(configPath);
    await workerA.waitForLog('worker started');

    await producer.enqueue([{ id: 'only', prompt: 'a lighthouse in a storm', n: 1, model: MODEL }], { batchId: 'crash' });
    const jobId = 'crash/only/v0';
    const imageKey = 'crash/only-0';
    await waitFor(
      async () => {
        const job = await producer.queue.getJob(jobId);
        return (await job?.getState()) === 'active' ? true : undefined;
      },
      15_000,
      () => `job ${jobId} never became active\n${workerLogs()}`,
    );
    // The call has reached the service (and will be billed) but its answer is 3 s away.
    await waitFor(
      () => Promise.resolve(sim.stats().some((call) => call.clientRequestId === imageKey) ? true : undefined),
      10_000,
      () => `no call for ${imageKey} reached the simulator\n${workerLogs()}`,
    );
    await sleep(500);
    expect(await workerA.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await producer.batches.summary('crash')).pending).toBe(1);

    const workerB = startWorker(configPath);
    // B takes the job over but calls only after A's call would have timed out (8 s after it
    // started): until then a living A could still have kept the image.
    const summary = await waitForBatch('crash', 40_000);
    expect(workerB.logs.some((line) => line.msg === 'a call of this job may still be in flight; looking at the store again after its deadline')).toBe(true);
    // A's call, unanswered, is in the spend as possibly billed.
    expect(summary.possiblyBilledCostUsd).toBeGreaterThan(0);

    expect(summary.counts).toEqual({ stored: 1, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0 });
    // Both calls are counted as sent, the one lost with worker A included: it may have been billed.
    expect(summary.calls).toBe(2);
    expect(workerB.isRunning()).toBe(true);
    // The takeover is said out loud: it is the one way an image gets paid twice.
    expect(workerB.logs.some((line) => String(line.msg).startsWith('job of a stalled worker taken over'))).toBe(true);
    const files = (await readdir(join(outputDir, 'crash'))).sort();
    expect(files).toEqual(['only-0.json', 'only-0.png']);
    const record = JSON.parse(await readFile(join(outputDir, 'crash', 'only-0.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ key: imageKey, status: 'stored', deployment: 'slow' });
    // A's call was accepted (and paid) but its answer died with A; B's call made the image.
    // This is the one window in which an image is generated twice, and it is counted.
    const callsForImage = sim.stats().filter((call) => call.clientRequestId === imageKey);
    expect(callsForImage.map((call) => call.outcome)).toEqual(['ok', 'ok']);
    // The record owns up to both calls, so the double payment shows in the results too.
    expect(record.attempts).toBe(2);
  });

  it('three worker processes on one deployment make exactly one call per window: 6 rpm over 10 s windows, run at 5x speed', async ({ onTestFailed }) => {
    onTestFailed(() => {
      process.stderr.write(`${workerLogs()}\n`);
    });
    // 6 rpm with 10 s windows is one call per window; two minutes of that is 12 calls. The same
    // shape five times faster: 30 rpm with 2 s windows, 10 calls in 20 s. A 2 s window leaves a
    // fifth of the slack a 10 s one has for a call that arrives late, so this test narrows the
    // lateness a call may have (20 ms) and widens the spacing (10%, 200 ms): three processes on
    // two shared cores see tens of ms between deciding to call and the request arriving.
    const sim = await startSimulator({
      rateWindowMs: 2_000,
      deployments: [{ name: 'slow', model: MODEL, ratePerMinute: 30, latency: { meanMs: 50, sdMs: 10 } }],
    });
    const limiter = { headroom: 0.1, lateToleranceMs: 20 };
    const configPath = await writeWorkerConfig(dir, 'slow.json', { deployments: [{ name: 'slow', endpoint: sim.url, model: MODEL, ratePerMinute: 30 }], limiter });
    // At debug level a worker logs each slot it gives up for being late.
    const workers = [0, 1, 2].map(() => startWorker(configPath, { logLevel: 'debug' }));
    await Promise.all(workers.map((w) => w.waitForLog('worker started')));
    await producer.enqueue(
      Array.from({ length: 10 }, (_, i) => ({ id: `w${i}`, prompt: `window ${i}`, model: MODEL })),
      { batchId: 'windows' },
    );
    const summary = await waitForBatch('windows', 45_000);
    expect(summary.counts.stored).toBe(10);

    const calls = sim.stats().filter((c) => c.deployment === 'slow');
    expect(calls.map((c) => c.outcome)).toEqual(Array.from({ length: 10 }, () => 'ok'));
    expect(sim.summary().byDeployment.slow?.maxAcceptedPerWindow).toBe(1);
    // Exactly one per window: no gap below a window, and no window idle that a worker did not
    // leave idle on purpose. A call found more than 20 ms late (a busy machine's timers run
    // late) gives its slot up and takes the next one, as it must; that slot's window then has
    // no call. So each gap is a whole number of 2.2 s slots (give or take what the calls lose
    // on the way), and the slots beyond one are the ones the workers said they missed.
    const missed = workers.flatMap((w) => w.logs.filter((line) => line.msg === 'slot missed: taking the next one')).length;
    const times = calls.map((c) => c.arrivedAtMs).sort((x, y) => x - y);
    let idleSlots = 0;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(2_000);
      const slots = Math.max(1, Math.round(gap / 2_200));
      expect(gap - slots * 2_200, `gap ${i}: ${gap} ms`).toBeLessThan(800);
      idleSlots += slots - 1;
    }
    expect(idleSlots, `slots missed by the workers: ${missed}`).toBeLessThanOrEqual(missed);
  }, 90_000);
});
