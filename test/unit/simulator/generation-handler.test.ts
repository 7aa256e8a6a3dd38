import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { describe, expect, it } from 'vitest';
import { createCallStats } from '../../../src/simulator/call-stats.js';
import { createFaultScript } from '../../../src/simulator/fault-script.js';
import {
  createGenerationHandler,
  type GenerationCall,
  type SimulatorAction,
} from '../../../src/simulator/generation-handler.js';
import { createImageFileStore } from '../../../src/simulator/image-file-store.js';
import { parseSimulatorOptions, type SimulatorOptionsInput } from '../../../src/simulator/simulator-options.js';

function setup(input: SimulatorOptionsInput): {
  call: (overrides?: Partial<GenerationCall>) => Promise<SimulatorAction>;
  clock: { nowMs: number };
  stats: ReturnType<typeof createCallStats>;
  reset: () => void;
  throttle: (deployment: string, untilMs: number) => void;
} {
  const options = parseSimulatorOptions(input);
  const stats = createCallStats();
  const clock = { nowMs: 1_000_000 };
  const handler = createGenerationHandler({
    options,
    models: BUILT_IN_CATALOGUE,
    stats,
    script: createFaultScript(),
    files: createImageFileStore(10),
    now: () => clock.nowMs,
  });
  const call = (overrides: Partial<GenerationCall> = {}): Promise<SimulatorAction> =>
    handler.handle({
      deploymentName: 'd',
      apiVersion: '2024-10-21',
      apiKey: 'sim-key',
      authorization: undefined,
      clientRequestId: undefined,
      body: { prompt: 'a tabby cat' },
      isBodyJson: true,
      baseUrl: 'http://sim',
      ...overrides,
    });
  return {
    call,
    clock,
    stats,
    reset: () => {
      handler.reset();
    },
    throttle: (deployment, untilMs) => {
      handler.throttle(deployment, untilMs);
    },
  };
}

function status(action: SimulatorAction): number | undefined {
  return action.kind === 'reply' ? action.reply.status : undefined;
}

function body(action: SimulatorAction): unknown {
  return action.kind === 'reply' ? JSON.parse(String(action.reply.body)) : undefined;
}

describe('createGenerationHandler', () => {
  it('accepts rpm/6 calls per 10 s, refuses the next with the true wait, and accepts again once the window frees', async () => {
    const { call, clock } = setup({ deployments: [{ name: 'd', model: 'dall-e-3', ratePerMinute: 12 }] });
    expect(status(await call())).toBe(200);
    clock.nowMs += 3_000;
    expect(status(await call())).toBe(200);
    clock.nowMs += 1_000;
    const refused = await call();
    expect(status(refused)).toBe(429);
    expect(refused.kind === 'reply' && refused.reply.headers).toMatchObject({ 'retry-after-ms': '6000', 'retry-after': '6' });
    clock.nowMs += 5_999;
    expect(status(await call())).toBe(429);
    clock.nowMs += 1;
    expect(status(await call())).toBe(200);
  });

  it('throttles one deployment for a window: every call 429 with the rest of the window as its wait, taking no slot; the others untouched', async () => {
    const { call, clock, throttle, stats } = setup({
      deployments: [
        { name: 'd', model: 'gpt-image-1-mini', ratePerMinute: 600 },
        { name: 'e', model: 'gpt-image-1-mini', ratePerMinute: 600 },
      ],
    });
    throttle('d', clock.nowMs + 2_500);
    const first = await call();
    expect(status(first)).toBe(429);
    expect(first.kind === 'reply' && first.reply.headers).toMatchObject({ 'retry-after-ms': '2500', 'retry-after': '3' });
    expect(status(await call({ deploymentName: 'e' }))).toBe(200);
    clock.nowMs += 2_000;
    const second = await call();
    expect(second.kind === 'reply' && second.reply.headers).toMatchObject({ 'retry-after-ms': '500' });
    clock.nowMs += 500;
    expect(status(await call())).toBe(200);
    expect(stats.list().map((c) => c.outcome)).toEqual(['rate_limited', 'ok', 'rate_limited', 'ok']);
  });

  it('counts filtered calls in the window (they are real calls) but not invalid ones', async () => {
    const { call } = setup({ deployments: [{ name: 'd', model: 'dall-e-3', ratePerMinute: 12 }] });
    expect(status(await call({ body: { prompt: 'p', quality: 'ultra' } }))).toBe(400);
    expect(status(await call({ body: { prompt: 'gore' } }))).toBe(400);
    expect(status(await call({ body: { prompt: '[output-filter]' } }))).toBe(400);
    expect(status(await call())).toBe(429);
  });

  it('reports the remaining quota on dall-e-3 successes', async () => {
    const { call } = setup({ deployments: [{ name: 'd', model: 'dall-e-3', ratePerMinute: 18 }] });
    const first = await call();
    expect(first.kind === 'reply' && first.reply.headers['x-ratelimit-remaining-requests']).toBe('2');
  });

  it('checks auth before the deployment, and the deployment before the body', async () => {
    const { call } = setup({ deployments: [{ name: 'd', model: 'dall-e-3' }] });
    expect(status(await call({ apiKey: 'wrong', deploymentName: 'missing', body: {} }))).toBe(401);
    expect(status(await call({ deploymentName: 'missing', body: {} }))).toBe(404);
    expect(body(await call({ deploymentName: 'missing' }))).toMatchObject({ error: { code: 'DeploymentNotFound' } });
  });

  it('answers a call without api-version as an unknown route', async () => {
    const { call } = setup({ deployments: [{ name: 'd', model: 'dall-e-3' }] });
    expect(body(await call({ apiVersion: undefined }))).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });

  it('takes longer for higher qualities when the deployment has a latency profile by quality', async () => {
    const { call } = setup({
      deployments: [{ name: 'd', model: 'gpt-image-2', latency: { meanMs: 10, sdMs: 0 }, latencyByQuality: { low: { meanMs: 312, sdMs: 0 }, high: { meanMs: 1713, sdMs: 0 } } }],
    });
    const delayOf = async (quality: string): Promise<number> => {
      const action = await call({ body: { prompt: 'a lighthouse', quality } });
      return action.kind === 'reply' ? action.delayMs : -1;
    };
    expect(await delayOf('low')).toBe(312);
    expect(await delayOf('high')).toBe(1713);
    // A quality the profile does not name takes the deployment's latency.
    expect(await delayOf('medium')).toBe(10);
  });

  it('answers a gpt-image-2 size outside Azure’s rule with the invalidPayload 400 naming size, and serves a custom one', async () => {
    const { call } = setup({ deployments: [{ name: 'd', model: 'gpt-image-2' }] });
    const bad = await call({ body: { prompt: 'a lighthouse', size: '1000x1000', quality: 'low' } });
    expect(status(bad)).toBe(400);
    expect(body(bad)).toEqual({ error: { code: 'invalidPayload', message: 'Invalid payload: Value for property size is invalid.' } });
    const good = await call({ body: { prompt: 'a lighthouse', size: '2560x1440', quality: 'low' } });
    expect(status(good)).toBe(200);
    // 196 tokens at 1024² low, scaled by 3.5 megapixels: ⌈196 × 3,686,400 / 1,048,576⌉ = 690.
    expect(body(good)).toMatchObject({ usage: { output_tokens: 690 } });
  });

  it('draws latency from the deployment distribution, reproducibly after reset', async () => {
    const { call, reset } = setup({ deployments: [{ name: 'd', model: 'gpt-image-1', latency: { meanMs: 300, sdMs: 100 } }] });
    const delays = async (): Promise<number[]> => [await call(), await call(), await call()].map((a) => (a.kind === 'reply' ? a.delayMs : -1));
    const first = await delays();
    reset();
    expect(await delays()).toEqual(first);
    for (const delay of first) expect(delay).toBeGreaterThanOrEqual(0);
  });

  it('records every call with its outcome, status, client request id, n and prompt', async () => {
    const { call, stats } = setup({ deployments: [{ name: 'd', model: 'gpt-image-1', ratePerMinute: 6 }] });
    await call({ clientRequestId: 'img-1', body: { prompt: 'p', n: 2 } });
    await call({ clientRequestId: 'img-2', body: { prompt: 'q' } });
    expect(stats.list().map(({ outcome, status: s, clientRequestId, n, prompt }) => ({ outcome, s, clientRequestId, n, prompt }))).toEqual([
      { outcome: 'ok', s: 200, clientRequestId: 'img-1', n: 2, prompt: 'p' },
      { outcome: 'rate_limited', s: 429, clientRequestId: 'img-2', n: 1, prompt: 'q' },
    ]);
  });

  it('makes a random fault before the rate window, so a faulted call takes no slot', async () => {
    const { call, stats } = setup({
      deployments: [{ name: 'd', model: 'dall-e-3', ratePerMinute: 6 }],
      faults: { error503Rate: 1 },
    });
    for (let i = 0; i < 3; i++) expect(status(await call())).toBe(503);
    expect(stats.list().every((c) => c.outcome === 'error_503')).toBe(true);
  });
});
