/**
 * npm run bench:call-memory — what one images call in flight holds in a worker process, the
 * figure behind `concurrency: auto`'s ceiling (src/worker/worker-concurrency.ts allows
 * BYTES_PER_CALL_IN_FLIGHT each). The simulator runs in a process of its own with a long
 * service time, so its memory is not counted; this process opens N calls through the worker's
 * own call path (createAzureCallImages: the openai client and its undici transport), waits
 * until the simulator has all N, and reads its heap, external memory and RSS after a full GC,
 * against the same readings taken before the first call (the baseline, in the same run).
 *
 * Flags: --calls N (default 2000), --latency-ms N (default 30000). Last line, one JSON object:
 * {"calls_in_flight":…,"heap_bytes_per_call":…,"external_bytes_per_call":…,"rss_bytes_per_call":…,"allowance_bytes":…,"allowance_ratio":…}
 * where allowance_ratio = (heap + external bytes per call) ÷ the allowance (≤ 1: the allowance covers it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeploymentConfig } from '../src/config/deployment-config.js';
import { createAzureCallImages } from '../src/worker/image-worker.js';
import { BYTES_PER_CALL_IN_FLIGHT } from '../src/worker/worker-concurrency.js';
import { spawnNode, stopAll, waitUntil } from './bench/child-processes.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, 'latency-ms': { type: 'string', default: '30000' } } });
const calls = Number(values.calls);
const latencyMs = Number(values['latency-ms']);
if (!Number.isInteger(calls) || calls < 1) throw new Error(`--calls: ${values.calls} is not a whole number above 0`);
if (!Number.isFinite(latencyMs) || latencyMs < 1_000) throw new Error(`--latency-ms: ${values['latency-ms']} is not a number of ms of at least 1000`);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (npm run bench:call-memory does)');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function settledMemory(): NodeJS.MemoryUsage {
  gc?.();
  gc?.();
  return process.memoryUsage();
}

const work = await mkdtemp(join(tmpdir(), 'imgbatch-call-memory-'));
const port = await freePort();
const configFile = join(work, 'simulator.json');
await writeFile(
  configFile,
  JSON.stringify({
    apiKeys: ['sim-key'],
    deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6_000_000, latency: { meanMs: latencyMs, sdMs: 0 } }],
  }),
);
const simulator = spawnNode(['src/cli/main.ts', 'simulate', '--config', configFile, '--port', String(port)], {});
const url = `http://127.0.0.1:${port}`;
const arrived = async (): Promise<number> => {
  const response = await fetch(`${url}/_sim/stats`);
  return ((await response.json()) as { calls: unknown[] }).calls.length;
};
try {
  await waitUntil(async () => (await fetch(`${url}/_sim/health`).catch(() => undefined))?.ok === true, 30_000, 'the simulator');
  const deployment: DeploymentConfig = {
    name: 'mini',
    endpoint: url,
    deployment: 'mini',
    model: 'gpt-image-1-mini',
    ratePerMinute: 6_000_000,
    apiVersion: '2025-04-01-preview',
    auth: { kind: 'api-key', apiKey: 'sim-key' },
    quotaUnit: 'request',
    priority: 1,
    pools: [],
  };
  const callImages = createAzureCallImages([deployment], () => latencyMs * 4);
  const job = { batchId: 'mem', requestId: 'r', variants: [0], prompt: 'A red mug on a white table', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', enqueuedAt: Date.now() };
  // One call first, so the client, the SDK and undici are loaded before the baseline.
  await callImages(deployment, job as never, { clientRequestId: 'warm', callNumber: 1 });
  const before = settledMemory();
  const inFlight = Array.from({ length: calls }, (_, index) => callImages(deployment, job as never, { clientRequestId: `c${index}`, callNumber: 1 }));
  await waitUntil(async () => (await arrived()) >= calls + 1, latencyMs, `${calls} calls to reach the simulator`);
  const during = settledMemory();
  const results = await Promise.allSettled(inFlight);
  const failed = results.filter((result) => result.status === 'rejected').length;
  const per = (field: keyof NodeJS.MemoryUsage): number => Math.round((during[field] - before[field]) / calls);
  const heap = per('heapUsed');
  const external = per('external');
  const figures = {
    calls_in_flight: calls,
    heap_bytes_per_call: heap,
    external_bytes_per_call: external,
    rss_bytes_per_call: per('rss'),
    allowance_bytes: BYTES_PER_CALL_IN_FLIGHT,
    allowance_ratio: Math.round(((heap + external) / BYTES_PER_CALL_IN_FLIGHT) * 1000) / 1000,
  };
  process.stdout.write(`${calls} calls in flight (${failed} failed once answered); per call: heap ${heap} B, external ${external} B, rss ${figures.rss_bytes_per_call} B; allowance ${BYTES_PER_CALL_IN_FLIGHT} B\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await stopAll([simulator]);
  await rm(work, { recursive: true, force: true });
}
