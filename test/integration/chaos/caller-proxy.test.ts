import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeCalls } from '../../../scripts/chaos/attribute-calls.js';
import { createCallerProxies, type CallerProxies } from '../../../scripts/chaos/caller-proxy.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';

let sim: Simulator;
let proxies: CallerProxies;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

function generate(baseUrl: string, imageKey: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${baseUrl}/openai/deployments/mini/images/generations?api-version=2025-04-01-preview`, {
    method: 'POST',
    headers: { 'api-key': 'sim-key', 'content-type': 'application/json', 'x-ms-client-request-id': imageKey },
    body: JSON.stringify({ prompt: imageKey, n: 1, size: '1024x1024', quality: 'low' }),
    ...(signal !== undefined && { signal }),
  });
}

beforeAll(async () => {
  // Calls take ~400 ms: long enough to cut one off while the simulator is on it.
  sim = await createSimulator({ deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 400, sdMs: 1 } }], imageWidthPx: 8, imageHeightPx: 8 });
  proxies = createCallerProxies(sim.url);
});

afterAll(async () => {
  await proxies.close();
  await sim.close();
});

describe('the chaos run\'s caller proxies', () => {
  it('name the worker of an answered call, and of a call cut off mid-call (as a kill does), which the simulator made all the same', async () => {
    const worker1 = await proxies.open(1);
    const worker2 = await proxies.open(2);
    const answered = await generate(worker1, 'b/a-0');
    expect(answered.status).toBe(200);
    const cutOff = new AbortController();
    const call = generate(worker2, 'b/b-0', cutOff.signal).catch(() => undefined);
    await until(() => sim.stats().some((c) => c.clientRequestId === 'b/b-0'));
    cutOff.abort();
    await call;
    await until(() => proxies.unanswered().length === 1);

    const calls = sim.stats();
    const callers = attributeCalls(calls, proxies.callers(), proxies.unanswered());
    expect(calls.map((c) => [c.clientRequestId, c.outcome, callers.get(c.requestId)])).toEqual([
      ['b/a-0', 'ok', 1],
      ['b/b-0', 'ok', 2],
    ]);
  });
});
