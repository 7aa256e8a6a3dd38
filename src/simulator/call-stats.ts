/** What happened to one call, as the simulator decided it. */
export const CALL_OUTCOMES = [
  'ok',
  'partial',
  'rate_limited',
  'filtered_prompt',
  'filtered_output',
  'invalid',
  'unauthorized',
  'forbidden',
  'not_found',
  'unsupported',
  'error_500',
  'error_503',
  'hang',
  'reset',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/**
 * Outcomes of calls the service accepted and counted against the deployment's quota: the image
 * work ran (filtered calls are real, billed calls). Everything else was refused before that.
 */
export const RATE_COUNTED_OUTCOMES: readonly CallOutcome[] = ['ok', 'partial', 'filtered_prompt', 'filtered_output'];

/** A file part of an edit call, as received. */
export interface EditFileRecord {
  /** `image`, `image[]` or `mask`. */
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  /** SHA-256 of the bytes received, lowercase hex. */
  readonly sha256: string;
  readonly widthPx: number;
  readonly heightPx: number;
}

/** What a multipart `/images/edits` call carried. */
export interface EditCallRecord {
  /** Every text field (prompt, n, size, quality, input_fidelity, ...). */
  readonly fields: Readonly<Record<string, string>>;
  /** Input images in the order received, from `image` or `image[]`. */
  readonly images: readonly EditFileRecord[];
  readonly mask: EditFileRecord | null;
}

export interface CallRecord {
  /** The `{deployment}` path segment as called (on the v1 path, the body's `model`), known or not. */
  readonly deployment: string;
  /** The path called: `deployments` (`/openai/deployments/{deployment}/...`) or `v1` (`/openai/v1/...`). */
  readonly api?: 'deployments' | 'v1';
  /** Arrival time, epoch ms; for counted calls, the time the rate window saw. */
  readonly arrivedAtMs: number;
  readonly outcome: CallOutcome;
  /** HTTP status sent; null when no response was sent (hang, reset). */
  readonly status: number | null;
  /** The `x-ms-client-request-id` request header (the worker sends the image key), or null. */
  readonly clientRequestId: string | null;
  /** Images asked for, when the body had a usable `n` (absent `n` means 1); else null. */
  readonly n: number | null;
  /** The prompt sent, when it was a string; else null. */
  readonly prompt: string | null;
  /** Simulated service time before the answer, ms; null for a hang. */
  readonly latencyMs: number | null;
  /** Whether a scripted step (rather than the simulated service) decided the answer. */
  readonly isScripted: boolean;
  /** The `apim-request-id` / `x-request-id` sent back, to match a call to a response. */
  readonly requestId: string;
  /** Present for an `/images/edits` call (absent: generations): its fields and files. Null for an edits call whose body was not multipart. */
  readonly edit?: EditCallRecord | null;
}

export interface CallStats {
  record(call: CallRecord): void;
  /** Every call so far, oldest first (a copy). */
  list(): CallRecord[];
  clear(): void;
}

export function createCallStats(): CallStats {
  let calls: CallRecord[] = [];
  return {
    record(call) {
      calls.push(Object.freeze({ ...call }));
    },
    list() {
      return [...calls];
    },
    clear() {
      calls = [];
    },
  };
}
