import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { storeUnwritableOf } from '../../../src/storage/store-write-failure.js';
import { toStorageError } from '../../../src/storage/to-storage-error.js';

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** The SDK's RestError shape: statusCode and the service's error code. */
function restError(statusCode: number, code: string): Error {
  return Object.assign(new Error(`${code}\nRequestId:1`), { name: 'RestError', statusCode, code });
}

describe('storeUnwritableOf: which failed writes mean the store cannot be written now', () => {
  it.each([
    ['a full disk (ENOSPC), as the folder store wraps it', toStorageError(errno('ENOSPC'), 'write image a/b-0.png'), 'disk_full'],
    ['a quota reached (EDQUOT)', toStorageError(errno('EDQUOT'), 'write image a/b-0.png'), 'disk_full'],
    ['a read-only file system (EROFS)', toStorageError(errno('EROFS'), 'write record a/b-0.json'), 'read_only'],
    ['a folder without write permission (EACCES)', toStorageError(errno('EACCES'), 'write image a/b-0.png'), 'write_forbidden'],
    ['an immutable folder (EPERM)', toStorageError(errno('EPERM'), 'write image a/b-0.png'), 'write_forbidden'],
    ['a blob identity that may read but not write (403 AuthorizationPermissionMismatch)', toStorageError(restError(403, 'AuthorizationPermissionMismatch'), 'upload blob a/b-0.png'), 'write_forbidden'],
    ['a wrong account key (401)', toStorageError(restError(401, 'NoAuthenticationInformation'), 'upload blob a/b-0.png'), 'write_forbidden'],
    ['storage down after the retries (ECONNREFUSED)', toStorageError(errno('ECONNREFUSED'), 'upload blob a/b-0.png'), 'unreachable'],
    ['storage timing out after the retries', new StorageError('upload blob failed: no answer within 30000 ms', { isTransient: true }), 'unreachable'],
    ['storage answering 503 after the retries', toStorageError(restError(503, 'ServerBusy'), 'upload blob a/b-0.png'), 'unreachable'],
    ['a raw ENOSPC the retrying store rethrew as it was', errno('ENOSPC'), 'disk_full'],
  ])('%s → %s', (_, error, code) => {
    expect(storeUnwritableOf(error)?.code).toBe(code);
  });

  it.each([
    ['a key the store refuses (a bug, not an outage)', new StorageError('refused key "../x": expected exactly one "/"', { isTransient: false })],
    ['a 400 from blob storage', toStorageError(restError(400, 'InvalidHeaderValue'), 'upload blob a/b-0.png')],
    ['a non-Error thrown', 'boom'],
  ])('%s is a failure of that write only: undefined', (_, error) => {
    expect(storeUnwritableOf(error)).toBeUndefined();
  });

  it('keeps the first line of the message for status and logs', () => {
    expect(storeUnwritableOf(toStorageError(restError(403, 'AuthorizationPermissionMismatch'), 'upload blob a/b-0.png'))?.message).toBe(
      'upload blob a/b-0.png failed (403 AuthorizationPermissionMismatch): AuthorizationPermissionMismatch',
    );
  });
});
