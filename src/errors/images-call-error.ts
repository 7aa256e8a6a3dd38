/**
 * A failed images call, carrying what the worker logs and measures (latency, request ids)
 * around the error that actually happened. It is a carrier, not a kind: its meaning is decided
 * by `classifyError`, which looks through it to `cause` (the SDK's own error, class intact).
 * So it is deliberately not an `ImgbatchError`: none of that class's codes would be true for
 * every cause.
 */
export class ImagesCallError extends Error {
  /** The error the SDK (or the network) threw. */
  override readonly cause: unknown;
  /** Wall time from sending the request to the failure, ms. */
  readonly latencyMs: number;
  /** The `x-ms-client-request-id` we sent, to find the call in Azure's logs. */
  readonly clientRequestId: string;
  /** The service's request id (apim-request-id / x-request-id), when a response came back. */
  readonly serviceRequestId: string | undefined;
  /** The HTTP status, when a response came back. */
  readonly status: number | undefined;

  constructor(
    cause: unknown,
    details: { latencyMs: number; clientRequestId: string; serviceRequestId?: string | undefined; status?: number | undefined },
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ImagesCallError';
    this.cause = cause;
    this.latencyMs = details.latencyMs;
    this.clientRequestId = details.clientRequestId;
    this.serviceRequestId = details.serviceRequestId;
    this.status = details.status;
  }
}
