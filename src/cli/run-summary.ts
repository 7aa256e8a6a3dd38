import type { BatchSummary } from '../batch/batch-registry.js';
import { formatUsd } from '../cost/format-usd.js';
import { fromMicroUsd, toMicroUsd } from '../cost/micro-usd.js';

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
  /** Images no call was made for because the batch's budget (`--max-cost`) was reached. */
  readonly skipped: number;
  /** Rows or requests refused before they reached the queue. */
  readonly invalidRows: number;
  /** API calls this run made (earlier runs of the same batch not counted). */
  readonly apiCalls: number;
  readonly rateLimited: number;
  /** What this run's calls cost, USD (from `usage` or the price table). */
  readonly costUsd: number;
  /** What the batch has cost so far, this run and earlier ones, USD. */
  readonly batchCostUsd: number;
  /** The batch's budget, USD; null when it has none. */
  readonly maxCostUsd: number | null;
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
  const skipped = after.counts.skipped;
  const unfinished = after.pending;
  return {
    batchId: after.batchId,
    images: after.images,
    stored: after.counts.stored,
    filtered: after.counts.filtered,
    failed: failed + unfinished,
    rejected,
    cancelled,
    skipped,
    invalidRows: input.invalidRows,
    apiCalls: after.calls - (input.before?.calls ?? 0),
    rateLimited: after.rateLimitedCalls - (input.before?.rateLimitedCalls ?? 0),
    costUsd: fromMicroUsd(toMicroUsd(after.costUsd) - toMicroUsd(input.before?.costUsd ?? 0)),
    batchCostUsd: after.costUsd,
    maxCostUsd: after.maxCostUsd ?? null,
    wallSeconds: Math.round(input.wallMs / 100) / 10,
    output: input.output,
    redis: input.redis,
    endpoint: input.endpoint,
    // Skipped images were never made: finished, not a success.
    ok: failed + rejected + cancelled + skipped + unfinished + input.invalidRows === 0,
  };
}

export function formatRunSummary(summary: RunSummary): string {
  return [
    `batch        ${summary.batchId}`,
    `images       ${summary.images}: ${summary.stored} stored, ${summary.filtered} filtered, ${summary.failed} failed, ${summary.rejected} rejected${summary.cancelled > 0 ? `, ${summary.cancelled} cancelled` : ''}${summary.skipped > 0 ? `, ${summary.skipped} skipped (budget)` : ''}`,
    `invalid rows ${summary.invalidRows}`,
    `API calls    ${summary.apiCalls} (${summary.rateLimited} answered 429)`,
    `cost         ${formatUsd(summary.costUsd)} this run; ${formatUsd(summary.batchCostUsd)} for the batch so far${summary.maxCostUsd === null ? '' : ` of its ${formatUsd(summary.maxCostUsd)} budget`}`,
    `wall time    ${summary.wallSeconds.toFixed(1)} s`,
    `files        ${summary.output}`,
    `endpoint     ${summary.endpoint}`,
    `redis        ${summary.redis}`,
    summary.ok ? 'result       every image stored or filtered' : 'result       NOT every image was stored or filtered (see above)',
  ].join('\n');
}
