import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import { describe, expect, it } from 'vitest';
import { readImagesResponse } from '../../../src/azure/read-images-response.js';
import { classifyError } from '../../../src/errors/classify-error.js';
import { ImagesCallError } from '../../../src/errors/images-call-error.js';
import { ConfigError, ValidationError } from '../../../src/errors/imgbatch-error.js';
import { ResponseTooLargeError } from '../../../src/errors/response-too-large-error.js';
import {
  type AzureImageCase,
  azureImageCases,
  expectDecisionToMatch,
  expectOutcomeToMatch,
  wireBody,
} from '../../fixtures/azure-image-cases.js';

/** Far from every date in the fixture: a wait measured against it instead of the response's Date header would be wrong. */
const FIXED_NOW_MS = Date.parse('2020-01-01T00:00:00Z');

/**
 * The error openai 6 throws for a non-2xx response, built the way its client does
 * (src/client.ts `makeRequest`): the body text is parsed as JSON when it can be, and only
 * text that is not JSON becomes the message.
 */
function sdkErrorFor(status: number, bodyText: string, headers: Record<string, string>): APIError {
  let errJSON: unknown;
  try {
    errJSON = JSON.parse(bodyText);
  } catch {
    errJSON = undefined;
  }
  const errMessage = errJSON ? undefined : bodyText;
  return APIError.generate(status, errJSON as object | undefined, errMessage, new Headers(headers));
}

function sdkErrorForCase(testCase: AzureImageCase): APIError {
  return sdkErrorFor(testCase.status, wireBody(testCase), testCase.headers);
}

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What undici's fetch throws and openai wraps: `TypeError: fetch failed` with the socket error as cause. */
function fetchFailed(cause: unknown): APIConnectionError {
  return new APIConnectionError({ cause: new TypeError('fetch failed', { cause }) });
}

const errorCases = azureImageCases.filter((testCase) => testCase.status !== 200);
const successCases = azureImageCases.filter((testCase) => testCase.status === 200);

describe('classifyError over every recorded Azure error response', () => {
  it('covers the fixture', () => {
    expect(errorCases.length).toBeGreaterThanOrEqual(20);
    expect(successCases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(errorCases.map((testCase) => [testCase.name, testCase] as const))(
    '%s gets the decision the reference gives it',
    (_name, testCase) => {
      expectDecisionToMatch(classifyError(sdkErrorForCase(testCase), FIXED_NOW_MS), testCase);
    },
  );
});

describe('readImagesResponse over every recorded Azure 200', () => {
  it.each(successCases.map((testCase) => [testCase.name, testCase] as const))(
    '%s yields the images and filtered items the reference lists',
    (_name, testCase) => {
      expectOutcomeToMatch(readImagesResponse(JSON.parse(wireBody(testCase))), testCase);
    },
  );
});

function caseNamed(name: string): AzureImageCase {
  const found = azureImageCases.find((testCase) => testCase.name === name);
  if (found === undefined) throw new Error(`no fixture case ${name}`);
  return found;
}

describe('classifyError: content filter details', () => {
  it('keeps the revised prompt from inner_error of a filtered prompt', () => {
    const decision = classifyError(sdkErrorForCase(caseNamed('prompt-filter-inner_error')));
    expect(decision).toMatchObject({
      kind: 'filtered',
      filter: {
        stage: 'prompt',
        categories: ['violence'],
        revisedPrompt: 'A dark and intense illustration of a man in a dramatic action scene.',
        code: 'content_policy_violation',
        message: 'Your request was rejected as a result of our safety system.',
      },
    });
  });

  it('reads the body message, not the SDK message with its status prefix', () => {
    const decision = classifyError(sdkErrorForCase(caseNamed('invalid-payload-quality')));
    expect(decision).toEqual({
      kind: 'rejected',
      code: 'invalidPayload',
      message: 'Invalid payload: Value for property quality is invalid.',
      status: 400,
    });
  });

  it('recognises a filter from flagged results alone, whatever the code', () => {
    const error = sdkErrorFor(
      400,
      JSON.stringify({ error: { code: 'BadRequest', message: 'blocked', innererror: { content_filter_result: { sexual: { filtered: true } } } } }),
      {},
    );
    expect(classifyError(error)).toMatchObject({ kind: 'filtered', filter: { categories: ['sexual'] } });
  });

  it('does not call an unflagged invalid request a filter', () => {
    const error = sdkErrorFor(400, JSON.stringify({ error: { code: 'invalid_value', message: 'n must be 1' } }), {});
    expect(classifyError(error).kind).toBe('rejected');
  });
});

describe('classifyError: statuses without a fixture', () => {
  it.each([
    [408, 'transient'],
    [409, 'transient'],
    [413, 'rejected'],
    [422, 'rejected'],
    [502, 'transient'],
    [504, 'transient'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(classifyError(sdkErrorFor(status, JSON.stringify({ error: { code: 'x', message: 'y' } }), {})).kind).toBe(kind);
  });

  it('a 403 saying key auth is disabled pauses for auth, not as a blocked resource', () => {
    const error = sdkErrorFor(
      403,
      JSON.stringify({ error: { code: 'AuthenticationTypeDisabled', message: 'Key based authentication is disabled for this resource.' } }),
      {},
    );
    expect(classifyError(error)).toMatchObject({ kind: 'pause_deployment', reason: 'auth', status: 403 });
  });

  it('a 503 with a text body keeps the text as its message', () => {
    const decision = classifyError(sdkErrorFor(503, 'Service Unavailable', {}));
    expect(decision).toEqual({ kind: 'transient', code: 'http_503', message: '503 Service Unavailable', status: 503, mayHaveBilled: true });
  });

  it('a 429 with nothing to go on leaves the wait to our own backoff', () => {
    const decision = classifyError(sdkErrorFor(429, '', {}));
    expect(decision).toMatchObject({ kind: 'rate_limited', retryAfterMs: null });
  });
});

describe('classifyError: no response at all', () => {
  it('a client timeout is transient and may have been billed', () => {
    expect(classifyError(new APIConnectionTimeoutError())).toEqual({
      kind: 'transient',
      code: 'timeout',
      message: 'Request timed out.',
      mayHaveBilled: true,
    });
  });

  it('a connection reset after sending may have been billed', () => {
    const decision = classifyError(fetchFailed(networkError('ECONNRESET', 'read ECONNRESET')));
    expect(decision).toMatchObject({ kind: 'transient', code: 'ECONNRESET', mayHaveBilled: true });
  });

  it('a refused connection never reached the service', () => {
    const decision = classifyError(fetchFailed(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')));
    expect(decision).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED', mayHaveBilled: false });
  });

  it('a refused connection on every address (happy eyeballs AggregateError) never reached the service', () => {
    const aggregate = new AggregateError(
      [networkError('ECONNREFUSED', 'connect ECONNREFUSED ::1:1'), networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')],
      '',
    );
    expect(classifyError(fetchFailed(aggregate))).toMatchObject({ kind: 'transient', mayHaveBilled: false });
  });

  it('an unknown host never reached the service', () => {
    const decision = classifyError(fetchFailed(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid')));
    expect(decision).toMatchObject({ kind: 'transient', code: 'ENOTFOUND', mayHaveBilled: false });
  });

  it('a connection error without a known code is transient and may have been billed', () => {
    expect(classifyError(new APIConnectionError({}))).toMatchObject({ kind: 'transient', mayHaveBilled: true });
  });

  it.each([
    ['socket hang up', networkError('ECONNRESET', 'socket hang up')],
    ['ETIMEDOUT', networkError('ETIMEDOUT', 'connect ETIMEDOUT')],
    ['undici body read cut off', new TypeError('terminated', { cause: networkError('UND_ERR_SOCKET', 'other side closed') })],
  ])('a plain Node network error (%s) is transient and may have been billed', (_name, error) => {
    expect(classifyError(error)).toMatchObject({ kind: 'transient', mayHaveBilled: true });
  });

  it('a user abort is transient and may have been billed', () => {
    expect(classifyError(new APIUserAbortError())).toMatchObject({ kind: 'transient', code: 'aborted', mayHaveBilled: true });
  });
});

describe('classifyError: anything else thrown', () => {
  it('a thrown string is transient, with the string as message', () => {
    expect(classifyError('boom')).toEqual({ kind: 'transient', code: 'unknown', message: 'boom', mayHaveBilled: true });
  });

  it('undefined is transient', () => {
    expect(classifyError(undefined)).toMatchObject({ kind: 'transient', code: 'unknown', mayHaveBilled: true });
  });

  it('looks through the call wrapper to the SDK error it carries', () => {
    const wrapped = new ImagesCallError(sdkErrorForCase(caseNamed('rate-limited-ms-and-s')), {
      latencyMs: 12,
      clientRequestId: 'c-1',
    });
    expect(classifyError(wrapped)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 55231 });
  });

  it('a validation error is a rejected request', () => {
    expect(classifyError(new ValidationError([{ field: 'n', reason: 'too many' }])).kind).toBe('rejected');
  });

  it('a 200 whose body was over the cap is final (too_large): a retry may be billed and would be too large again', () => {
    const wrapped = new ImagesCallError(new ResponseTooLargeError(1_000, 4_096), { latencyMs: 30, clientRequestId: 'c-1', status: 200 });
    expect(classifyError(wrapped)).toEqual({
      kind: 'too_large',
      message: 'the response body is over the limit of 1000 bytes (4096 bytes seen); not read further',
      status: 200,
    });
  });

  it('a config error (client could not be made) is transient and never reached the service', () => {
    expect(classifyError(new ConfigError('endpoint: empty'))).toMatchObject({ kind: 'transient', code: 'config', mayHaveBilled: false });
  });

  it('an Entra credential that cannot exist on this host pauses for auth', () => {
    const cause = Object.assign(new Error('no credential'), { name: 'CredentialUnavailableError' });
    const error = new OpenAIError("Failed to get token from 'apiKey' function: no credential", { cause });
    expect(classifyError(error)).toMatchObject({ kind: 'pause_deployment', reason: 'auth' });
  });

  it('a token fetch that failed otherwise is transient and never reached the service', () => {
    const error = new OpenAIError("Failed to get token from 'apiKey' function: socket hang up", { cause: new Error('socket hang up') });
    expect(classifyError(error)).toMatchObject({ kind: 'transient', code: 'token_unavailable', mayHaveBilled: false });
  });
});
