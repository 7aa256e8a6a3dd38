import type { BatchSummary } from '../batch/batch-registry.js';
import { PART_SEPARATOR } from './fit-to-width.js';
import { formatDuration } from './format-duration.js';
import { createLiveArea } from './live-area.js';
import { withProgressBar } from './progress-bar.js';

export interface ProgressReporter {
  update(summary: BatchSummary): void;
  done(): void;
}

export interface ProgressOptions {
  /** Plain lines (no terminal) at most this often, ms; default 5,000. */
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** Counts before this run, so calls shown are this run's. */
  readonly baseline?: BatchSummary;
  /** Summed configured rate of the deployments working the batch, calls per minute; shown against the measured rate and used for the ETA. */
  readonly quotaPerMinute?: number;
  /** Images one call makes (the batch's images per call); default 1. */
  readonly imagesPerCall?: number;
}

/** The rate over this trailing window is what "calls per minute" shows. */
const RATE_WINDOW_MS = 60_000;

interface Figures {
  readonly finished: number;
  readonly percent: number;
  /** `stored 5, filtered 1, failed 2` and any other outcome that happened (cancelled, …). */
  readonly outcomes: string[];
  readonly calls: number;
  readonly rateLimited: number;
  /** Calls per minute over the last minute (or since start); undefined before a second has passed. */
  readonly callsPerMinute: number | undefined;
  /** Time left if the rest is made at the quota; undefined without a quota. */
  readonly etaMs: number | undefined;
}

function outcomeParts(summary: BatchSummary): string[] {
  const { stored, filtered, failed, rejected, ...others } = summary.counts;
  const parts = [`stored ${stored}`, `filtered ${filtered}`, `failed ${failed + rejected}`];
  for (const [outcome, count] of Object.entries(others)) if (count > 0) parts.push(`${outcome} ${count}`);
  return parts;
}

/**
 * On a terminal, a bar and a rate line redrawn in place; elsewhere (CI, log files) one plain
 * line every `intervalMs`, so logs stay readable. The ETA assumes the remaining calls go at the
 * configured quota: the limiter holds the run to it, so the quota, not the recent rate (which
 * includes the start-up), is the better predictor.
 */
export function createProgressReporter(stream: NodeJS.WriteStream, options: ProgressOptions = {}): ProgressReporter {
  const now = options.now ?? Date.now;
  const startedAt = now();
  // On a terminal, redrawn in place within its width; elsewhere, plain lines.
  const area = stream.isTTY ? createLiveArea(stream) : undefined;
  const intervalMs = options.intervalMs ?? 5_000;
  const imagesPerCall = options.imagesPerCall ?? 1;
  const samples: Array<{ readonly atMs: number; readonly calls: number }> = [];
  let lastPrintedAt = Number.NEGATIVE_INFINITY;
  // The latest plain line held back by the interval, so done() can end the log with the final state.
  let heldBack: string | undefined;

  function figures(summary: BatchSummary, atMs: number): Figures {
    const finished = Object.values(summary.counts).reduce((sum, count) => sum + count, 0);
    const calls = summary.calls - (options.baseline?.calls ?? 0);
    samples.push({ atMs, calls });
    while (samples.length > 2 && (samples[1]?.atMs ?? atMs) <= atMs - RATE_WINDOW_MS) samples.shift();
    const oldest = samples[0];
    const spanMs = oldest === undefined ? 0 : atMs - oldest.atMs;
    const quota = options.quotaPerMinute;
    return {
      finished,
      percent: summary.images === 0 ? 100 : Math.floor((finished / summary.images) * 100),
      outcomes: outcomeParts(summary),
      calls,
      rateLimited: summary.rateLimitedCalls - (options.baseline?.rateLimitedCalls ?? 0),
      callsPerMinute: oldest === undefined || spanMs < 1_000 ? undefined : ((calls - oldest.calls) / spanMs) * 60_000,
      etaMs: quota === undefined || quota <= 0 ? undefined : (Math.ceil(summary.pending / imagesPerCall) / quota) * 60_000,
    };
  }

  function rateText(f: Figures): string {
    const quota = options.quotaPerMinute;
    const measured = f.callsPerMinute === undefined ? '…' : Math.round(f.callsPerMinute).toString();
    if (quota === undefined) return `${measured} calls/min`;
    const share = f.callsPerMinute === undefined ? '' : ` (${Math.round((f.callsPerMinute / quota) * 100)}%)`;
    return `${measured} of ${quota} calls/min${share}`;
  }

  function plainLine(summary: BatchSummary, f: Figures, elapsedMs: number): string {
    const eta = f.etaMs === undefined || summary.pending === 0 ? '' : `, ETA ${formatDuration(f.etaMs)}`;
    return `${summary.batchId}: ${f.finished}/${summary.images} (${f.percent}%) ${f.outcomes.join(', ')}, calls ${f.calls}, 429s ${f.rateLimited}, ${rateText(f)}${eta}, ${(elapsedMs / 1000).toFixed(1)} s`;
  }

  function terminalLines(summary: BatchSummary, f: Figures, elapsedMs: number, width: number): string[] {
    const fraction = summary.images === 0 ? 1 : f.finished / summary.images;
    const eta = summary.pending === 0 ? 'done' : f.etaMs === undefined ? 'ETA ?' : `ETA ${formatDuration(f.etaMs)} at quota`;
    return [
      [withProgressBar(summary.batchId, fraction, `${f.percent}% ${f.finished}/${summary.images}`, width), ...f.outcomes].join(PART_SEPARATOR),
      `  ${[rateText(f), `calls ${f.calls}`, `429s ${f.rateLimited}`, `elapsed ${formatDuration(elapsedMs)}`, eta].join(PART_SEPARATOR)}`,
    ];
  }

  return {
    update(summary) {
      const atMs = now();
      const f = figures(summary, atMs);
      if (area !== undefined) {
        area.draw(terminalLines(summary, f, atMs - startedAt, area.width()));
      } else if (atMs - lastPrintedAt >= intervalMs) {
        stream.write(`${plainLine(summary, f, atMs - startedAt)}\n`);
        lastPrintedAt = atMs;
        heldBack = undefined;
      } else {
        heldBack = plainLine(summary, f, atMs - startedAt);
      }
    },
    done() {
      area?.done();
      if (heldBack !== undefined) stream.write(`${heldBack}\n`);
      heldBack = undefined;
    },
  };
}
