import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import { retryAfterMsFrom } from '../azure/retry-after.js';
import { contentFilterDetails, isJsonObject, stringField } from './content-filter-details.js';
import type { Decision, PauseReason } from './decision.js';
import { ImagesCallError } from './images-call-error.js';
import { coerceError, ImgbatchError } from './imgbatch-error.js';
import { ResponseTooLargeError } from './response-too-large-error.js';

/**
 * Network error codes that mean the request never reached the service (no connection, no
 * name, TLS refused), so nothing can have been generated or billed.
 */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Codes of a connection that broke or stalled after the request may have been sent. */
const MAYBE_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
]);

/** Messages of broken connections that carry no code (undici's body-read `terminated`). */
const BROKEN_CONNECTION_MESSAGE = /socket hang up|other side closed|terminated|fetch failed|network/i;

/**
 * What the worker should do after a failed images call: the single place that looks inside SDK
 * errors (openai 6's `APIError` family), Node network errors and anything else thrown. Rules and
 * the payloads they come from: test/fixtures/azure-image-responses.json.
 *
 * @param nowMs - the clock for a 429 whose `retry-after` is an HTTP date and which has no `date`
 *   header; default `Date.now()`.
 */
export function classifyError(err: unknown, nowMs: number = Date.now()): Decision {
  const thrown = unwrap(err);

  // Checked before APIConnectionError (its base class) and APIError: the SDK cannot tell us
  // whether the abort came before or after the body left, so assume after.
  if (thrown instanceof APIUserAbortError) {
    return transient('aborted', thrown.message, true);
  }
  // The SDK's timeout covers the wait for response headers, i.e. after the whole request was
  // sent: the service may still finish the image, and bill it.
  if (thrown instanceof APIConnectionTimeoutError) {
    return transient('timeout', thrown.message, true);
  }
  if (thrown instanceof APIConnectionError) {
    return networkDecision(thrown) ?? transient('connection_error', thrown.message, true);
  }
  if (thrown instanceof APIError && typeof thrown.status === 'number') {
    // `instanceof` widens the class's type parameters to any; read them as what they are.
    const headers: unknown = thrown.headers;
    return httpDecision({
      status: thrown.status,
      errorObject: thrown.error,
      sdkCode: thrown.code,
      headers: headers instanceof Headers ? headers : undefined,
      message: thrown.message,
      nowMs,
    });
  }
  if (thrown instanceof OpenAIError) {
    return clientSideDecision(thrown);
  }
  // A 200 whose body was over the cap: the images may have been made and billed, and a body over
  // n × base64(40 MiB) + 1 MiB is not an answer the service gives by chance; a retry would most
  // likely be billed and refused again, so it is final.
  if (thrown instanceof ResponseTooLargeError) {
    return { kind: 'too_large', message: thrown.message, status: 200 };
  }
  if (thrown instanceof ImgbatchError && thrown.code === 'VALIDATION') {
    return { kind: 'rejected', code: 'validation', message: thrown.message };
  }
  // createImageClient refused the deployment's settings: no request was made. Config is
  // validated at startup, so reaching this is a bug; retrying (bounded) keeps the job.
  if (thrown instanceof ImgbatchError && thrown.code === 'CONFIG') {
    return transient('config', thrown.message, false);
  }
  const httpLike = httpErrorLike(thrown);
  if (httpLike !== undefined) {
    return httpDecision({ ...httpLike, nowMs });
  }
  const error = coerceError(thrown);
  const network = networkDecision(error);
  if (network !== undefined) return network;
  if (error.name === 'AbortError') return transient('aborted', error.message, true);
  if (error.name === 'TimeoutError') return transient('timeout', error.message, true);
  // Unknown: retrying is bounded, so a wrong "transient" costs a few attempts, while a wrong
  // terminal verdict would lose the job. And we cannot say the request never left.
  return transient('unknown', error.message, true);
}

/** Looks through our own call wrapper to the error that actually happened. */
function unwrap(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 5 && current instanceof ImagesCallError; depth++) {
    current = current.cause;
  }
  return current;
}

function transient(code: string, message: string, mayHaveBilled: boolean, status?: number): Decision {
  return { kind: 'transient', code, message, mayHaveBilled, ...(status === undefined ? {} : { status }) };
}

function pause(reason: PauseReason, message: string, status: number): Decision {
  return { kind: 'pause_deployment', reason, status, message };
}

interface HttpFailure {
  readonly status: number;
  /** The value of the body's `error` key, as the SDK keeps it in `err.error`. */
  readonly errorObject: unknown;
  readonly sdkCode: unknown;
  readonly headers: Headers | Readonly<Record<string, string>> | undefined;
  /** The SDK's message (`"<status> <text>"`), used only when the body has none. */
  readonly message: string;
}

/** Azure's 403 codes that mean "this credential may not call", rather than "resource blocked". */
const AUTH_CODES_ON_403: ReadonlySet<string> = new Set(['authenticationtypedisabled', 'permissiondenied']);

function normalized(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function httpDecision(failure: HttpFailure & { readonly nowMs: number }): Decision {
  const { status } = failure;
  const body = isJsonObject(failure.errorObject) ? failure.errorObject : undefined;
  // The body's own message; the SDK's one is prefixed with the status and, for a body without
  // an `error` key (the non-standard 500), is just "500 status code (no body)".
  const message = stringField(body, 'message') ?? failure.message;
  const sdkCode = typeof failure.sdkCode === 'string' && failure.sdkCode !== '' ? failure.sdkCode : undefined;
  const code = stringField(body, 'code') ?? sdkCode ?? `http_${status}`;

  // The filter answers 400 (prompt) and, per the docs, possibly other statuses for the output;
  // whatever the status, a filter verdict is terminal and must be recorded as such.
  if (status >= 400 && status < 500 && status !== 429) {
    const filter = contentFilterDetails(body, 'prompt');
    if (filter !== undefined) return { kind: 'filtered', filter };
  }
  // The deployment's model cannot make images (e.g. a gpt-4 deployment): every job sent there
  // fails the same way, so stop the deployment instead of rejecting jobs one by one.
  if (normalized(code) === 'operationnotsupported') return pause('model_unsupported', message, status);

  if (status === 401) return pause('auth', message, status);
  if (status === 403) {
    return pause(AUTH_CODES_ON_403.has(normalized(code)) ? 'auth' : 'blocked', message, status);
  }
  if (status === 404) return pause('deployment_missing', message, status);
  if (status === 429) {
    return { kind: 'rate_limited', retryAfterMs: retryAfterMsFrom(failure.headers, message, failure.nowMs), message };
  }
  // 408 (request timeout) and 409 (conflict) are what the SDK itself would retry. We cannot see
  // what the service did before answering, so the image may have been billed.
  if (status === 408 || status === 409) return transient(code, message, true, status);
  // A 5xx can come after the image was generated (a gateway failing while the backend
  // finishes, as with the 504s of calls near the 60 s limit), and generation is what is
  // billed; we cannot tell, so assume it may have been.
  if (status >= 500) return transient(code, message, true, status);
  // Any other 4xx says the request itself is at fault (invalidPayload, 422, 413 ...):
  // repeating it unchanged cannot help.
  if (status >= 400) return { kind: 'rejected', code, message, status };
  return transient(code, message, true, status);
}

/** Errors from another copy of the SDK, or hand-made ones, that still carry an HTTP status. */
function httpErrorLike(thrown: unknown): HttpFailure | undefined {
  if (!(thrown instanceof Error)) return undefined;
  const fields = thrown as Error & Partial<Record<'status' | 'error' | 'code' | 'headers', unknown>>;
  const { status } = fields;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) return undefined;
  const { headers } = fields;
  return {
    status,
    errorObject: fields.error,
    sdkCode: fields.code,
    headers: headers instanceof Headers ? headers : undefined,
    message: thrown.message,
  };
}

/** Every error in a cause chain, including the members of an AggregateError (happy eyeballs). */
function causeChain(err: unknown): unknown[] {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0 && seen.size < 16) {
    const next = pending.shift();
    if (next === undefined || next === null || seen.has(next)) continue;
    seen.add(next);
    if (typeof next !== 'object') continue;
    if ('cause' in next) pending.push(next.cause);
    if (next instanceof AggregateError) pending.push(...(next.errors as unknown[]));
  }
  return [...seen];
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value)) return undefined;
  return typeof value.code === 'string' ? value.code : undefined;
}

/**
 * A decision for a network failure found anywhere in the cause chain (undici wraps the socket
 * error: `TypeError: fetch failed` → `cause: Error { code: 'ECONNRESET' }`), or undefined when
 * the chain holds none.
 */
function networkDecision(err: Error): Decision | undefined {
  const chain = causeChain(err);
  const withCode = (isWanted: (code: string) => boolean): { code: string; message: string } | undefined => {
    for (const cause of chain) {
      const code = codeOf(cause);
      if (code !== undefined && isWanted(code)) {
        // The SDK says only "Connection error."; the socket error says what happened.
        const detail = cause instanceof Error && cause.message !== err.message ? ` (${cause.message})` : '';
        return { code, message: `${err.message}${detail}` };
      }
    }
    return undefined;
  };
  const maybeSent = withCode((code) => MAYBE_SENT_CODES.has(code));
  if (maybeSent !== undefined) return transient(maybeSent.code, maybeSent.message, true);
  const neverSent = withCode((code) => NEVER_SENT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'));
  if (neverSent !== undefined) return transient(neverSent.code, neverSent.message, false);
  const broken = chain.some((cause) => cause instanceof Error && BROKEN_CONNECTION_MESSAGE.test(cause.message));
  return broken ? transient('connection_error', err.message, true) : undefined;
}

/**
 * An `OpenAIError` that is not an `APIError` was raised inside the client. The one we expect is
 * the Entra token provider failing (the SDK wraps it as "Failed to get token from 'apiKey'
 * function"): the request was never sent.
 */
function clientSideDecision(err: OpenAIError): Decision {
  const isTokenFailure = /'apiKey' function/.test(err.message);
  if (!isTokenFailure) return transient('client_error', err.message, true);
  const cause = err.cause;
  const causeName = cause instanceof Error ? cause.name : undefined;
  const causeStatus = isJsonObject(cause) && typeof cause['statusCode'] === 'number' ? cause['statusCode'] : undefined;
  // @azure/identity: CredentialUnavailableError = no credential works on this host at all;
  // AuthenticationError with 400/401 = the tenant refused it (bad secret, wrong tenant). Both
  // fail every call until someone fixes the configuration.
  if (
    causeName === 'CredentialUnavailableError' ||
    (causeName === 'AuthenticationError' && (causeStatus === 400 || causeStatus === 401))
  ) {
    return { kind: 'pause_deployment', reason: 'auth', message: err.message };
  }
  return transient('token_unavailable', err.message, false);
}
