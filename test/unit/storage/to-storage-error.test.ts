import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { toStorageError } from '../../../src/storage/to-storage-error.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('toStorageError', () => {
  it.each<[string, unknown, boolean]>([
    ['408 request timeout', new RestError('Timeout', { statusCode: 408 }), true],
    ['429 throttled', new RestError('Too many requests', { statusCode: 429 }), true],
    ['500 InternalError', new RestError('Internal', { statusCode: 500, code: 'InternalError' }), true],
    ['503 ServerBusy', new RestError('busy', { statusCode: 503, code: 'ServerBusy' }), true],
    ['504 gateway timeout', new RestError('gateway', { statusCode: 504 }), true],
    ['400 InvalidHeaderValue', new RestError('bad header', { statusCode: 400, code: 'InvalidHeaderValue' }), false],
    ['401 no auth', new RestError('no auth', { statusCode: 401 }), false],
    ['403 AuthorizationFailure', new RestError('Server failed to authenticate the request.', { statusCode: 403, code: 'AuthorizationFailure' }), false],
    ['404 BlobNotFound', new RestError('missing', { statusCode: 404, code: 'BlobNotFound' }), false],
    ['409 ContainerBeingDeleted', new RestError('deleting', { statusCode: 409, code: 'ContainerBeingDeleted' }), false],
    ['413 request body too large', new RestError('too large', { statusCode: 413, code: 'RequestBodyTooLarge' }), false],
    ['SDK send error', new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), true],
    ['SDK REQUEST_SEND_ERROR', new RestError('socket hang up', { code: RestError.REQUEST_SEND_ERROR }), true],
    ['truncated XML answer', new RestError('Error "Error: Unclosed root tag" occurred', { code: RestError.PARSE_ERROR }), true],
    ['other parse error', new RestError('unexpected', { code: RestError.PARSE_ERROR }), false],
    ['raw ECONNRESET', withCode('read ECONNRESET', 'ECONNRESET'), true],
    ['raw ETIMEDOUT', withCode('connect ETIMEDOUT', 'ETIMEDOUT'), true],
    ['DNS try again', withCode('getaddrinfo EAI_AGAIN', 'EAI_AGAIN'), true],
    ['fetch failure with the socket error as cause', new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }), true],
    ['fetch failure', new TypeError('fetch failed'), true],
    ['AbortSignal.timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), true],
    ['file busy', withCode('EBUSY: resource busy', 'EBUSY'), true],
    ['too many open files', withCode('EMFILE: too many open files', 'EMFILE'), true],
    ['disk full', withCode('ENOSPC: no space left on device', 'ENOSPC'), false],
    ['permission denied', withCode('EACCES: permission denied', 'EACCES'), false],
    ['read-only file system', withCode('EROFS: read-only file system', 'EROFS'), false],
    ['a programming error', new TypeError('Cannot read properties of undefined'), false],
    ['a thrown string', 'something odd', false],
    ['a thrown object', { weird: true }, false],
  ])('%s -> transient: %s', (_label, thrown, isTransient) => {
    const error = toStorageError(thrown, 'upload blob b/x-0.png');
    expect(error).toBeInstanceOf(StorageError);
    expect(error.isTransient).toBe(isTransient);
    expect(error.message.startsWith('upload blob b/x-0.png failed')).toBe(true);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('passes a StorageError through unchanged', () => {
    const original = new StorageError('already decided', { isTransient: true });
    expect(toStorageError(original, 'anything')).toBe(original);
  });

  it('names the status and the service code, and keeps only the first line of the SDK message', () => {
    const error = toStorageError(
      new RestError('Server failed to authenticate the request.\nRequestId:abc\nTime:2025-01-01', { statusCode: 403, code: 'AuthorizationFailure' }),
      'read record b/x-0',
    );
    expect(error.message).toBe('read record b/x-0 failed (403 AuthorizationFailure): Server failed to authenticate the request.');
  });
});
