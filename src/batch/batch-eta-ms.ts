/** The figures of a batch its ETA is estimated from. */
export interface BatchProgress {
  /** Epoch ms of its first enqueue. */
  readonly createdAt: number;
  readonly endedAt: number | undefined;
  readonly images: number;
  readonly pending: number;
}

/**
 * Ms until a running batch's last image, at the pace it has kept since its first enqueue
 * (images with an outcome per ms); undefined when it has ended, or nothing has finished yet
 * to take a pace from. The pace includes any time the batch waited for others: it is what the
 * batch has been getting, not what the quota would allow.
 */
export function batchEtaMs(batch: BatchProgress, nowMs: number): number | undefined {
  const finished = batch.images - batch.pending;
  const elapsedMs = nowMs - batch.createdAt;
  if (batch.endedAt !== undefined || batch.pending === 0 || finished <= 0 || elapsedMs <= 0) return undefined;
  return (batch.pending * elapsedMs) / finished;
}
