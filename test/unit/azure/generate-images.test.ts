import { APIConnectionTimeoutError, APIError } from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AzureTarget, createImageClient } from '../../../src/azure/create-image-client.js';
import { generateImages } from '../../../src/azure/generate-images.js';
import { maxImagesResponseBytes } from '../../../src/azure/max-images-response-bytes.js';
import { DEFAULT_MAX_IMAGE_BYTES } from '../../../src/azure/send-images-call.js';
import { ResponseTooLargeError } from '../../../src/errors/response-too-large-error.js';
import { DEFAULT_FETCH_SETTINGS } from '../../../src/config/load-config.js';
import { readImagesResponse } from '../../../src/azure/read-images-response.js';
import { classifyError } from '../../../src/errors/classify-error.js';
import { ImagesCallError } from '../../../src/errors/images-call-error.js';
import type { ImageJobData } from '../../../src/job/image-job.js';
import { freePort } from '../../helpers/free-port.js';
import { azureImageCases, expectDecisionToMatch, expectOutcomeToMatch, wireBody } from '../../fixtures/azure-image-cases.js';
import { type RecordingServer, type Reply, startRecordingServer } from './recording-server.js';

const GPT_IMAGE_JOB: ImageJobData = {
  v: 1,
  batchId: 'b1',
  requestId: 'r1',
  variants: [0, 1],
  prompt: 'a tabby cat',
  model: 'gpt-image-1',
  size: '1024x1536',
  quality: 'high',
  outputFormat: 'jpeg',
  outputCompression: 80,
  background: 'opaque',
  enqueuedAt: 1_700_000_000_000,
};

const DALLE_JOB: ImageJobData = {
  v: 1,
  batchId: 'b1',
  requestId: 'r2',
  variants: [3],
  prompt: 'a tabby cat',
  model: 'dall-e-3',
  size: '1024x1024',
  quality: 'standard',
  style: 'natural',
  user: 'user-7',
  responseFormat: 'b64_json',
  enqueuedAt: 1_700_000_000_000,
};

const OK_BODY = JSON.stringify({ created: 1, data: [{ b64_json: 'aGk=' }, { b64_json: 'aGk=' }] });

let server: RecordingServer | undefined;

async function serve(reply: (request: { body: string }) => Reply): Promise<RecordingServer> {
  server = await startRecordingServer(reply);
  return server;
}

function targetFor(endpoint: string, overrides: Partial<AzureTarget> = {}): AzureTarget {
  return {
    endpoint,
    deployment: 'gpt-image-1',
    apiVersion: '2025-04-01-preview',
    timeoutMs: 10_000,
    auth: { kind: 'api-key', apiKey: 'test-key' },
    ...overrides,
  };
}

/** The ImagesCallError a failed call throws. */
async function failureOf(promise: Promise<unknown>): Promise<ImagesCallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ImagesCallError) return error;
    throw new Error(`expected an ImagesCallError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

describe('generateImages: the request it sends', () => {
  it('posts a gpt-image job to the deployment with n = variants, the client request id and the api key, and no response_format', async () => {
    const { endpoint, requests } = await serve(() => ({
      kind: 'respond',
      status: 200,
      headers: { 'content-type': 'application/json', 'x-request-id': 'svc-1' },
      body: OK_BODY,
    }));
    const result = await generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'client-1' });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview');
    expect(request?.headers['x-ms-client-request-id']).toBe('client-1');
    expect(request?.headers['api-key']).toBe('test-key');
    expect(request?.headers.authorization).toBeUndefined();
    expect(JSON.parse(request?.body ?? '')).toEqual({
      prompt: 'a tabby cat',
      n: 2,
      size: '1024x1536',
      quality: 'high',
      output_format: 'jpeg',
      output_compression: 80,
      background: 'opaque',
    });

    expect(result.status).toBe(200);
    expect(result.serviceRequestId).toBe('svc-1');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.headers.get('content-type')).toBe('application/json');
    expect(readImagesResponse(result.body)).toMatchObject({ kind: 'images', images: [{ index: 0 }, { index: 1 }] });
  });

  it('sends response_format, style and user when the job has them (dall-e-3)', async () => {
    const { endpoint, requests } = await serve(() => ({ kind: 'respond', status: 200, body: OK_BODY }));
    await generateImages(createImageClient(targetFor(endpoint, { deployment: 'dalle3' })), DALLE_JOB, { clientRequestId: 'c' });
    expect(requests[0]?.url).toMatch(/^\/openai\/deployments\/dalle3\/images\/generations\?/);
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({
      prompt: 'a tabby cat',
      n: 1,
      size: '1024x1024',
      quality: 'standard',
      style: 'natural',
      user: 'user-7',
      response_format: 'b64_json',
    });
  });

  it('with Entra ID sends the bearer token and no api-key, even with AZURE_OPENAI_API_KEY in the environment', async () => {
    vi.stubEnv('AZURE_OPENAI_API_KEY', 'env-key');
    const { endpoint, requests } = await serve(() => ({ kind: 'respond', status: 200, body: OK_BODY }));
    const client = createImageClient(targetFor(endpoint, { auth: { kind: 'entra', tokenProvider: () => Promise.resolve('entra-token') } }));
    await generateImages(client, GPT_IMAGE_JOB, { clientRequestId: 'c' });
    expect(requests[0]?.headers.authorization).toBe('Bearer entra-token');
    expect(requests[0]?.headers['api-key']).toBeUndefined();
  });

  it('takes the service request id from apim-request-id first', async () => {
    const { endpoint } = await serve(() => ({
      kind: 'respond',
      status: 200,
      headers: { 'apim-request-id': 'apim-1', 'x-request-id': 'x-1', 'x-ms-request-id': 'ms-1' },
      body: OK_BODY,
    }));
    const result = await generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c' });
    expect(result.serviceRequestId).toBe('apim-1');
  });
});

describe('generateImages: failures', () => {
  it.each([
    [429, { 'retry-after-ms': '10' }],
    [500, {}],
    [503, {}],
  ] as const)('calls exactly once on a %i: the queue owns retries, not the SDK', async (status, headers) => {
    const { endpoint, requests } = await serve(() => ({
      kind: 'respond',
      status,
      headers: { 'content-type': 'application/json', 'apim-request-id': 'apim-9', ...headers },
      body: JSON.stringify({ error: { code: String(status), message: 'no' } }),
    }));
    const failure = await failureOf(generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c-9' }));
    expect(requests).toHaveLength(1);
    expect(failure.cause).toBeInstanceOf(APIError);
    expect(failure.status).toBe(status);
    expect(failure.serviceRequestId).toBe('apim-9');
    expect(failure.clientRequestId).toBe('c-9');
    expect(failure.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('a server that never answers trips the client timeout: transient, may have been billed', async () => {
    const { endpoint } = await serve(() => ({ kind: 'hang' }));
    const failure = await failureOf(
      generateImages(createImageClient(targetFor(endpoint, { timeoutMs: 200 })), GPT_IMAGE_JOB, { clientRequestId: 'c' }),
    );
    expect(failure.cause).toBeInstanceOf(APIConnectionTimeoutError);
    expect(failure.latencyMs).toBeGreaterThanOrEqual(150);
    expect(classifyError(failure)).toMatchObject({ kind: 'transient', code: 'timeout', mayHaveBilled: true });
  });

  it('a connection dropped after the request was sent is transient and may have been billed', async () => {
    const { endpoint, requests } = await serve(() => ({ kind: 'drop' }));
    const failure = await failureOf(generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c' }));
    expect(requests).toHaveLength(1);
    expect(classifyError(failure)).toMatchObject({ kind: 'transient', mayHaveBilled: true });
  });

  it('a refused connection is transient and never billed', async () => {
    const port = await freePort();
    const failure = await failureOf(
      generateImages(createImageClient(targetFor(`http://127.0.0.1:${port}`)), GPT_IMAGE_JOB, { clientRequestId: 'c' }),
    );
    expect(classifyError(failure)).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED', mayHaveBilled: false });
  });

  it('an abort from the caller is transient and may have been billed', async () => {
    const { endpoint, requests } = await serve(() => ({ kind: 'hang' }));
    const controller = new AbortController();
    const call = generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, {
      clientRequestId: 'c',
      signal: controller.signal,
    });
    await vi.waitFor(() => {
      expect(requests).toHaveLength(1);
    });
    controller.abort();
    const failure = await failureOf(call);
    expect(classifyError(failure)).toMatchObject({ kind: 'transient', code: 'aborted', mayHaveBilled: true });
  });

  it('an abort from the caller while the answer is coming in is transient and may have been billed', async () => {
    const recording = await serve(() => ({ kind: 'part', body: '{"created":1,"data":[{"b64_json":"AAAA', then: 'hang' }));
    const controller = new AbortController();
    const call = generateImages(createImageClient(targetFor(recording.endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c', signal: controller.signal });
    await vi.waitFor(() => {
      expect(recording.partsWritten).toBe(1);
    });
    // Whether the client has read the headers yet is its own business: either way the call is
    // given up, and the service may have billed it.
    controller.abort();
    const failure = await failureOf(call);
    expect(classifyError(failure)).toMatchObject({ kind: 'transient', code: 'aborted', mayHaveBilled: true });
  });

  it('a connection dropped while the answer is being read is transient and may have been billed', async () => {
    const { endpoint } = await serve(() => ({ kind: 'part', body: '{"created":1,"data":[{"b64_json":"AAAA', then: 'drop' }));
    const failure = await failureOf(generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c' }));
    expect(failure).toMatchObject({ status: 200 });
    expect(classifyError(failure)).toMatchObject({ kind: 'transient', mayHaveBilled: true });
  });

  it('a 200 whose body is not JSON comes back as text, and reads as a malformed (transient) response', async () => {
    const { endpoint } = await serve(() => ({ kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: '<html>' }));
    const result = await generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c' });
    expect(result.body).toBe('<html>');
    expect(readImagesResponse(result.body)).toMatchObject({
      kind: 'decision',
      decision: { kind: 'transient', code: 'malformed_response', mayHaveBilled: true },
    });
  });
});

describe('generateImages: the answer body is capped', () => {
  const body = JSON.stringify({ created: 1, data: [{ b64_json: 'A'.repeat(4_000) }, { b64_json: 'A'.repeat(4_000) }] });

  it.each([
    ['declared by Content-Length', { 'content-length': String(Buffer.byteLength(body)) }],
    ['sent chunked, without a length', { 'transfer-encoding': 'chunked' }],
  ] as const)('a 200 over maxBodyBytes (%s) is not read whole: final (too_large)', async (_how, headers) => {
    const { endpoint, requests } = await serve(() => ({ kind: 'respond', status: 200, headers: { 'content-type': 'application/json', 'apim-request-id': 'apim-big', ...headers }, body }));
    const failure = await failureOf(generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c-big', maxBodyBytes: 1_000 }));
    expect(requests).toHaveLength(1);
    expect(failure.cause).toBeInstanceOf(ResponseTooLargeError);
    expect(failure).toMatchObject({ status: 200, serviceRequestId: 'apim-big', clientRequestId: 'c-big' });
    expect(classifyError(failure)).toMatchObject({ kind: 'too_large', status: 200 });
    expect(failure.message).toMatch(/over the limit of 1000 bytes/);
  });

  it('a 200 within maxBodyBytes is read whole', async () => {
    const { endpoint } = await serve(() => ({ kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body }));
    const result = await generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c', maxBodyBytes: Buffer.byteLength(body) });
    expect(readImagesResponse(result.body)).toMatchObject({ kind: 'images', images: [{ index: 0 }, { index: 1 }] });
  });

  it('the default cap allows the largest images the models make, as base64, for each image asked for', () => {
    // gpt-image-2's largest size, 3840x2160 RGBA, uncompressed: 33 177 600 bytes.
    const largestImageBase64 = Math.ceil(33_177_600 / 3) * 4;
    expect(maxImagesResponseBytes(2, DEFAULT_MAX_IMAGE_BYTES)).toBeGreaterThan(2 * largestImageBase64);
    expect(DEFAULT_FETCH_SETTINGS.maxDownloadBytes).toBe(DEFAULT_MAX_IMAGE_BYTES);
    expect(maxImagesResponseBytes(10, DEFAULT_MAX_IMAGE_BYTES)).toBe(10 * maxImagesResponseBytes(1, DEFAULT_MAX_IMAGE_BYTES) - 9 * 1_048_576);
  });
});

describe('every recorded Azure response, replayed over HTTP through the real openai client', () => {
  it.each(azureImageCases.map((testCase) => [testCase.name, testCase] as const))(
    '%s gets the decision the reference gives it',
    async (_name, testCase) => {
      const { endpoint } = await serve(() => ({
        kind: 'respond',
        status: testCase.status,
        headers: testCase.headers,
        body: wireBody(testCase),
      }));
      const call = generateImages(createImageClient(targetFor(endpoint)), GPT_IMAGE_JOB, { clientRequestId: 'c' });
      if (testCase.status === 200) {
        expectOutcomeToMatch(readImagesResponse((await call).body), testCase);
      } else {
        // Far from the fixture's dates: a wait measured against it instead of the response's
        // Date header would be wrong.
        expectDecisionToMatch(classifyError(await failureOf(call), Date.parse('2020-01-01T00:00:00Z')), testCase);
      }
    },
  );
});
