import {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  AzureOpenAI,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/create-simulator.js';
import type { CallOutcome } from '../../src/simulator/call-stats.js';
import { rejection } from '../helpers/rejection.js';

const API_VERSION = '2025-04-01-preview';

let sim: Simulator;

function client(options: { timeoutMs?: number; deployment?: string } = {}): AzureOpenAI {
  const deployment = options.deployment ?? 'd';
  return new AzureOpenAI({
    endpoint: sim.url,
    apiKey: 'sim-key',
    apiVersion: API_VERSION,
    deployment,
    maxRetries: 0,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
}

async function generate(prompt: string, options: { timeoutMs?: number; clientRequestId?: string } = {}): Promise<unknown> {
  return client(options).images.generate(
    { model: 'd', prompt },
    options.clientRequestId === undefined ? {} : { headers: { 'x-ms-client-request-id': options.clientRequestId } },
  );
}

beforeAll(async () => {
  sim = await createSimulator({ deployments: [{ name: 'd', model: 'gpt-image-1', ratePerMinute: 6_000 }] });
});

afterAll(async () => {
  await sim.close();
});

describe('simulator scripted faults', () => {
  it('answers a scripted 500 with the real server_error body, then behaves normally', async () => {
    sim.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    const error = await rejection(generate('a flaky cat'));
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(500);
    expect((error as InternalServerError).type).toBe('server_error');
    expect((error as InternalServerError).message).toMatch(/Please include the request ID [0-9a-f-]{36} in your message/);
    await generate('a flaky cat');
    expect(sim.stats().slice(-2).map((c) => [c.outcome, c.isScripted])).toEqual([
      ['error_500', true],
      ['ok', false],
    ]);
  });

  it('consumes steps in order, one per matching call, leaving other calls alone', async () => {
    sim.script({ promptIncludes: 'sequence' }, [{ kind: '503' }, { kind: '403' }, { kind: '401' }]);
    await generate('unrelated prompt');
    const first = await rejection(generate('sequence'));
    expect(first).toBeInstanceOf(InternalServerError);
    expect((first as InternalServerError).status).toBe(503);
    const second = await rejection(generate('sequence'));
    expect(second).toBeInstanceOf(PermissionDeniedError);
    expect((second as PermissionDeniedError).code).toBe('Forbidden');
    expect((second as PermissionDeniedError).message).toContain('temporarily blocked');
    expect(await rejection(generate('sequence'))).toBeInstanceOf(AuthenticationError);
    await generate('sequence');
    const outcomes: CallOutcome[] = sim.stats().slice(-5).map((c) => c.outcome);
    expect(outcomes).toEqual(['ok', 'error_503', 'forbidden', 'unauthorized', 'ok']);
  });

  it('sends a scripted 503 as text/plain "Service Unavailable"', async () => {
    sim.script({ promptIncludes: 'raw503' }, [{ kind: '503' }]);
    const response = await fetch(`${sim.url}/openai/deployments/d/images/generations?api-version=${API_VERSION}`, {
      method: 'POST',
      headers: { 'api-key': 'sim-key', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'raw503' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('Service Unavailable');
  });

  it('hangs a scripted call until the client times out (APIConnectionTimeoutError)', async () => {
    sim.script({ promptIncludes: 'hang' }, [{ kind: 'hang' }]);
    const startedAtMs = Date.now();
    expect(await rejection(generate('hang here', { timeoutMs: 300 }))).toBeInstanceOf(APIConnectionTimeoutError);
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(250);
    expect(sim.stats().at(-1)).toMatchObject({ outcome: 'hang', status: null, latencyMs: null, isScripted: true });
  });

  it('resets the connection of a scripted call (APIConnectionError, not a timeout)', async () => {
    sim.script({ promptIncludes: 'reset' }, [{ kind: 'reset' }]);
    const error = await rejection(generate('reset me'));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect(sim.stats().at(-1)).toMatchObject({ outcome: 'reset', status: null });
  });

  it('matches a script on the x-ms-client-request-id header', async () => {
    sim.script({ clientRequestId: 'job-42-0' }, [{ kind: '500' }]);
    await generate('same prompt', { clientRequestId: 'job-41-0' });
    expect(await rejection(generate('same prompt', { clientRequestId: 'job-42-0' }))).toBeInstanceOf(InternalServerError);
  });

  it('sends a scripted 429 with retry-after as an HTTP date plus a date header', async () => {
    sim.script({ promptIncludes: 'date429' }, [{ kind: '429', retryAfterMs: 30_000, headers: 'http-date' }]);
    const error = (await rejection(generate('date429'))) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    const date = Date.parse(error.headers.get('date') ?? '');
    const retryAt = Date.parse(error.headers.get('retry-after') ?? '');
    expect(retryAt - date).toBe(30_000);
    expect(error.headers.get('retry-after-ms')).toBeNull();
    expect((error.error as { message: string }).message).toContain('Please retry after 30 seconds.');
  });

  it('sends a scripted 429 with only x-ratelimit-reset-requests', async () => {
    sim.script({ promptIncludes: 'reset429' }, [{ kind: '429', retryAfterMs: 9_000, headers: 'reset-requests' }]);
    const error = (await rejection(generate('reset429'))) as RateLimitError;
    expect(error.headers.get('x-ratelimit-reset-requests')).toBe('9');
    expect(error.headers.get('retry-after')).toBeNull();
    expect(error.headers.get('retry-after-ms')).toBeNull();
  });
});

describe('simulator close', () => {
  it('closes promptly while a call hangs and while a reply waits out its latency', async () => {
    const closing = await createSimulator({ deployments: [{ name: 'slow', model: 'gpt-image-1', latency: { meanMs: 5_000, sdMs: 0 } }] });
    closing.script({ promptIncludes: 'hang' }, [{ kind: 'hang' }]);
    const closingClient = new AzureOpenAI({ endpoint: closing.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment: 'slow', maxRetries: 0 });
    const hung = rejection(closingClient.images.generate({ model: 'slow', prompt: 'hang' }));
    const slow = rejection(closingClient.images.generate({ model: 'slow', prompt: 'slow' }));
    while (closing.stats().length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const startedAtMs = Date.now();
    await closing.close();
    // A close that waited for the calls would take the slow reply's 5 s (and for ever for the
    // hung one); half of that leaves a busy machine seconds to spare and still tells them apart.
    expect(Date.now() - startedAtMs).toBeLessThan(2_500);
    expect(await hung).toBeInstanceOf(APIConnectionError);
    expect(await slow).toBeInstanceOf(APIConnectionError);
  });
});

describe('simulator random faults', () => {
  it('injects the same faults into the same calls for the same seed', async () => {
    const run = async (): Promise<CallOutcome[]> => {
      const faulty = await createSimulator({
        deployments: [{ name: 'd', model: 'gpt-image-1', ratePerMinute: 6_000, latency: { meanMs: 0, sdMs: 0 } }],
        faults: { seed: 7, error500Rate: 0.3, error503Rate: 0.2, resetRate: 0.1 },
      });
      try {
        const faultyClient = new AzureOpenAI({ endpoint: faulty.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment: 'd', maxRetries: 0 });
        for (let i = 0; i < 12; i++) await faultyClient.images.generate({ model: 'd', prompt: `p${i}` }).catch(() => undefined);
        return faulty.stats().map((c) => c.outcome);
      } finally {
        await faulty.close();
      }
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(first.filter((o) => o === 'error_500' || o === 'error_503').length).toBeGreaterThan(0);
  });
});

describe('simulator admin endpoints', () => {
  it('queues a script over HTTP, reports stats as JSON and clears them on reset', async () => {
    const scripted = await fetch(`${sim.url}/_sim/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { promptIncludes: 'admin' }, steps: [{ kind: '429', retryAfterMs: 2_000, headers: 'seconds' }] }),
    });
    expect(scripted.status).toBe(200);
    const error = (await rejection(generate('admin call', { clientRequestId: 'admin-1' }))) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.headers.get('retry-after')).toBe('2');

    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as {
      calls: { clientRequestId: string | null; outcome: string }[];
      summary: { byDeployment: Record<string, { total: number }> };
    };
    expect(stats.calls.at(-1)).toMatchObject({ clientRequestId: 'admin-1', outcome: 'rate_limited' });
    expect(stats.summary.byDeployment['d']?.total).toBe(stats.calls.length);

    expect((await fetch(`${sim.url}/_sim/reset`, { method: 'POST' })).status).toBe(204);
    expect(sim.stats()).toEqual([]);
  });

  it('throttles a deployment over HTTP: 429s with the rest of the window until reset ends it; a bad body is a 400 naming the field', async () => {
    const throttled = await fetch(`${sim.url}/_sim/throttle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deployment: 'd', durationMs: 60_000 }),
    });
    expect(throttled.status).toBe(204);
    const error = (await rejection(generate('during the burst'))) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(Number(error.headers.get('retry-after-ms'))).toBeGreaterThan(50_000);
    sim.reset();
    await expect(generate('after the burst')).resolves.toBeDefined();

    const refused = await fetch(`${sim.url}/_sim/throttle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deployment: 'd' }) });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('durationMs');
  });

  it('refuses an invalid script with a 400 naming the problem', async () => {
    const response = await fetch(`${sim.url}/_sim/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { promptIncludes: 'x' }, steps: [{ kind: '418' }] }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('steps.0.kind');
  });

  it('reports health', async () => {
    const response = await fetch(`${sim.url}/_sim/health`);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('clears scripts on reset', () => {
    sim.script({ promptIncludes: 'never' }, [{ kind: '500' }]);
    sim.reset();
    return expect(generate('never')).resolves.toBeDefined();
  });
});
