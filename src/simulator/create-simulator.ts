import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AddressInfo } from 'node:net';
import { coerceError } from '../errors/imgbatch-error.js';
import { BUILT_IN_CATALOGUE, createModelCatalogue, type ModelCatalogue } from '../models/model-catalogue.js';
import { applyModelOverrides } from '../models/model-overrides.js';
import { createCallStats, type CallRecord } from './call-stats.js';
import { parseEditForm } from './edit-form.js';
import { createFaultScript, scriptRequestSchema, type FaultStepInput, type ScriptMatch } from './fault-script.js';
import { createGenerationHandler, FILES_PATH, type SimulatorAction } from './generation-handler.js';
import { createImageFileStore } from './image-file-store.js';
import { jsonReply, textReply, type Reply } from './reply.js';
import { RESOURCE_NOT_FOUND_BODY } from './responses.js';
import { parseSimulatorOptions, type SimulatorOptions, type SimulatorOptionsInput } from './simulator-options.js';
import { summarizeCalls, type CallSummary } from './summarize-calls.js';

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:PORT`: the `endpoint` for `AzureOpenAI`. */
  readonly url: string;
  readonly port: number;
  /** The options in force, defaults filled in. */
  readonly options: SimulatorOptions;
  /** Every images call so far (generations and edits), oldest first. */
  stats(): CallRecord[];
  /** Counts by deployment and outcome, and the densest rate window per deployment. */
  summary(): CallSummary;
  /** Clears stats, rate windows and scripts, and restarts the PRNG from its seed. */
  reset(): void;
  /** Answers every call to `deployment` with 429 for the next `durationMs`, each told to wait out the rest (a burst of throttling). */
  throttle(deployment: string, durationMs: number): void;
  /** Queues responses for the next calls that match; after the steps run out calls behave normally. */
  script(match: ScriptMatch, steps: readonly FaultStepInput[]): void;
  /** Stops listening and closes every connection, hung ones included. */
  close(): Promise<void>;
}

/** What a simulator is given in code rather than as options data. */
export interface SimulatorExtras {
  /**
   * The models the simulated service knows; default the built-in table. Pass `config.models`
   * so models added in the config file are served; the options' `models` apply on top.
   */
  readonly models?: ModelCatalogue;
}

/** The body of `POST /_sim/throttle`. */
const throttleRequestSchema = z.strictObject({ deployment: z.string().min(1), durationMs: z.number().int().min(1).max(3_600_000) });

const IMAGES_PATH = /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/;
/** Azure's v1 API: the deployment is the body's `model` (a form field for edits). */
const V1_IMAGES_PATH = /^\/openai\/v1\/images\/(generations|edits)$/;
// Generous for a 32 000-character prompt, small enough that a runaway client cannot fill memory.
const MAX_BODY_BYTES = 1_048_576;
// An edit may carry 16 images under 50 MB and a mask under 4 MB (Azure's limits), and a prompt.
const MAX_EDIT_BODY_BYTES = 16 * 50 * 1_048_576 + 4 * 1_048_576 + MAX_BODY_BYTES;

class BodyTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`request body over ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

async function readBodyBytes(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

function parseJson(text: string): { isJson: true; value: unknown } | { isJson: false } {
  try {
    return { isJson: true, value: JSON.parse(text) as unknown };
  } catch {
    return { isJson: false };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function send(res: ServerResponse, reply: Reply): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(body);
}

function urlHost(host: string, port: number): string {
  // A wildcard bind is reachable on loopback; IPv6 literals need brackets in URLs.
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Starts a local HTTP server that behaves like the Azure OpenAI images API, on both paths:
 * `/openai/deployments/{deployment}/images/generations?api-version=...` and Azure's v1
 * `/openai/v1/images/generations` (deployment = body `model`). Admin endpoints under `/_sim/`:
 * `GET /_sim/stats`, `POST /_sim/reset`, `POST /_sim/script`, `POST /_sim/throttle`, `GET /_sim/health` and
 * `GET /_sim/files/<name>` (images behind `url` responses).
 */
export async function createSimulator(input: SimulatorOptionsInput = {}, extras: SimulatorExtras = {}): Promise<Simulator> {
  const options = parseSimulatorOptions(input);
  const base = extras.models ?? BUILT_IN_CATALOGUE;
  const models = options.models === undefined ? base : createModelCatalogue(applyModelOverrides(base.models, options.models, 'simulator options'));
  const stats = createCallStats();
  const script = createFaultScript();
  const files = createImageFileStore(options.maxStoredFiles);
  const handler = createGenerationHandler({ options, stats, script, files, models });
  // Timers of replies waiting out their simulated service time; cleared if the client leaves.
  const pendingReplies = new Set<NodeJS.Timeout>();
  let baseUrl = '';

  const reset = (): void => {
    stats.clear();
    script.clear();
    handler.reset();
  };

  const perform = (req: IncomingMessage, res: ServerResponse, action: SimulatorAction): void => {
    switch (action.kind) {
      case 'reply': {
        if (action.delayMs <= 0) {
          send(res, action.reply);
          return;
        }
        const timer = setTimeout(() => {
          pendingReplies.delete(timer);
          send(res, action.reply);
        }, action.delayMs);
        pendingReplies.add(timer);
        res.once('close', () => {
          clearTimeout(timer);
          pendingReplies.delete(timer);
        });
        return;
      }
      case 'hang':
        // Nothing to do: the socket stays open until the client gives up (the server sees
        // `close`) or close() destroys every connection. No timer is involved.
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (req.method === 'GET' && path === '/_sim/stats') {
      const calls = stats.list();
      send(res, jsonReply(200, { calls, summary: summarizeCalls(calls, options.rateWindowMs) }));
      return true;
    }
    if (req.method === 'GET' && path === '/_sim/health') {
      send(res, jsonReply(200, { status: 'ok' }));
      return true;
    }
    if (req.method === 'POST' && path === '/_sim/reset') {
      await readBody(req);
      reset();
      send(res, { status: 204, headers: {}, body: '' });
      return true;
    }
    if (req.method === 'POST' && path === '/_sim/script') {
      const body = parseJson(await readBody(req));
      const parsed = scriptRequestSchema.safeParse(body.isJson ? body.value : undefined);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
        send(res, jsonReply(400, { error: { code: 'invalidScript', message: `Invalid fault script: ${problems.join('; ')}` } }));
        return true;
      }
      script.add(parsed.data.match, parsed.data.steps);
      send(res, jsonReply(200, { pendingSteps: script.pendingSteps() }));
      return true;
    }
    if (req.method === 'POST' && path === '/_sim/throttle') {
      const body = parseJson(await readBody(req));
      const parsed = throttleRequestSchema.safeParse(body.isJson ? body.value : undefined);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
        send(res, jsonReply(400, { error: { code: 'invalidThrottle', message: `Invalid throttle: ${problems.join('; ')}` } }));
        return true;
      }
      handler.throttle(parsed.data.deployment, Date.now() + parsed.data.durationMs);
      send(res, { status: 204, headers: {}, body: '' });
      return true;
    }
    if (req.method === 'GET' && path.startsWith(FILES_PATH)) {
      const file = files.get(decodeURIComponent(path.slice(FILES_PATH.length)));
      send(
        res,
        file === undefined
          ? jsonReply(404, RESOURCE_NOT_FOUND_BODY)
          : { status: 200, headers: { 'content-type': file.contentType }, body: file.bytes },
      );
      return true;
    }
    return false;
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    if (path.startsWith('/_sim/') && (await handleAdmin(req, res, path))) return;
    const route = IMAGES_PATH.exec(path);
    const v1Route = V1_IMAGES_PATH.exec(path);
    const encodedDeployment = route?.[1];
    const isV1Path = v1Route !== null;
    if (req.method !== 'POST' || (encodedDeployment === undefined && !isV1Path)) {
      await readBody(req);
      send(res, jsonReply(404, RESOURCE_NOT_FOUND_BODY));
      return;
    }
    const isEdit = (route?.[2] ?? v1Route?.[1]) === 'edits';
    // An edit is multipart: its files are parsed (and their formats read) before the handler,
    // which then decides without waiting, in order of arrival.
    const raw = await readBodyBytes(req, isEdit ? MAX_EDIT_BODY_BYTES : MAX_BODY_BYTES);
    const form = isEdit ? await parseEditForm(raw, header(req, 'content-type')) : undefined;
    const body = isEdit ? { isJson: false as const } : parseJson(raw.toString('utf8'));
    const decidedAtMs = performance.now();
    const bodyModel = form !== undefined ? form.fields['model'] : body.isJson && typeof body.value === 'object' && body.value !== null ? (body.value as Record<string, unknown>)['model'] : undefined;
    const action = await handler.handle({
      operation: isEdit ? 'edits' : 'generations',
      form,
      deploymentName: encodedDeployment === undefined ? (typeof bodyModel === 'string' ? bodyModel : '') : decodeURIComponent(encodedDeployment),
      isV1Path,
      apiVersion: url.searchParams.get('api-version') ?? undefined,
      apiKey: header(req, 'api-key'),
      authorization: header(req, 'authorization'),
      clientRequestId: header(req, 'x-ms-client-request-id'),
      body: body.isJson ? body.value : undefined,
      isBodyJson: body.isJson,
      baseUrl: header(req, 'host') === undefined ? baseUrl : `http://${header(req, 'host') ?? ''}`,
    });
    // The service time runs from the decision; making the image's bytes is part of it.
    perform(req, res, action.kind === 'reply' ? { ...action, delayMs: action.delayMs - (performance.now() - decidedAtMs) } : action);
  };

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((thrown: unknown) => {
      const error = coerceError(thrown);
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      const status = error instanceof BodyTooLargeError ? 413 : error instanceof URIError ? 400 : 500;
      send(res, textReply(status, error.message, { connection: 'close' }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${urlHost(options.host, port)}`;

  return {
    url: baseUrl,
    port,
    options,
    stats: () => stats.list(),
    summary: () => summarizeCalls(stats.list(), options.rateWindowMs),
    reset,
    throttle: (deployment, durationMs) => {
      handler.throttle(deployment, Date.now() + durationMs);
    },
    script: (match, steps) => {
      script.add(match, steps);
    },
    close: async () => {
      for (const timer of pendingReplies) clearTimeout(timer);
      pendingReplies.clear();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        // Hung calls and keep-alive sockets would hold close() open for ever.
        server.closeAllConnections();
      });
    },
  };
}
