import { AuthenticationError, AzureOpenAI, BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/create-simulator.js';
import { rejection } from '../helpers/rejection.js';

const API_VERSION = '2025-04-01-preview';

let sim: Simulator;

function client(deployment: string, apiKey = 'sim-key'): AzureOpenAI {
  return new AzureOpenAI({ endpoint: sim.url, apiKey, apiVersion: API_VERSION, deployment, maxRetries: 0 });
}

/** A raw call, for bodies the typed SDK will not send and for reading bodies verbatim. */
async function post(deployment: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sim.url}/openai/deployments/${deployment}/images/generations?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': 'sim-key', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  sim = await createSimulator({
    deployments: [
      { name: 'dall-e-3', model: 'dall-e-3', ratePerMinute: 6_000 },
      { name: 'gpt-image-1', model: 'gpt-image-1', ratePerMinute: 6_000 },
      { name: 'chat', model: 'gpt-4' },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

describe('simulator content filter', () => {
  it('rejects a prompt with the prompt marker: 400 content_policy_violation with inner_error and a dall-e-3 revised_prompt', async () => {
    const error = await rejection(client('dall-e-3').images.generate({ model: 'dall-e-3', prompt: 'A scene full of GORE' }));
    expect(error).toBeInstanceOf(BadRequestError);
    const { status, code, type } = error as BadRequestError;
    expect({ status, code, type }).toEqual({ status: 400, code: 'content_policy_violation', type: 'invalid_request_error' });
    const { body } = await post('dall-e-3', { prompt: 'gore' });
    expect(body).toEqual({
      error: {
        code: 'content_policy_violation',
        inner_error: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_results: {
            hate: { filtered: false, severity: 'safe' },
            profanity: { detected: false, filtered: false },
            self_harm: { filtered: false, severity: 'safe' },
            sexual: { filtered: false, severity: 'safe' },
            violence: { filtered: true, severity: 'low' },
          },
          revised_prompt: expect.stringContaining('gore') as unknown,
        },
        message: 'Your request was rejected as a result of our safety system.',
        type: 'invalid_request_error',
      },
    });
    expect(sim.stats().at(-1)?.outcome).toBe('filtered_prompt');
  });

  it('sends no revised_prompt when a gpt-image prompt is filtered', async () => {
    const { status, body } = await post('gpt-image-1', { prompt: 'gore' });
    expect(status).toBe(400);
    expect((body as { error: { inner_error: Record<string, unknown> } }).error.inner_error).not.toHaveProperty('revised_prompt');
  });

  it('filters the output with the output marker: 400 with created and code contentFilter', async () => {
    const error = await rejection(client('gpt-image-1').images.generate({ model: 'gpt-image-1', prompt: 'a cat [output-filter]' }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('contentFilter');
    const { status, body } = await post('dall-e-3', { prompt: 'a cat [output-filter]' });
    expect(status).toBe(400);
    expect(body).toEqual({
      created: expect.any(Number) as unknown,
      error: { code: 'contentFilter', message: 'Generated image was filtered as a result of our safety system.' },
    });
    expect(sim.stats().at(-1)?.outcome).toBe('filtered_output');
  });

  it('replaces the last item of a 200 with the per-item error for the item marker, other items normal', async () => {
    const result = await client('gpt-image-1').images.generate({ model: 'gpt-image-1', prompt: 'cats [item-filter]', n: 3 });
    expect(result.data).toHaveLength(3);
    expect(result.data?.[0]?.b64_json).toBeTypeOf('string');
    expect(result.data?.[1]?.b64_json).toBeTypeOf('string');
    expect(result.data?.[2]).toEqual({
      error: { code: 'contentFilter', message: 'Generated image was filtered as a result of our safety system.' },
    });
    expect(sim.stats().at(-1)).toMatchObject({ outcome: 'partial', status: 200, n: 3 });
  });
});

describe('simulator validation per model', () => {
  it.each([
    ['an unknown quality', 'dall-e-3', { prompt: 'p', quality: 'ultra' }, 'quality'],
    ['n > 1 on dall-e-3', 'dall-e-3', { prompt: 'p', n: 2 }, 'n'],
    ['a size the model lacks', 'dall-e-3', { prompt: 'p', size: '1024x1536' }, 'size'],
    ['style on gpt-image-1', 'gpt-image-1', { prompt: 'p', style: 'vivid' }, 'style'],
    ['response_format to a gpt-image model', 'gpt-image-1', { prompt: 'p', response_format: 'b64_json' }, 'response_format'],
    ['a prompt over dall-e-3 4000 characters', 'dall-e-3', { prompt: 'x'.repeat(4_001) }, 'prompt'],
  ])('rejects %s with the real invalidPayload body naming the property', async (_, deployment, params, property) => {
    const error = await rejection(client(deployment).images.generate({ model: deployment, ...params } as never));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('invalidPayload');
    expect((error as BadRequestError).error).toEqual({
      code: 'invalidPayload',
      message: `Invalid payload: Value for property ${property} is invalid.`,
    });
  });

  it('rejects a missing prompt', async () => {
    expect(await post('gpt-image-1', { n: 1 })).toEqual({
      status: 400,
      body: { error: { code: 'invalidPayload', message: 'Invalid payload: Value for property prompt is invalid.' } },
    });
    expect(sim.stats().at(-1)).toMatchObject({ outcome: 'invalid', prompt: null });
  });
});

describe('simulator auth and routing', () => {
  it('answers a wrong api-key with the real 401', async () => {
    const error = await rejection(client('dall-e-3', 'wrong-key').images.generate({ model: 'dall-e-3', prompt: 'p' }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).error).toEqual({
      code: '401',
      message:
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    });
    expect(sim.stats().at(-1)?.outcome).toBe('unauthorized');
  });

  it('answers an unknown deployment with 404 DeploymentNotFound', async () => {
    const error = await rejection(client('nope').images.generate({ model: 'nope', prompt: 'p' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).code).toBe('DeploymentNotFound');
    expect(sim.stats().at(-1)).toMatchObject({ deployment: 'nope', outcome: 'not_found', status: 404 });
  });

  it('answers a deployment of a non-image model with 400 OperationNotSupported naming the model', async () => {
    const error = await rejection(client('chat').images.generate({ model: 'chat', prompt: 'p' }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('OperationNotSupported');
    expect((error as BadRequestError).message).toContain('does not work with the specified model, gpt-4.');
    expect(sim.stats().at(-1)?.outcome).toBe('unsupported');
  });

  it('answers an unrouted path with the generic 404', async () => {
    const response = await fetch(`${sim.url}/openai/deployments/dall-e-3/chat/completions?api-version=${API_VERSION}`, {
      method: 'POST',
      headers: { 'api-key': 'sim-key' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });

  it('refuses a bearer token when bearer auth is not configured', async () => {
    const bearerClient = new AzureOpenAI({
      endpoint: sim.url,
      azureADTokenProvider: () => Promise.resolve('token-1'),
      apiVersion: API_VERSION,
      deployment: 'dall-e-3',
      maxRetries: 0,
    });
    expect(await rejection(bearerClient.images.generate({ model: 'dall-e-3', prompt: 'p' }))).toBeInstanceOf(AuthenticationError);
  });
});

describe('simulator bearer auth', () => {
  it.each([
    ['accepts a listed token', ['token-1'] as string[] | 'any', 'token-1', true],
    ['refuses an unlisted token', ['token-1'] as string[] | 'any', 'token-2', false],
    ['accepts any non-empty token in "any" mode', 'any' as const, 'whatever', true],
  ])('%s', async (_, bearerTokens, token, isAccepted) => {
    const bearerSim = await createSimulator({ bearerTokens, deployments: [{ name: 'd', model: 'gpt-image-1' }] });
    try {
      const bearerClient = new AzureOpenAI({
        endpoint: bearerSim.url,
        azureADTokenProvider: () => Promise.resolve(token),
        apiVersion: API_VERSION,
        deployment: 'd',
        maxRetries: 0,
      });
      const call = bearerClient.images.generate({ model: 'd', prompt: 'p' });
      if (isAccepted) expect((await call).data).toHaveLength(1);
      else expect(await rejection(call)).toBeInstanceOf(AuthenticationError);
    } finally {
      await bearerSim.close();
    }
  });
});
