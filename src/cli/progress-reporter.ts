import type { BatchSummary } from '../batch/batch-registry.js';

export interface ProgressReporter {
  update(summary: BatchSummary): void;
  done(): void;
}

function line(summary: BatchSummary, baseline: BatchSummary | undefined, elapsedMs: number): string {
  const { stored, filtered, failed, rejected, cancelled } = summary.counts;
  const calls = summary.calls - (baseline?.calls ?? 0);
  const rateLimited = summary.rateLimitedCalls - (baseline?.rateLimitedCalls ?? 0);
  const finished = stored + filtered + failed + rejected + cancelled;
  const percent = summary.images === 0 ? 100 : Math.floor((finished / summary.images) * 100);
  return `${summary.batchId}: ${finished}/${summary.images} (${percent}%) stored ${stored}, filtered ${filtered}, failed ${failed + rejected}${cancelled > 0 ? `, cancelled ${cancelled}` : ''}, calls ${calls}, 429s ${rateLimited}, ${(elapsedMs / 1000).toFixed(1)} s`;
}

/**
 * On a terminal, one status line rewritten in place; elsewhere (CI, log files) a plain line
 * every `intervalMs` so logs stay readable.
 */
export function createProgressReporter(
  stream: NodeJS.WriteStream,
  options: { intervalMs?: number; now?: () => number; /** Counts before this run, so calls shown are this run's. */ baseline?: BatchSummary } = {},
): ProgressReporter {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const isTerminal = stream.isTTY;
  const intervalMs = options.intervalMs ?? 5_000;
  let lastPrintedAt = 0;
  let wroteInPlace = false;
  return {
    update(summary) {
      const text = line(summary, options.baseline, now() - startedAt);
      if (isTerminal) {
        stream.write(`\r\x1b[2K${text}`);
        wroteInPlace = true;
      } else if (now() - lastPrintedAt >= intervalMs) {
        stream.write(`${text}\n`);
        lastPrintedAt = now();
      }
    },
    done() {
      if (wroteInPlace) stream.write('\n');
    },
  };
}
