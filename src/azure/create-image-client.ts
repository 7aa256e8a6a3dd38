import { AzureOpenAI, OpenAI } from 'openai';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { ConfigError } from '../errors/imgbatch-error.js';
import { keepNodeBody } from './node-response-body.js';

/** The Entra ID scope of Azure OpenAI (and every Cognitive Services resource). */
export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** How a deployment is called: exactly one of an API key or Entra ID. */
export type AzureAuth =
  /** The resource's key, sent as the `api-key` header. */
  | { readonly kind: 'api-key'; readonly apiKey: string }
  /**
   * Keyless: a bearer token per request. `tokenProvider` defaults to `DefaultAzureCredential`
   * for {@link COGNITIVE_SERVICES_SCOPE}; the identity needs "Cognitive Services OpenAI User".
   */
  | { readonly kind: 'entra'; readonly tokenProvider?: () => Promise<string> };

/** One Azure OpenAI image deployment to call. */
export interface AzureTarget {
  /** The resource endpoint, e.g. `https://my-resource.openai.azure.com`; no default. */
  readonly endpoint: string;
  /** The deployment name (goes into the URL path); no default. */
  readonly deployment: string;
  /** The `api-version` query parameter, e.g. `2025-04-01-preview` (or `preview` on v1); no default. */
  readonly apiVersion: string;
  /**
   * `deployments` (default): `{endpoint}/openai/deployments/{deployment}/...` through
   * `AzureOpenAI`; `v1`: `{endpoint}/openai/v1/...` through the plain `OpenAI` client, the
   * deployment name going as `model`, as Azure's v1 samples do.
   */
  readonly api?: 'deployments' | 'v1' | undefined;
  /** Client timeout per call, ms, until the whole answer is read; no default (gpt-image-2 high calls take up to 241 s). */
  readonly timeoutMs: number;
  readonly auth: AzureAuth;
}

/**
 * Bearer tokens of `DefaultAzureCredential` for Azure OpenAI. `@azure/identity` is imported with
 * the first token, not with this module: it takes about 0.4 s of CPU to load, which every
 * command that never calls with Entra ID (an API key, the local simulator) would pay at start.
 */
function defaultCredentialTokens(): () => Promise<string> {
  let provider: Promise<() => Promise<string>> | undefined;
  return async () => {
    provider ??= import('@azure/identity').then(({ DefaultAzureCredential, getBearerTokenProvider }) => getBearerTokenProvider(new DefaultAzureCredential(), COGNITIVE_SERVICES_SCOPE));
    return (await provider)();
  };
}

/** Node's timers overflow above this and fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Azure deployment names: letters, digits, `-`, `_`, `.` (they become a URL path segment). */
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function requireText(field: string, value: unknown, allowed: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`${field}: ${value === '' ? 'empty' : JSON.stringify(value ?? null)} is not allowed (expected ${allowed})`);
  }
  return value.trim();
}

function checkEndpoint(value: unknown): string {
  const endpoint = requireText('endpoint', value, 'an https URL such as https://my-resource.openai.azure.com');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new ConfigError(`endpoint: "${endpoint}" is not a URL (expected e.g. https://my-resource.openai.azure.com)`, {
      cause: error,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`endpoint: "${endpoint}" must use https (or http for a local simulator)`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError(`endpoint: "${endpoint}" must not have a query or fragment (the api-version is set separately)`);
  }
  // AzureOpenAI appends /openai itself; a pasted ".../openai" or ".../openai/deployments/x"
  // would double it.
  if (/\/openai(\/|$)/.test(url.pathname)) {
    throw new ConfigError(`endpoint: "${endpoint}" must be the resource root, without /openai/...`);
  }
  return endpoint.replace(/\/+$/, '');
}

/**
 * Reads the auth as plain data (config files and other callers are not type-checked) and
 * rejects contradictions: an Entra entry that also carries a key, or a key entry with a token
 * provider, would silently use one and ignore the other.
 */
function checkAuth(auth: unknown): { apiKey: string } | { tokenProvider: () => Promise<string> } {
  if (typeof auth !== 'object' || auth === null) {
    throw new ConfigError(`auth: ${JSON.stringify(auth ?? null)} is not allowed (expected { kind: "api-key", apiKey } or { kind: "entra" })`);
  }
  const fields = auth as Record<string, unknown>;
  const kind = fields['kind'];
  if (kind === 'api-key') {
    if (fields['tokenProvider'] !== undefined) {
      throw new ConfigError('auth: an api-key auth must not also have a tokenProvider; use one of api key or Entra ID');
    }
    const apiKey = fields['apiKey'];
    if (typeof apiKey !== 'string' || apiKey.trim() === '') {
      // Never echo the value: it may be (part of) a secret.
      throw new ConfigError('auth.apiKey: is empty or missing (expected the resource key, e.g. from AZURE_OPENAI_API_KEY)');
    }
    return { apiKey: apiKey.trim() };
  }
  if (kind === 'entra') {
    if (fields['apiKey'] !== undefined) {
      throw new ConfigError('auth: an entra auth must not also have an apiKey; use one of api key or Entra ID');
    }
    const tokenProvider = fields['tokenProvider'];
    if (tokenProvider === undefined) {
      return { tokenProvider: defaultCredentialTokens() };
    }
    if (typeof tokenProvider !== 'function') {
      throw new ConfigError(`auth.tokenProvider: a ${typeof tokenProvider} is not allowed (expected a function returning a token)`);
    }
    return { tokenProvider: tokenProvider as () => Promise<string> };
  }
  throw new ConfigError(`auth.kind: ${JSON.stringify(kind ?? null)} is not allowed (allowed: "api-key", "entra")`);
}

/**
 * An edit's multipart body, encoded by the platform. The SDK builds the platform's FormData,
 * which the npm undici's fetch does not take for a form (it would send the text
 * "[object FormData]"); encoded here, it goes as bytes with its multipart content type.
 */
async function withPlatformFormEncoded(init: RequestInit | undefined): Promise<RequestInit | undefined> {
  if (!(init?.body instanceof FormData)) return init;
  const encoded = new Request('http://form.invalid/', { method: 'POST', body: init.body });
  const headers = new Headers(init.headers);
  headers.set('content-type', encoded.headers.get('content-type') ?? 'multipart/form-data');
  return { ...init, headers, body: new Uint8Array(await encoded.arrayBuffer()) };
}

/** One dispatcher per deployment and call timeout, shared by that deployment's clients and by the warm-up. */
const dispatchers = new Map<string, Agent>();

/**
 * The connection pool of a deployment's clients whose calls may take `timeoutMs`: what the
 * warm-up opens its connection in, so the first call finds one (warmUpImageCalls). A pool per
 * deployment rather than one per endpoint: undici's pool looks through its connections in
 * order for a free one on every call, so one pool under every deployment of an endpoint costs
 * the number of calls in flight on each call (profiled: 1.1 s of a worker's CPU over 8,000
 * images at 2,400 calls in flight, bench:scale A), where a deployment's own pool holds its calls only.
 */
export function imageCallDispatcher(timeoutMs: number, deployment: string): Agent {
  const key = `${deployment} ${timeoutMs}`;
  let dispatcher = dispatchers.get(key);
  if (dispatcher === undefined) {
    dispatcher = new Agent({ headersTimeout: timeoutMs + 1_000, bodyTimeout: timeoutMs });
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/** Statuses whose answers carry no body: a Response given one throws. */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

function flatHeaders(headers: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  const flat: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    flat[name] = value;
  });
  return flat;
}

function platformHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Headers {
  const platform = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const each of value) platform.append(name, each);
    else if (value !== undefined) platform.append(name, value);
  }
  return platform;
}

/**
 * The HTTP transport of a client whose calls may take minutes. Node's own fetch gives up on a
 * response whose headers take over 300 s and on a body silent for 300 s (undici's defaults
 * `headersTimeout` and `bodyTimeout`), whatever the SDK's `timeout` says: a gpt-image-2 call
 * allowed 540 s would fail at 300 s. A dispatcher of the client's own lets the SDK's timeout
 * decide: headers may take a second longer than it (so the SDK's timeout, a `timeout`
 * decision, fires first), the body as long as it.
 *
 * The SDK's requests (a URL, a JSON text or an encoded form) go through undici's `request`
 * rather than its `fetch`: the same dispatcher and connections, without fetch's machinery
 * (request objects, header lists, a copy of the body), which costs about a third of a call's
 * CPU in the worker. The answer becomes the platform's Response, so headers stay `Headers` for
 * everything that reads them. What fetch does that matters here is kept: a failure before the
 * answer is thrown as fetch throws it (`TypeError: fetch failed`, its cause the socket's
 * error), an abort as the signal's reason. Azure's images API answers without redirects, and
 * none is followed. Anything else the SDK might send (a stream body) goes through undici's
 * fetch, with the same dispatcher (openai README, "Configuring an HTTP(S) Agent").
 */
function longCallTransport(timeoutMs: number, deployment: string): { fetch: typeof globalThis.fetch } {
  const dispatcher = imageCallDispatcher(timeoutMs, deployment);
  const viaFetch = async (input: string | URL | Request, init: RequestInit | undefined): Promise<Response> => {
    const answer = await undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
    return new Response(answer.body as ReadableStream<Uint8Array> | null, { status: answer.status, statusText: answer.statusText, headers: new Headers([...answer.headers]) });
  };
  const longCallFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const sent = await withPlatformFormEncoded(init);
    const body = sent?.body ?? null;
    if (input instanceof Request || !(body === null || typeof body === 'string' || body instanceof Uint8Array)) return viaFetch(input, sent);
    let answer;
    try {
      answer = await request(input, { method: sent?.method ?? 'GET', headers: flatHeaders(sent?.headers), body, signal: sent?.signal ?? null, dispatcher });
    } catch (error) {
      if (sent?.signal?.aborted === true) throw error;
      throw new TypeError('fetch failed', { cause: error });
    }
    const hasBody = !NULL_BODY_STATUSES.has(answer.statusCode);
    if (!hasBody) answer.body.resume();
    const response = new Response(hasBody ? answer.body : null, { status: answer.statusCode, headers: platformHeaders(answer.headers) });
    return hasBody ? keepNodeBody(response, answer.body) : response;
  };
  return { fetch: longCallFetch };
}

/**
 * An `AzureOpenAI` client for one deployment, with every option explicit so that nothing comes
 * from the environment behind the config's back: `AzureOpenAI` would otherwise read
 * AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_BASE_URL, OPENAI_ORG_ID,
 * OPENAI_PROJECT_ID and OPENAI_ADMIN_KEY (openai 6, src/azure.ts and src/client.ts).
 *
 * @throws ConfigError when a field is empty, malformed or contradicts another.
 */
export function createImageClient(target: AzureTarget): OpenAI {
  const endpoint = checkEndpoint(target.endpoint);
  const deployment = requireText('deployment', target.deployment, 'an Azure deployment name');
  if (!DEPLOYMENT_NAME.test(deployment)) {
    throw new ConfigError(`deployment: "${deployment}" is not allowed (letters, digits, ".", "_" and "-" only)`);
  }
  const apiVersion = requireText('apiVersion', target.apiVersion, 'an api-version such as 2025-04-01-preview');
  if (!/^[A-Za-z0-9.-]+$/.test(apiVersion)) {
    throw new ConfigError(`apiVersion: "${apiVersion}" is not allowed (expected e.g. 2024-10-21 or 2025-04-01-preview)`);
  }
  const { timeoutMs } = target;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new ConfigError(`timeoutMs: ${String(timeoutMs)} is not allowed (expected a whole number of ms, 1 to ${MAX_TIMEOUT_MS})`);
  }
  const auth = checkAuth(target.auth);
  // Both clients: the long-call transport; no SDK retries (the queue owns retries of API calls,
  // STYLE.md "Every retry has exactly one owner": SDK retries would be invisible to the rate
  // limiter and could pay for an image twice); nothing read from OPENAI_* variables.
  const common = {
    ...longCallTransport(timeoutMs, deployment),
    maxRetries: 0,
    timeout: timeoutMs,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
  };

  if (target.api === 'v1') {
    // Azure's v1 API takes the plain OpenAI client: `baseURL: "https://<resource>.openai.azure.com/openai/v1/"`
    // and `apiKey` either the resource key or an Entra token provider ("Azure OpenAI
    // JavaScript support", Microsoft Learn, 2025-09-15; API version lifecycle, 2026-03-19). Both
    // go as `Authorization: Bearer`. Images on v1 are documented with `api-version=preview`.
    return new OpenAI({
      ...common,
      baseURL: `${endpoint}/openai/v1/`,
      apiKey: 'apiKey' in auth ? auth.apiKey : auth.tokenProvider,
      defaultQuery: { 'api-version': apiVersion },
    });
  }
  return new AzureOpenAI({
    ...common,
    // baseURL rather than `endpoint`: AzureOpenAI throws when OPENAI_BASE_URL is set in the
    // environment and `endpoint` is passed, and would read AZURE_OPENAI_ENDPOINT for a missing one.
    baseURL: `${endpoint}/openai`,
    deployment,
    apiVersion,
    ...('apiKey' in auth
      ? { apiKey: auth.apiKey }
      : {
          azureADTokenProvider: auth.tokenProvider,
          // An empty key, not undefined: undefined lets AzureOpenAI default to
          // AZURE_OPENAI_API_KEY, and a key together with a token provider makes it throw.
          apiKey: '',
        }),
  });
}
