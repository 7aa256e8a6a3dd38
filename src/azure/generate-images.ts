import { performance } from 'node:perf_hooks';
import type { OpenAI } from 'openai';
import { APIError } from 'openai';
import type { ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import { ImagesCallError } from '../errors/images-call-error.js';
import type { ImageJobData } from '../job/image-job.js';

/** What came back from one images call with a 2xx status; read `body` with `readImagesResponse`. */
export interface ImagesCallResult {
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;
  readonly status: number;
  readonly headers: Headers;
  /** Wall time from sending the request to having read the whole body, ms. */
  readonly latencyMs: number;
  /** The service's request id (apim-request-id ?? x-request-id ?? x-ms-request-id), for support tickets. */
  readonly serviceRequestId: string | undefined;
}

export interface GenerateImagesOptions {
  /** Sent as `x-ms-client-request-id`, so the call can be found in Azure's logs; required. */
  readonly clientRequestId: string;
  /**
   * Sent as `model`: the deployment name. The v1 path routes by it; the deployment path takes
   * it from the URL and ignores it (Azure's samples always send it). Default: none.
   */
  readonly model?: string;
  /** Aborts the call (worker shutdown); none by default. */
  readonly signal?: AbortSignal;
}

export function serviceRequestIdOf(headers: Headers | undefined): string | undefined {
  return headers?.get('apim-request-id') ?? headers?.get('x-request-id') ?? headers?.get('x-ms-request-id') ?? undefined;
}

/**
 * The request body for a job. The job was validated against the model table, which is the
 * authority on allowed values: the SDK's literal unions lag the service (new qualities, sizes),
 * so values pass through as the table allowed them.
 */
type Param<K extends keyof ImageGenerateParamsNonStreaming> = NonNullable<ImageGenerateParamsNonStreaming[K]>;

export function imagesParamsFor(job: ImageJobData, model?: string): ImageGenerateParamsNonStreaming {
  return {
    ...(model === undefined ? {} : { model }),
    prompt: job.prompt,
    n: job.variants.length,
    size: job.size,
    quality: job.quality as Param<'quality'>,
    // openai 7 marks `style`, `response_format` and `user` deprecated for OpenAI's own models;
    // Azure documents `user` for gpt-image-2, and the other two only reach jobs of models whose
    // table entry takes them.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.style === undefined ? {} : { style: job.style as Param<'style'> }),
    ...(job.outputFormat === undefined ? {} : { output_format: job.outputFormat }),
    ...(job.outputCompression === undefined ? {} : { output_compression: job.outputCompression }),
    ...(job.background === undefined ? {} : { background: job.background as Param<'background'> }),
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.user === undefined ? {} : { user: job.user }),
    // Only when the job asks: the gpt-image family rejects the parameter altogether.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.responseFormat === undefined ? {} : { response_format: job.responseFormat }),
  };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Makes one images/generations call for a job on the client's deployment. Makes exactly one
 * HTTP request (the client has `maxRetries: 0`) and does not judge the answer: a 2xx comes back
 * as it is (read it with `readImagesResponse`); anything else is thrown as an
 * {@link ImagesCallError} whose `cause` is the SDK's error, for `classifyError`.
 *
 * The body is read here as text, not by the SDK, so that a 200 with a body that is not JSON
 * still reaches `readImagesResponse` (a decision) instead of throwing a bare SyntaxError.
 */
export async function generateImages(
  client: OpenAI,
  job: ImageJobData,
  options: GenerateImagesOptions,
): Promise<ImagesCallResult> {
  const startMs = performance.now();
  const elapsedMs = (): number => Math.round(performance.now() - startMs);
  try {
    const response = await client.images
      .generate(imagesParamsFor(job, options.model), {
        headers: { 'x-ms-client-request-id': options.clientRequestId },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      })
      .asResponse();
    // The SDK's timeout stops at the response headers; the body read is bounded by undici's
    // body timeout (300 s without data) and by the caller's signal.
    const text = await response.text();
    return {
      body: parseBody(text),
      status: response.status,
      headers: response.headers,
      latencyMs: elapsedMs(),
      serviceRequestId: serviceRequestIdOf(response.headers),
    };
  } catch (error) {
    // `instanceof` widens APIError's type parameters to any; read them as what they are.
    const headers: unknown = error instanceof APIError ? error.headers : undefined;
    const status: unknown = error instanceof APIError ? error.status : undefined;
    throw new ImagesCallError(error, {
      latencyMs: elapsedMs(),
      clientRequestId: options.clientRequestId,
      serviceRequestId: headers instanceof Headers ? serviceRequestIdOf(headers) : undefined,
      status: typeof status === 'number' ? status : undefined,
    });
  }
}
