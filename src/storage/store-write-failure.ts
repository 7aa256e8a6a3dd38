import { StorageError } from '../errors/imgbatch-error.js';

/**
 * Why the store cannot take writes now. Each stops new calls (the store breaker opens) until a
 * probe write succeeds, because every image called meanwhile would be paid and not kept.
 */
export const STORE_UNWRITABLE_CODES = ['disk_full', 'read_only', 'write_forbidden', 'unreachable'] as const;
export type StoreUnwritableCode = (typeof STORE_UNWRITABLE_CODES)[number];

export interface StoreUnwritable {
  readonly code: StoreUnwritableCode;
  /** The failure as the store reported it (its first line), for `status` and logs. */
  readonly message: string;
}

/** Human text beside each code, as `status` and the job's delay reason show it. */
export const STORE_UNWRITABLE_TEXT: Readonly<Record<StoreUnwritableCode, string>> = {
  disk_full: 'the disk is full',
  read_only: 'the folder or file system is read-only',
  write_forbidden: 'the identity may read but not write (permission denied / HTTP 403)',
  unreachable: 'the store does not answer (still failing after the store retries)',
};

/** errno codes of local writes: ENOSPC and EDQUOT (quota) fill up, EROFS a read-only mount, EACCES and EPERM rights (open(2), write(2)). */
const CODE_TO_REASON: Readonly<Record<string, StoreUnwritableCode>> = {
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EROFS: 'read_only',
  EACCES: 'write_forbidden',
  EPERM: 'write_forbidden',
};

function propertyOf(error: Error, name: string): unknown {
  return (error as unknown as Record<string, unknown>)[name];
}

/** Every `code` and HTTP status down the `cause` chain: the stores wrap the fs and SDK errors once or twice. */
function signalsOf(thrown: unknown): { codes: string[]; statuses: number[] } {
  const codes: string[] = [];
  const statuses: number[] = [];
  let current: unknown = thrown;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = propertyOf(current, 'code');
    if (typeof code === 'string') codes.push(code);
    const status = propertyOf(current, 'statusCode') ?? propertyOf(current, 'status');
    if (typeof status === 'number') statuses.push(status);
    current = current.cause;
  }
  return { codes, statuses };
}

/**
 * Whether a failed write means "the store cannot be written now" (and which way), or is a
 * failure of this one write (a refused key, a record that does not validate): undefined then,
 * and the caller treats it as it did before. A transient StorageError reaching here has
 * already been retried by the retrying store, so the store is taken to be down.
 */
export function storeUnwritableOf(thrown: unknown): StoreUnwritable | undefined {
  if (!(thrown instanceof Error)) return undefined;
  const message = thrown.message.split('\n')[0] ?? '';
  const { codes, statuses } = signalsOf(thrown);
  for (const code of codes) {
    const reason = CODE_TO_REASON[code];
    if (reason !== undefined) return { code: reason, message };
  }
  // Azure Storage answers 403 AuthorizationPermissionMismatch to a reader's write, 401 to a bad key.
  if (statuses.some((status) => status === 401 || status === 403)) return { code: 'write_forbidden', message };
  if (thrown instanceof StorageError && thrown.isTransient) return { code: 'unreachable', message };
  return undefined;
}
