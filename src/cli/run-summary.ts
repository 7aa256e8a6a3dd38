import type { BatchSummary } from '../batch/batch-registry.js';

/** What `imgbatch run` reports at the end; also its `--json` line. */
export interface RunSummary {
  readonly batchId: string;
  readonly images: number;
  readonly stored: number;
  readonly filtered: number;
  readonly failed: number;
  readonly rejected: number;
  /** Images whose jobs were cancelled before they started (`imgbatch cancel`). */
  readonly cancelled: number;
  /** Rows or requests refused before they reached the queue. */
  readonly invalidRows: number;
  /** API calls this run made (earlier runs of the same batch not counted). */
  readonly apiCalls: number;
  readonly rateLimited: number;
  readonly wallSeconds: number;
  readonly output: string;
  readonly redis: string;
  readonly endpoint: string;
  readonly ok: boolean;
}

export function buildRunSummary(input: {
  readonly before: BatchSummary | undefined;
  readonly after: BatchSummary;
  readonly invalidRows: number;
  readonly wallMs: number;
  readonly output: string;
  readonly redis: string;
  readonly endpoint: string;
}): RunSummary {
  const { after } = input;
  const failed = after.counts.failed;
  const rejected = after.counts.rejected;
  const cancelled = after.counts.cancelled;
  const unfinished = after.pending;
  return {
    batchId: after.batchId,
    images: after.images,
    stored: after.counts.stored,
    filtered: after.counts.filtered,
    failed: failed + unfinished,
    rejected,
    cancelled,
    invalidRows: input.invalidRows,
    apiCalls: after.calls - (input.before?.calls ?? 0),
    rateLimited: after.rateLimitedCalls - (input.before?.rateLimitedCalls ?? 0),
    wallSeconds: Math.round(input.wallMs / 100) / 10,
    output: input.output,
    redis: input.redis,
    endpoint: input.endpoint,
    ok: failed + rejected + cancelled + unfinished + input.invalidRows === 0,
  };
}

export function formatRunSummary(summary: RunSummary): string {
  return [
    `batch        ${summary.batchId}`,
    `images       ${summary.images}: ${summary.stored} stored, ${summary.filtered} filtered, ${summary.failed} failed, ${summary.rejected} rejected${summary.cancelled > 0 ? `, ${summary.cancelled} cancelled` : ''}`,
    `invalid rows ${summary.invalidRows}`,
    `API calls    ${summary.apiCalls} (${summary.rateLimited} answered 429)`,
    `wall time    ${summary.wallSeconds.toFixed(1)} s`,
    `files        ${summary.output}`,
    `endpoint     ${summary.endpoint}`,
    `redis        ${summary.redis}`,
    summary.ok ? 'result       every image stored or filtered' : 'result       NOT every image was stored or filtered (see above)',
  ].join('\n');
}
