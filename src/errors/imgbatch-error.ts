/**
 * Every error imgbatch throws is an ImgbatchError with a string-literal code, so callers
 * branch on `code` rather than on message text. Subclasses exist only where the kind of
 * error changes what the caller does.
 */
export type ImgbatchErrorCode =
  | 'VALIDATION'
  | 'CONTENT_POLICY'
  | 'RATE_LIMITED'
  | 'TRANSIENT'
  | 'DEPLOYMENT_UNAVAILABLE'
  | 'STORAGE'
  | 'CONFIG'
  | 'REDIS_UNAVAILABLE'
  | 'TIMEOUT'
  | 'FETCH'
  | 'INTERNAL';

export class ImgbatchError extends Error {
  readonly code: ImgbatchErrorCode;

  constructor(code: ImgbatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImgbatchError';
    this.code = code;
  }
}

/** One problem with one field of one input (a CSV row, a job, a config entry). */
export interface FieldIssue {
  /** Where the value came from, e.g. `row 12` or `deployments[1]`; absent for a single request. */
  readonly location?: string;
  /** The field name as the user wrote it, e.g. `size` or `n`. */
  readonly field: string;
  /** Why it is wrong, including what is allowed. */
  readonly reason: string;
}

export function formatFieldIssue(issue: FieldIssue): string {
  const where = issue.location === undefined ? '' : `${issue.location}: `;
  return `${where}${issue.field}: ${issue.reason}`;
}

export class ValidationError extends ImgbatchError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[], options?: { cause?: unknown }) {
    super('VALIDATION', issues.map(formatFieldIssue).join('; '), options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export class ConfigError extends ImgbatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

export class StorageError extends ImgbatchError {
  /** Whether trying the same write again may succeed (network blip, 5xx, throttling). */
  readonly isTransient: boolean;

  constructor(message: string, options: { cause?: unknown; isTransient: boolean }) {
    super('STORAGE', message, { cause: options.cause });
    this.name = 'StorageError';
    this.isTransient = options.isTransient;
  }
}

/** A wait for a batch ran out of time; the batch goes on, `pending` says what is left. */
export class BatchWaitTimeoutError extends ImgbatchError {
  readonly batchId: string;
  /** Images without an outcome when the wait gave up. */
  readonly pending: number;

  constructor(batchId: string, timeoutMs: number, pending: number) {
    super('TIMEOUT', `batch ${batchId} still has ${pending} image(s) pending after ${timeoutMs} ms`);
    this.name = 'BatchWaitTimeoutError';
    this.batchId = batchId;
    this.pending = pending;
  }
}

/**
 * Turns anything thrown into an Error exactly once, so the rest of the code can rely on
 * `.message` and `.stack` (graphile-worker's `coerceError`).
 */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(thrown)}`);
  }
}
