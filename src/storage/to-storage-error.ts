import { coerceError, StorageError } from '../errors/imgbatch-error.js';
import { FILE_THREAD_EXITED } from './file-threads.js';

/**
 * Error codes that mean "the request may not have reached storage, or its answer was lost":
 * Node's socket and DNS errors, undici's, the Azure SDK's (`REQUEST_SEND_ERROR`, `TIMEOUT`,
 * taken from its own retry policy in @azure/storage-common StorageRetryPolicyV2), and the
 * file-system errors that clear up by themselves (busy file, too many open files).
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  // A DNS miss is usually a typo, but during an outage resolvers answer it too; retries are bounded.
  'ENOTFOUND',
  'REQUEST_SEND_ERROR',
  'TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'EBUSY',
  'EAGAIN',
  'EMFILE',
  'ENFILE',
  // A file thread of the folder store died under the call (file-threads.ts): the next call starts another.
  FILE_THREAD_EXITED,
]);

/** fetch's wording for "the connection failed" (the same list p-retry's is-network-error uses, in short). */
const NETWORK_TYPE_ERROR_MESSAGES: ReadonlySet<string> = new Set(['fetch failed', 'terminated', 'Failed to fetch', 'network error']);

function propertyOf(error: Error, name: 'code' | 'statusCode' | 'status'): unknown {
  return (error as unknown as Record<string, unknown>)[name];
}

/** The HTTP status of an SDK error (`RestError.statusCode`), when the service answered. */
function statusOf(error: Error): number | undefined {
  const status = propertyOf(error, 'statusCode') ?? propertyOf(error, 'status');
  return typeof status === 'number' && status >= 100 ? status : undefined;
}

function codesOf(error: Error): string[] {
  // fetch and some SDK layers hide the socket error one or two `cause`s down.
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = propertyOf(current, 'code');
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}

function isTransientStatus(status: number): boolean {
  // 408 request timeout, 429 throttled (Azure Storage answers 503 ServerBusy too), 5xx.
  return status === 408 || status === 429 || status >= 500;
}

function isTransientWithoutStatus(error: Error): boolean {
  if (codesOf(error).some((code) => TRANSIENT_CODES.has(code))) return true;
  if (error.name === 'TimeoutError') return true;
  if (error instanceof TypeError && NETWORK_TYPE_ERROR_MESSAGES.has(error.message)) return true;
  // The SDK's own retry policy treats a truncated XML answer as a service-side timeout.
  return propertyOf(error, 'code') === 'PARSE_ERROR' && error.message.includes('Unclosed root tag');
}

/**
 * The single place that decides whether a storage failure is worth another try: network
 * errors, timeouts, 408, 429 and 5xx are transient; 4xx (auth, validation, not found) and
 * everything unrecognised are not. `action` says what was being done, e.g. `upload blob x`.
 * A StorageError passes through unchanged.
 */
export function toStorageError(thrown: unknown, action: string): StorageError {
  if (thrown instanceof StorageError) return thrown;
  const error = coerceError(thrown);
  const status = statusOf(error);
  const isTransient = status === undefined ? isTransientWithoutStatus(error) : isTransientStatus(status);
  const code = codesOf(error)[0];
  const detail = [status, code].filter((part) => part !== undefined).join(' ');
  // The SDK's messages are the service's text plus a RequestId line; keep only the first line.
  const message = error.message.split('\n')[0] ?? '';
  return new StorageError(`${action} failed${detail === '' ? '' : ` (${detail})`}: ${message}`, { cause: error, isTransient });
}
