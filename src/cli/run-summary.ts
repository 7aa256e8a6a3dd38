import type { BatchSummary } from '../batch/batch-registry.js';
import { formatUsd } from '../cost/format-usd.js';
import { fromMicroUsd, toMicroUsd } from '../cost/micro-usd.js';

/** A deployment paused when the run ended (a bad key, a missing deployment, a blocked resource). */
export interface PausedDeployment {
  readonly name: string;
  readonly reason: string;
  /** The command that lets workers call it again, once the cause is fixed. */
  readonly resumeCommand: string;
}

/** What `imgbatch run` reports at the end; also its `--json` output. */
export interface RunSummary {
  readonly batchId: string;
  readonly images: number;
  readonly stored: number;
  readonly filtered: number;
  /** Images whose calls failed for good (after their retries). */
  readonly failed: number;
  /** Images refused as invalid requests (by the service, or a job payload a worker could not read). */
  readonly rejected: number;
  /** Images whose jobs were cancelled before they started (`imgbatch cancel`). */
  readonly cancelled: number;
  /** Images no call was made for because the batch's budget (`--max-cost`) was reached. */
  readonly skipped: number;
  /** Images with no outcome when the run ended: queued behind paused deployments, or left queued by an interrupt. */
  readonly pending: number;
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
  /** Deployments of this run paused when it ended. */
  readonly pausedDeployments: readonly PausedDeployment[];
  /** Stopped by SIGINT or SIGTERM before every image had an outcome. */
  readonly interrupted: boolean;
  /** Every requested image stored or filtered: exit code 0. */
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
  readonly pausedDeployments?: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
  readonly isInterrupted?: boolean;
}): RunSummary {
  const { after } = input;
  const { stored, filtered, failed, rejected, cancelled, skipped } = after.counts;
  return {
    batchId: after.batchId,
    images: after.images,
    stored,
    filtered,
    failed,
    rejected,
    cancelled,
    skipped,
    pending: after.pending,
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
    pausedDeployments: (input.pausedDeployments ?? []).map((d) => ({ name: d.name, reason: d.reason, resumeCommand: `imgbatch deployments resume ${d.name}` })),
    interrupted: input.isInterrupted === true,
    // Skipped images were never made: finished, not a success. Refused rows were asked for and not made either.
    ok: failed + rejected + cancelled + skipped + after.pending + input.invalidRows === 0,
  };
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The `result` line: what was made, and for anything that was not, what became of it and what to do. */
function resultLine(summary: RunSummary): string {
  if (summary.ok) return 'every image stored or filtered';
  const unmade: string[] = [];
  if (summary.failed > 0) unmade.push(`${plural(summary.failed, 'image')} failed (errors above)`);
  if (summary.rejected > 0) unmade.push(`${plural(summary.rejected, 'image')} rejected as invalid requests (errors above)`);
  if (summary.cancelled > 0) unmade.push(`${plural(summary.cancelled, 'image')} cancelled`);
  if (summary.skipped > 0) unmade.push(`${plural(summary.skipped, 'image')} skipped at the budget (raise it with --max-cost)`);
  if (summary.pending > 0) {
    const why = summary.interrupted
      ? 'interrupted; they stay queued, run again to finish them'
      : summary.pausedDeployments.length > 0
        ? 'queued behind paused deployments: resume them (see paused), then run again'
        : 'no outcome yet; run again to finish them';
    unmade.push(`${plural(summary.pending, 'image')} still pending (${why})`);
  }
  const refused = `${plural(summary.invalidRows, 'row')} refused as invalid (the invalid: lines above), so ${summary.invalidRows === 1 ? 'its images were' : 'their images were'} not made`;
  if (unmade.length === 0) return `every image of the accepted rows stored or filtered; ${refused}`;
  return `not every image was made: ${[...unmade, ...(summary.invalidRows > 0 ? [refused] : [])].join('; ')}`;
}

export function formatRunSummary(summary: RunSummary): string {
  return [
    `batch        ${summary.batchId}`,
    `images       ${summary.images}: ${summary.stored} stored, ${summary.filtered} filtered, ${summary.failed} failed, ${summary.rejected} rejected${summary.cancelled > 0 ? `, ${summary.cancelled} cancelled` : ''}${summary.skipped > 0 ? `, ${summary.skipped} skipped (budget)` : ''}${summary.pending > 0 ? `, ${summary.pending} pending` : ''}`,
    `invalid rows ${summary.invalidRows}`,
    `API calls    ${summary.apiCalls} (${summary.rateLimited} answered 429)`,
    `cost         ${formatUsd(summary.costUsd)} this run; ${formatUsd(summary.batchCostUsd)} for the batch so far${summary.maxCostUsd === null ? '' : ` of its ${formatUsd(summary.maxCostUsd)} budget`}`,
    `wall time    ${summary.wallSeconds.toFixed(1)} s`,
    `files        ${summary.output}`,
    `endpoint     ${summary.endpoint}`,
    `redis        ${summary.redis}`,
    ...summary.pausedDeployments.map((d) => `paused       ${d.name}: ${d.reason}; after fixing it: ${d.resumeCommand}`),
    `result       ${resultLine(summary)}`,
  ].join('\n');
}
