import { randomUUID } from 'node:crypto';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import type { ModelCapabilities } from '../models/model-table.js';
import type { CallOutcome, CallStats, EditCallRecord, EditFileRecord } from './call-stats.js';
import { contentFilterStage } from './content-filter-stage.js';
import { drawFault } from './draw-fault.js';
import type { EditForm, FormFile } from './edit-form.js';
import type { FaultScript, FaultStep } from './fault-script.js';
import type { ImageFileStore } from './image-file-store.js';
import { isAuthorized } from './is-authorized.js';
import { createRateWindow, type RateWindow } from './rate-window.js';
import { rateLimitedReply } from './rate-limited-reply.js';
import { jsonReply, textReply, type Reply } from './reply.js';
import {
  DEPLOYMENT_NOT_FOUND_BODY,
  FORBIDDEN_BODY,
  invalidPayloadBody,
  operationNotSupportedBody,
  outputFilteredBody,
  promptFilteredBody,
  RESOURCE_NOT_FOUND_BODY,
  SERVICE_UNAVAILABLE_TEXT,
  serverErrorBody,
  UNAUTHORIZED_BODY,
} from './responses.js';
import { revisedPrompt } from './revised-prompt.js';
import { createSeededRandom } from './seeded-random.js';
import type { SimulatedDeployment, SimulatorOptions } from './simulator-options.js';
import { imageInputTokens } from './image-input-tokens.js';
import { successBody } from './success-body.js';
import { validateEditForm } from './validate-edit-form.js';
import { validateGenerationBody, type GenerationRequest } from './validate-generation-body.js';

/** One `POST .../images/generations` or `.../images/edits` call, as read off the wire. */
export interface GenerationCall {
  /** Which operation the path named; default `generations`. */
  readonly operation?: 'generations' | 'edits';
  /** An edits call's multipart body, parsed; undefined when it was not multipart. */
  readonly form?: EditForm | undefined;
  /** The `{deployment}` path segment, decoded; on the v1 path, the body's `model`. */
  readonly deploymentName: string;
  /** True on Azure's v1 path (`/openai/v1/...`), where api-version is optional and a key may come as a bearer token. */
  readonly isV1Path?: boolean;
  /** The `api-version` query parameter. */
  readonly apiVersion: string | undefined;
  readonly apiKey: string | undefined;
  readonly authorization: string | undefined;
  /** The `x-ms-client-request-id` header. */
  readonly clientRequestId: string | undefined;
  /** The parsed JSON body; ignored when `isBodyJson` is false. */
  readonly body: unknown;
  readonly isBodyJson: boolean;
  /** The base URL the client reached the simulator at, for `url` responses. */
  readonly baseUrl: string;
}

/** What the server does with a call: answer (after a simulated service time), hang or reset. */
export type SimulatorAction =
  | { readonly kind: 'reply'; readonly reply: Reply; readonly delayMs: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' };

export interface GenerationHandlerDependencies {
  readonly options: SimulatorOptions;
  readonly stats: CallStats;
  readonly script: FaultScript;
  readonly files: ImageFileStore;
  /** The models the simulated service knows. */
  readonly models: ModelCatalogue;
  /** Clock, epoch ms (default `Date.now`). */
  readonly now?: () => number;
}

export interface GenerationHandler {
  /**
   * Decides a call's answer and records it; the rate window counts the call here, before the
   * first await, so the order of arrival is the order of decision. Only the image bytes are made
   * after that.
   */
  handle(call: GenerationCall): Promise<SimulatorAction>;
  /**
   * Answers every call to `deployment` with 429 until `untilMs` (epoch ms), each telling the
   * client to wait out the rest of the window: a burst of throttling, as when the service
   * lowers a quota for a while or another client spent it.
   */
  throttle(deployment: string, untilMs: number): void;
  /** Empties every rate window, ends every throttle and restarts the PRNG from its seed. */
  reset(): void;
}

/** Where the files behind `url` responses are served. */
export const FILES_PATH = '/_sim/files/';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fileRecord(file: FormFile): EditFileRecord {
  const { field, filename, contentType, sizeBytes, sha256, widthPx, heightPx } = file;
  return { field, filename, contentType, sizeBytes, sha256, widthPx, heightPx };
}

function editRecord(form: EditForm | undefined): EditCallRecord | null {
  if (form === undefined) return null;
  const mask = form.files.find((file) => file.field === 'mask');
  return {
    fields: { ...form.fields },
    images: form.files.filter((file) => file.field === 'image' || file.field === 'image[]').map(fileRecord),
    mask: mask === undefined ? null : fileRecord(mask),
  };
}

/**
 * The simulated service's decision for a generations call, in the order the real service
 * appears to apply its checks: route and auth, deployment, model, then the request itself,
 * injected faults, the quota, the content filter, and finally the images.
 */
export function createGenerationHandler(deps: GenerationHandlerDependencies): GenerationHandler {
  const { options, stats, script, files } = deps;
  const now = deps.now ?? Date.now;
  let random = createSeededRandom(options.faults.seed);
  const windows = new Map<string, RateWindow>(
    options.deployments.map((d) => [d.name, createRateWindow({ ratePerMinute: d.ratePerMinute, windowMs: options.rateWindowMs })]),
  );
  const deployments = new Map<string, SimulatedDeployment>(options.deployments.map((d) => [d.name, d]));
  const throttledUntil = new Map<string, number>();

  async function handle(call: GenerationCall): Promise<SimulatorAction> {
    const arrivedAtMs = now();
    const requestId = randomUUID();
    const isEdit = call.operation === 'edits';
    const formFields = call.form?.fields ?? {};
    const fields = isEdit ? formFields : call.isBodyJson && isRecord(call.body) ? call.body : {};
    const prompt = typeof fields['prompt'] === 'string' ? fields['prompt'] : null;
    // Multipart fields are text: "2" is the number 2 there.
    const rawN = isEdit && typeof fields['n'] === 'string' && /^\d+$/.test(fields['n']) ? Number(fields['n']) : (fields['n'] ?? 1);
    const n = typeof rawN === 'number' && Number.isInteger(rawN) ? rawN : null;
    const apiVersion = call.apiVersion ?? '';
    let isScripted = false;
    let headers: Record<string, string> = {
      'apim-request-id': requestId,
      'x-request-id': requestId,
      'x-ms-region': 'Simulated',
      'x-envoy-upstream-service-time': '0',
    };

    const settle = (outcome: CallOutcome, action: SimulatorAction): SimulatorAction => {
      stats.record({
        deployment: call.deploymentName,
        api: call.isV1Path === true ? 'v1' : 'deployments',
        arrivedAtMs,
        outcome,
        status: action.kind === 'reply' ? action.reply.status : null,
        clientRequestId: call.clientRequestId ?? null,
        n,
        prompt,
        latencyMs: action.kind === 'reply' ? action.delayMs : action.kind === 'reset' ? 0 : null,
        isScripted,
        requestId,
        ...(isEdit && { edit: editRecord(call.form) }),
      });
      return action;
    };
    const reply = (outcome: CallOutcome, answer: Reply, delayMs = 0): SimulatorAction =>
      settle(outcome, { kind: 'reply', reply: answer, delayMs });

    const fault = (step: FaultStep): SimulatorAction => {
      switch (step.kind) {
        case '500':
          return reply('error_500', jsonReply(500, serverErrorBody(requestId), headers));
        case '503':
          return reply('error_503', textReply(503, SERVICE_UNAVAILABLE_TEXT, headers));
        case 'hang':
          return settle('hang', { kind: 'hang' });
        case 'reset':
          return settle('reset', { kind: 'reset' });
        case '401':
          return reply('unauthorized', jsonReply(401, UNAUTHORIZED_BODY, headers));
        case '403':
          return reply('forbidden', jsonReply(403, FORBIDDEN_BODY, headers));
        case '429':
          return reply(
            'rate_limited',
            rateLimitedReply({ apiVersion, retryAfterMs: step.retryAfterMs, mode: step.headers, nowMs: arrivedAtMs, headers }),
          );
      }
    };

    // Azure answers a deployment-path call without api-version as an unknown route; on the v1
    // path "api-version is no longer a required parameter" (API version lifecycle, 2026-03-19).
    if (call.isV1Path !== true && (call.apiVersion === undefined || call.apiVersion === '')) {
      return reply('not_found', jsonReply(404, RESOURCE_NOT_FOUND_BODY, headers));
    }
    if (!isAuthorized(call, options, { isKeyAsBearerAccepted: call.isV1Path === true })) return reply('unauthorized', jsonReply(401, UNAUTHORIZED_BODY, headers));
    const deployment = deployments.get(call.deploymentName);
    const window = windows.get(call.deploymentName);
    if (deployment === undefined || window === undefined) {
      return reply('not_found', jsonReply(404, DEPLOYMENT_NOT_FOUND_BODY, headers));
    }
    const model: ModelCapabilities | undefined = deps.models.find(deployment.model);
    if (model === undefined) {
      return reply('unsupported', jsonReply(400, operationNotSupportedBody(deployment.model), headers));
    }
    if (isEdit && model.edits === undefined) {
      return reply('unsupported', jsonReply(400, operationNotSupportedBody(deployment.model, 'imageEdits'), headers));
    }
    // Only the gpt-image family names the deployment in its responses (recording).
    if (!model.acceptsResponseFormat) headers = { ...headers, 'x-ms-deployment-name': deployment.name };

    const scripted = script.take({ prompt: prompt ?? undefined, clientRequestId: call.clientRequestId, deployment: deployment.name });
    if (scripted !== undefined) {
      isScripted = true;
      return fault(scripted);
    }

    let request: GenerationRequest;
    // Input image tokens of an edit, for `usage`; 0 for a generation.
    let inputImageTokens = 0;
    if (isEdit) {
      if (call.form === undefined) {
        return reply(
          'invalid',
          jsonReply(400, { error: { code: 'invalidPayload', message: 'Invalid payload: the request body is not multipart/form-data.' } }, headers),
        );
      }
      const check = validateEditForm(call.form, model);
      if (!check.isValid) return reply('invalid', jsonReply(400, invalidPayloadBody(check.property), headers));
      request = check.request;
      // The mask is not counted: it marks the first image's area rather than adding an image.
      inputImageTokens = check.edit.images.reduce((sum, image) => sum + imageInputTokens(model.id, image.widthPx, image.heightPx, check.edit.inputFidelity), 0);
    } else {
      if (!call.isBodyJson) {
        return reply(
          'invalid',
          jsonReply(400, { error: { code: 'invalidPayload', message: 'Invalid payload: the request body is not valid JSON.' } }, headers),
        );
      }
      const check = validateGenerationBody(call.body, model);
      if (!check.isValid) return reply('invalid', jsonReply(400, invalidPayloadBody(check.property), headers));
      request = check.request;
    }

    const randomFault = drawFault(random, options.faults);
    if (randomFault !== undefined) return fault({ kind: randomFault });

    const throttleEndMs = throttledUntil.get(deployment.name) ?? 0;
    if (arrivedAtMs < throttleEndMs) {
      return reply(
        'rate_limited',
        rateLimitedReply({ apiVersion, retryAfterMs: throttleEndMs - arrivedAtMs, mode: deployment.rateLimitHeaders, nowMs: arrivedAtMs, headers }),
      );
    }

    const slot = window.tryAcquire(arrivedAtMs);
    if (!slot.isAccepted) {
      return reply(
        'rate_limited',
        rateLimitedReply({ apiVersion, retryAfterMs: slot.retryAfterMs, mode: deployment.rateLimitHeaders, nowMs: arrivedAtMs, headers }),
      );
    }

    const stage = contentFilterStage(request.prompt, options.contentFilter);
    if (stage === 'prompt') {
      const revised = model.returnsRevisedPrompt ? revisedPrompt(request.prompt) : undefined;
      return reply('filtered_prompt', jsonReply(400, promptFilteredBody(revised), headers));
    }

    // Calls of higher quality take longer (gpt-image-2: a median of 31 s low, 171 s high).
    const byQuality = deployment.latencyByQuality;
    const latency = byQuality !== undefined && Object.hasOwn(byQuality, request.quality) ? (byQuality[request.quality] ?? deployment.latency) : deployment.latency;
    const delayMs = Math.round(random.nonNegativeNormal(latency.meanMs, latency.sdMs));
    headers = { ...headers, 'x-envoy-upstream-service-time': String(delayMs) };
    const createdSeconds = Math.floor((arrivedAtMs + delayMs) / 1000);
    if (stage === 'output') return reply('filtered_output', jsonReply(400, outputFilteredBody(createdSeconds), headers), delayMs);

    // dall-e-3 reports its remaining quota; the gpt-image recordings carry no x-ratelimit-* header.
    if (model.returnsRevisedPrompt) headers = { ...headers, 'x-ratelimit-remaining-requests': String(slot.remaining) };
    const body = await successBody({
      model,
      request,
      createdSeconds,
      isLastItemFiltered: stage === 'item',
      imageWidthPx: options.imageWidthPx,
      imageHeightPx: options.imageHeightPx,
      inputImageTokens,
      publish: (image, extension) => `${options.filesBaseUrl?.replace(/\/+$/, '') ?? `${call.baseUrl}${FILES_PATH.replace(/\/$/, '')}`}/${files.put(image, extension)}`,
    });
    return reply(stage === 'item' ? 'partial' : 'ok', jsonReply(200, body, headers), delayMs);
  }

  return {
    handle,
    throttle(deployment, untilMs) {
      throttledUntil.set(deployment, Math.max(untilMs, throttledUntil.get(deployment) ?? 0));
    },
    reset() {
      throttledUntil.clear();
      for (const window of windows.values()) window.clear();
      random = createSeededRandom(options.faults.seed);
    },
  };
}
