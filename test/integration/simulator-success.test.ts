import sharp from 'sharp';
import { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/create-simulator.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const API_VERSION = '2025-04-01-preview';

let sim: Simulator;

function client(deployment: string): AzureOpenAI {
  return new AzureOpenAI({ endpoint: sim.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment, maxRetries: 0 });
}

function bytesOf(b64: string | undefined): Buffer {
  return Buffer.from(b64 ?? '', 'base64');
}

beforeAll(async () => {
  sim = await createSimulator({
    deployments: [
      { name: 'dall-e-3', model: 'dall-e-3', ratePerMinute: 600 },
      { name: 'gpt-image-1', model: 'gpt-image-1', ratePerMinute: 600 },
      { name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600 },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

describe('simulator success responses through the real AzureOpenAI client', () => {
  it('dall-e-3 answers with a url by default, carrying revised_prompt and filter annotations in the recorded key order', async () => {
    sim.reset();
    const { data: result, response } = await client('dall-e-3')
      .images.generate({ model: 'dall-e-3', prompt: 'a tabby cat' })
      .withResponse();
    expect(result.data).toHaveLength(1);
    const item = result.data?.[0] as Record<string, unknown>;
    expect(Object.keys(item)).toEqual(['content_filter_results', 'prompt_filter_results', 'revised_prompt', 'url']);
    expect(item['revised_prompt']).toContain('a tabby cat');
    expect(item['content_filter_results']).toEqual({
      hate: { filtered: false, severity: 'safe' },
      self_harm: { filtered: false, severity: 'safe' },
      sexual: { filtered: false, severity: 'safe' },
      violence: { filtered: false, severity: 'safe' },
    });
    expect(item['prompt_filter_results']).toMatchObject({ profanity: { detected: false, filtered: false } });
    expect(typeof result.created).toBe('number');
    expect(response.headers.get('x-ms-region')).toBe('Simulated');
    expect(response.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(response.headers.get('apim-request-id'));
    expect(Number(response.headers.get('x-envoy-upstream-service-time'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('99');
  });

  it('serves the url image itself: fetching it gives PNG bytes', async () => {
    const result = await client('dall-e-3').images.generate({ model: 'dall-e-3', prompt: 'a lighthouse', response_format: 'url' }) // eslint-disable-line @typescript-eslint/no-deprecated -- dall-e-3's own parameter;
    const url = result.data?.[0]?.url ?? '';
    expect(url.startsWith(`${sim.url}/_sim/files/`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await response.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it('with filesBaseUrl, url answers point at that host (a stand-in for blob storage), which can fetch the file from /_sim/files/', async () => {
    const elsewhere = await createSimulator({ deployments: [{ name: 'dall-e-3', model: 'dall-e-3', ratePerMinute: 600 }], filesBaseUrl: 'https://blobs.example.net/private/images/' });
    try {
      const answer = await new AzureOpenAI({ endpoint: elsewhere.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment: 'dall-e-3', maxRetries: 0 }).images.generate({
        model: 'dall-e-3',
        prompt: 'a lighthouse',
        response_format: 'url', // eslint-disable-line @typescript-eslint/no-deprecated -- dall-e-3's own parameter
      });
      const url = answer.data?.[0]?.url ?? '';
      expect(url).toMatch(/^https:\/\/blobs\.example\.net\/private\/images\/[0-9a-f-]{36}\.png$/);
      const file = await fetch(`${elsewhere.url}/_sim/files/${url.split('/').pop() ?? ''}`);
      expect([...new Uint8Array(await file.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    } finally {
      await elsewhere.close();
    }
  });

  it('dall-e-3 answers with b64_json when asked, b64_json first as in the recording', async () => {
    const result = await client('dall-e-3').images.generate({ model: 'dall-e-3', prompt: 'a tabby cat', response_format: 'b64_json' }) // eslint-disable-line @typescript-eslint/no-deprecated -- dall-e-3's own parameter;
    const item = result.data?.[0] as Record<string, unknown>;
    expect(Object.keys(item)).toEqual(['b64_json', 'content_filter_results', 'prompt_filter_results', 'revised_prompt']);
    expect([...bytesOf(result.data?.[0]?.b64_json).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it('gpt-image-1 with n=2 answers two different b64_json-only items and token usage', async () => {
    const { data: result, response } = await client('gpt-image-1')
      .images.generate({ model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1024x1536' })
      .withResponse();
    expect(result.data).toHaveLength(2);
    for (const item of result.data ?? []) {
      expect(Object.keys(item)).toEqual(['b64_json']);
      expect([...bytesOf(item.b64_json).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    }
    expect(result.data?.[0]?.b64_json).not.toBe(result.data?.[1]?.b64_json);
    // The recording: n=2 at 1024x1536 high quality (gpt-image-1's default) = 2 × 6240.
    expect(result.usage).toMatchObject({ output_tokens: 12_480, input_tokens_details: { image_tokens: 0 } });
    expect(result.usage?.total_tokens).toBe((result.usage?.input_tokens ?? 0) + 12_480);
    expect(response.headers.get('x-ms-deployment-name')).toBe('gpt-image-1');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBeNull();
  });

  it('uses the model default quality for usage (gpt-image-1-mini: medium)', async () => {
    const result = await client('mini').images.generate({ model: 'mini', prompt: 'a boat' });
    // What mini's medium per-image list price ($0.011) implies at $8 per 1M output tokens.
    expect(result.usage?.output_tokens).toBe(1375);
  });

  it('returns a JPEG when output_format is jpeg', async () => {
    const result = await client('gpt-image-1').images.generate({
      model: 'gpt-image-1',
      prompt: 'a mountain',
      output_format: 'jpeg',
      output_compression: 70,
    });
    const bytes = bytesOf(result.data?.[0]?.b64_json);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect((await sharp(bytes).metadata()).width).toBe(64);
  });

  it('gives different images for different prompts', async () => {
    const gen = (prompt: string): Promise<string | undefined> =>
      client('gpt-image-1')
        .images.generate({ model: 'gpt-image-1', prompt })
        .then((r) => r.data?.[0]?.b64_json);
    expect(await gen('one prompt')).not.toBe(await gen('another prompt'));
  });

  it('records calls with the x-ms-client-request-id the worker sends', async () => {
    sim.reset();
    await client('gpt-image-1').images.generate(
      { model: 'gpt-image-1', prompt: 'stats check', n: 3 },
      { headers: { 'x-ms-client-request-id': 'batch1-row7-0' } },
    );
    const [call] = sim.stats();
    expect(call).toMatchObject({
      deployment: 'gpt-image-1',
      outcome: 'ok',
      status: 200,
      clientRequestId: 'batch1-row7-0',
      n: 3,
      prompt: 'stats check',
      isScripted: false,
    });
    expect(call?.arrivedAtMs).toBeGreaterThan(Date.now() - 60_000);
    expect(call?.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
