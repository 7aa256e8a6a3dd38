import { AzureOpenAI, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/create-simulator.js';
import { rejection } from '../helpers/rejection.js';

const API_VERSION = '2024-10-21';
const MESSAGE =
  /^Requests to the ImageGenerations_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier\. Please retry after (\d+) seconds?\. Please go here: https:\/\/aka\.ms\/oai\/quotaincrease if you would like to further increase the default rate limit\.$/;

let sim: Simulator;

function client(deployment: string): AzureOpenAI {
  return new AzureOpenAI({ endpoint: sim.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment, maxRetries: 0 });
}

async function generate(deployment: string, prompt = 'a tabby cat'): Promise<unknown> {
  return client(deployment).images.generate({ model: deployment, prompt });
}

async function thirdCallError(deployment: string): Promise<RateLimitError> {
  await generate(deployment);
  await generate(deployment);
  const error = await rejection(generate(deployment));
  expect(error).toBeInstanceOf(RateLimitError);
  return error as RateLimitError;
}

/**
 * How long after the third call the first leaves the 10 s window, by the simulator's own record
 * of when each arrived: the wait a 429 must name, however long the calls took to get there.
 */
function firstFreesInMs(deployment: string): number {
  const [first, , third] = sim.stats().filter((call) => call.deployment === deployment);
  return (first?.arrivedAtMs ?? 0) + 10_000 - (third?.arrivedAtMs ?? 0);
}

beforeAll(async () => {
  sim = await createSimulator({
    deployments: [
      // rpm 12 → 2 calls per 10 s window.
      { name: 'ms-and-seconds', model: 'dall-e-3', ratePerMinute: 12 },
      { name: 'seconds', model: 'gpt-image-1', ratePerMinute: 12, rateLimitHeaders: 'seconds' },
      { name: 'none', model: 'gpt-image-1-mini', ratePerMinute: 12, rateLimitHeaders: 'none' },
      { name: 'filtered', model: 'dall-e-3', ratePerMinute: 12 },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

describe('simulator rate limit (sliding 10 s window of max(1, floor(rpm / 6)) calls)', () => {
  it('refuses the 3rd call in 10 s at rpm 12 with the real 429 body and retry-after-ms + retry-after (default mode)', async () => {
    const error = await thirdCallError('ms-and-seconds');
    expect(error.status).toBe(429);
    expect(error.code).toBe('429');
    const message = (error.error as { message: string }).message;
    const [, seconds] = MESSAGE.exec(message) ?? [];
    const retryAfterMs = Number(error.headers.get('retry-after-ms'));
    expect(retryAfterMs).toBe(firstFreesInMs('ms-and-seconds'));
    expect(retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(error.headers.get('retry-after')).toBe(String(Math.ceil(retryAfterMs / 1000)));
    expect(seconds).toBe(error.headers.get('retry-after'));
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('sends only retry-after in "seconds" mode', async () => {
    const error = await thirdCallError('seconds');
    expect(error.headers.get('retry-after-ms')).toBeNull();
    const seconds = Number(error.headers.get('retry-after'));
    expect(seconds).toBe(Math.ceil(firstFreesInMs('seconds') / 1000));
    expect(seconds).toBeLessThanOrEqual(10);
    expect((error.error as { message: string }).message).toMatch(MESSAGE);
  });

  it('sends no wait header in "none" mode: the wait is only in the message', async () => {
    const error = await thirdCallError('none');
    expect(error.headers.get('retry-after-ms')).toBeNull();
    expect(error.headers.get('retry-after')).toBeNull();
    expect(error.headers.get('x-ratelimit-reset-requests')).toBeNull();
    const [, seconds] = MESSAGE.exec((error.error as { message: string }).message) ?? [];
    expect(Number(seconds)).toBe(Math.ceil(firstFreesInMs('none') / 1000));
  });

  it('counts filtered calls against the window, as the real service bills them', async () => {
    await rejection(generate('filtered', 'gore'));
    await generate('filtered');
    expect(await rejection(generate('filtered'))).toBeInstanceOf(RateLimitError);
  });

  it('never accepts more than the window capacity, which the summary confirms', () => {
    const summary = sim.summary();
    expect(summary.byDeployment['ms-and-seconds']).toMatchObject({ maxAcceptedPerWindow: 2, byOutcome: { ok: 2, rate_limited: 1 } });
    expect(summary.byDeployment['filtered']).toMatchObject({
      maxAcceptedPerWindow: 2,
      byOutcome: { filtered_prompt: 1, ok: 1, rate_limited: 1 },
    });
  });
});

describe('simulator rate window over time', () => {
  it('does not count refused calls: once the oldest slot frees after retry-after-ms, calls succeed again', async () => {
    // A 1 s window at rpm 120 holds 2 calls: the same sliding log, fast enough for a test.
    const fast = await createSimulator({
      rateWindowMs: 1_000,
      deployments: [{ name: 'fast', model: 'gpt-image-1', ratePerMinute: 120, latency: { meanMs: 0, sdMs: 0 } }],
    });
    try {
      const fastClient = new AzureOpenAI({ endpoint: fast.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment: 'fast', maxRetries: 0 });
      const call = (): Promise<unknown> => fastClient.images.generate({ model: 'fast', prompt: 'p' });
      await call();
      await call();
      let lastError: RateLimitError | undefined;
      for (let i = 0; i < 3; i++) {
        const error = await rejection(call());
        expect(error).toBeInstanceOf(RateLimitError);
        lastError = error as RateLimitError;
      }
      await new Promise((resolve) => setTimeout(resolve, Number(lastError?.headers.get('retry-after-ms')) + 20));
      await call();
      expect(fast.summary().byDeployment['fast']).toMatchObject({ maxAcceptedPerWindow: 2, byOutcome: { ok: 3, rate_limited: 3 } });
    } finally {
      await fast.close();
    }
  });
});
