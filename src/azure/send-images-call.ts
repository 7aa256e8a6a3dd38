import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { APIError, type APIPromise } from 'openai';
import { maxImagesResponseBytes } from './max-images-response-bytes.js';
import { ImagesCallError } from '../errors/images-call-error.js';
import { ResponseTooLargeError } from '../errors/response-too-large-error.js';
import { nodeBodyOf } from './node-response-body.js';
import { parseImagesBody } from './parse-images-body.js';

/** What came back from one images call with a 2xx status; read `body` with `readImagesResponse`. */
export interface ImagesCallResult {
  /** The parsed JSON body (its `b64_json` images as bytes: parseImagesBody), or the raw text when it was not JSON. */
  readonly body: unknown;
  readonly status: number;
  readonly headers: Headers;
  /** Wall time from sending the request to having read the whole body, ms. */
  readonly latencyMs: number;
  /** The service's request id (apim-request-id ?? x-request-id ?? x-ms-request-id), for support tickets. */
  readonly serviceRequestId: string | undefined;
}

export interface SendImagesCallOptions {
  /** Sent as `x-ms-client-request-id`, so the call can be found in Azure's logs; required. */
  readonly clientRequestId: string;
  /**
   * Sent as `model`: the deployment name. The v1 path routes by it; the deployment path takes
   * it from the URL and ignores it (Azure's samples always send it). Default: none.
   */
  readonly model?: string;
  /** Aborts the call (worker shutdown); none by default. */
  readonly signal?: AbortSignal;
  /**
   * Largest answer body read, bytes; a bigger one is dropped unread and the call fails with a
   * ResponseTooLargeError. Default: maxImagesResponseBytes of one image of DEFAULT_MAX_IMAGE_BYTES
   * (generateImages and editImages default to the job's images).
   */
  readonly maxBodyBytes?: number;
}

/** The default per image, as DEFAULT_FETCH_SETTINGS.maxDownloadBytes (this module sits below config). */
export const DEFAULT_MAX_IMAGE_BYTES = 40 * 1_048_576;

export function serviceRequestIdOf(headers: Headers | undefined): string | undefined {
  return headers?.get('apim-request-id') ?? headers?.get('x-request-id') ?? headers?.get('x-ms-request-id') ?? undefined;
}

/**
 * Reads a whole body, stopping at `maxBytes`: by Content-Length before reading, and by
 * counting while reading (a chunked answer declares nothing).
 */
async function readCappedBytes(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    // The Node stream under the transport's Response is destroyed itself (the web stream around
    // it, never pulled, is not sure to pass a cancel on to the socket); undici then emits its
    // AbortError, which says nothing here.
    const nodeBody = nodeBodyOf(response);
    if (nodeBody === undefined) await response.body?.cancel().catch(() => undefined);
    else nodeBody.on('error', () => undefined).destroy();
    throw new ResponseTooLargeError(maxBytes, declared);
  }
  if (response.body === null) return Buffer.alloc(0);
  const nodeBody = nodeBodyOf(response);
  if (nodeBody !== undefined) return readCappedNodeBytes(nodeBody, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Leaving the loop cancels the stream: the rest is never read.
      throw new ResponseTooLargeError(maxBytes, total);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** readCappedBytes on the Node stream under a Response (node-response-body.ts): its chunks as they come, no promise per chunk. */
function readCappedNodeBytes(body: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    body.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        // The rest is never read: the stream goes, and its connection with it.
        body.destroy();
        reject(new ResponseTooLargeError(maxBytes, total));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      resolve(Buffer.concat(chunks, total));
    });
    body.once('error', reject);
  });
}

/**
 * Sends one images call (generations or edits) made by `start` with the request options it is
 * given, and does not judge the answer: a 2xx comes back as it is (read it with
 * `readImagesResponse`); anything else is thrown as an {@link ImagesCallError} whose `cause` is
 * the SDK's error, for `classifyError`. Exactly one HTTP request (the client has `maxRetries: 0`).
 *
 * The body is read here (parseImagesBody), not by the SDK, so that a 200 with a body that is
 * not JSON still reaches `readImagesResponse` (a decision) instead of throwing a bare SyntaxError.
 */
export async function sendImagesCall(
  start: (requestOptions: { headers: Record<string, string>; signal?: AbortSignal }) => APIPromise<unknown>,
  options: SendImagesCallOptions,
): Promise<ImagesCallResult> {
  const startMs = performance.now();
  const elapsedMs = (): number => Math.round(performance.now() - startMs);
  // Set once the answer's headers are in: a body over the cap still came with them.
  let answered: Response | undefined;
  try {
    const response = await start({
      headers: { 'x-ms-client-request-id': options.clientRequestId },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }).asResponse();
    answered = response;
    // The SDK's timeout stops at the response headers; the body read is bounded by undici's
    // body timeout (300 s without data) and by the caller's signal, and its size by the cap.
    const bytes = await readCappedBytes(response, options.maxBodyBytes ?? maxImagesResponseBytes(1, DEFAULT_MAX_IMAGE_BYTES));
    return {
      body: parseImagesBody(bytes),
      status: response.status,
      headers: response.headers,
      latencyMs: elapsedMs(),
      serviceRequestId: serviceRequestIdOf(response.headers),
    };
  } catch (error) {
    // `instanceof` widens APIError's type parameters to any; read them as what they are.
    const headers: unknown = error instanceof APIError ? error.headers : answered?.headers;
    const status: unknown = error instanceof APIError ? error.status : answered?.status;
    throw new ImagesCallError(error, {
      latencyMs: elapsedMs(),
      clientRequestId: options.clientRequestId,
      serviceRequestId: headers instanceof Headers ? serviceRequestIdOf(headers) : undefined,
      status: typeof status === 'number' ? status : undefined,
    });
  }
}
