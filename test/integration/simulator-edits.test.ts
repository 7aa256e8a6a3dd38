import { createHash } from 'node:crypto';
import { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/create-simulator.js';
import { gifBytes, maskPng, photoJpeg, photoPng } from '../helpers/edit-images.js';

const API_VERSION = '2025-04-01-preview';

let sim: Simulator;

function client(deployment: string): AzureOpenAI {
  return new AzureOpenAI({ endpoint: sim.url, apiKey: 'sim-key', apiVersion: API_VERSION, deployment, maxRetries: 0 });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function png(bytes: Uint8Array, name = 'image.png'): Promise<File> {
  return toFile(bytes, name, { type: 'image/png' });
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: unknown; error: unknown }> {
  const thrown = (await promise.then(() => undefined, (error: unknown) => error)) as { status?: unknown; error?: unknown } | undefined;
  return { status: thrown?.status, error: thrown?.error };
}

beforeAll(async () => {
  sim = await createSimulator({
    deployments: [
      { name: 'gpt-image-1.5', model: 'gpt-image-1.5', ratePerMinute: 600 },
      { name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600 },
      { name: 'dall-e-3', model: 'dall-e-3', ratePerMinute: 600 },
      // One call per 10 s window, shared by generations and edits.
      { name: 'narrow', model: 'gpt-image-1.5', ratePerMinute: 6 },
    ],
  });
});

beforeEach(() => {
  sim.reset();
});

afterAll(async () => {
  await sim.close();
});

describe('simulator /images/edits through the real AzureOpenAI client', () => {
  it('takes one image as `image`, answers b64_json items and usage with the input image tokens, and records the fields and the file', async () => {
    const photo = await photoPng(1024, 1024);
    const result = await client('gpt-image-1.5').images.edit({ model: 'gpt-image-1.5', image: await png(photo, 'mug.png'), prompt: 'make it blue', n: 2, quality: 'low' });
    expect(result.data).toHaveLength(2);
    // 1024² at low fidelity: 65 + 129 image tokens; "make it blue" is 3 text tokens here.
    expect(result.usage).toMatchObject({ input_tokens_details: { image_tokens: 194, text_tokens: 3 }, input_tokens: 197, output_tokens: 2 * 272 });
    const [call] = sim.stats();
    expect(call?.outcome).toBe('ok');
    expect(call?.prompt).toBe('make it blue');
    expect(call?.n).toBe(2);
    expect(call?.edit).toEqual({
      fields: { model: 'gpt-image-1.5', prompt: 'make it blue', n: '2', quality: 'low' },
      images: [{ field: 'image', filename: 'mug.png', contentType: 'image/png', sizeBytes: photo.byteLength, sha256: sha256(photo), widthPx: 1024, heightPx: 1024 }],
      mask: null,
    });
  });

  it('takes several images as `image[]`, a mask and input_fidelity, counting each image (not the mask) in usage', async () => {
    const first = await photoPng(64, 64);
    const second = await photoJpeg(64, 64);
    const mask = await maskPng(64, 64);
    const result = await client('gpt-image-1.5').images.edit({
      model: 'gpt-image-1.5',
      image: [await png(first), await toFile(second, 'b.jpg', { type: 'image/jpeg' })],
      mask: await png(mask, 'mask.png'),
      prompt: 'put them on one shelf',
      input_fidelity: 'high',
    });
    expect(result.usage?.input_tokens_details.image_tokens).toBe(2 * (194 + 4160));
    const edit = sim.stats()[0]?.edit;
    expect(edit?.images.map((image) => [image.field, image.sha256])).toEqual([
      ['image[]', sha256(first)],
      ['image[]', sha256(second)],
    ]);
    expect(edit?.mask).toMatchObject({ field: 'mask', sha256: sha256(mask) });
    expect(edit?.fields['input_fidelity']).toBe('high');
  });

  it.each([
    ['a GIF named .png', async () => ({ image: await png(await gifBytes()) }), 'image'],
    ['17 images', async () => ({ image: await Promise.all(Array.from({ length: 17 }, async () => png(await photoPng()))) }), 'image'],
    ['a mask of other dimensions', async () => ({ image: await png(await photoPng(64, 64)), mask: await png(await maskPng(32, 32)) }), 'mask'],
    ['a mask without alpha', async () => ({ image: await png(await photoPng(64, 64)), mask: await png(await photoPng(64, 64)) }), 'mask'],
    ['input_fidelity max', async () => ({ image: await png(await photoPng()), input_fidelity: 'max' as 'high' }), 'input_fidelity'],
  ])('answers %s with the 400 invalidPayload naming %s', async (_, parts, property) => {
    const { status, error } = await statusOf(client('gpt-image-1.5').images.edit({ model: 'gpt-image-1.5', prompt: 'p', ...(await parts()) }));
    expect(status).toBe(400);
    expect(error).toEqual({ code: 'invalidPayload', message: `Invalid payload: Value for property ${property} is invalid.` });
    expect(sim.stats()[0]?.outcome).toBe('invalid');
  });

  it('refuses input_fidelity on gpt-image-1-mini, which takes none', async () => {
    const { status } = await statusOf(client('mini').images.edit({ model: 'mini', prompt: 'p', image: await png(await photoPng()), input_fidelity: 'low' }));
    expect(status).toBe(400);
  });

  it('answers an edit on dall-e-3 with OperationNotSupported for imageEdits', async () => {
    const { status, error } = await statusOf(client('dall-e-3').images.edit({ model: 'dall-e-3', prompt: 'p', image: await png(await photoPng()) }));
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: 'OperationNotSupported', message: expect.stringContaining('The imageEdits operation does not work with the specified model, dall-e-3') as string });
  });

  it('answers a JSON body on the edits path with invalidPayload: edits are multipart', async () => {
    const response = await fetch(`${sim.url}/openai/deployments/gpt-image-1.5/images/edits?api-version=${API_VERSION}`, {
      method: 'POST',
      headers: { 'api-key': 'sim-key', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'p', image: 'a.png' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'invalidPayload', message: 'Invalid payload: the request body is not multipart/form-data.' } });
    expect(sim.stats()[0]?.edit).toBeNull();
  });

  it("shares a deployment's rate limit between generations and edits", async () => {
    await client('narrow').images.generate({ model: 'narrow', prompt: 'first, a generation' });
    const { status } = await statusOf(client('narrow').images.edit({ model: 'narrow', prompt: 'then an edit', image: await png(await photoPng()) }));
    expect(status).toBe(429);
    expect(sim.stats().map((call) => [call.edit === undefined ? 'generations' : 'edits', call.outcome])).toEqual([
      ['generations', 'ok'],
      ['edits', 'rate_limited'],
    ]);
  });
});
