import type { EnqueueProgress } from '../queue/producer.js';
import { PART_SEPARATOR } from './fit-to-width.js';
import { formatDuration } from './format-duration.js';
import { createLiveArea } from './live-area.js';
import { withProgressBar } from './progress-bar.js';

export interface EnqueueProgressReporter {
  update(progress: EnqueueProgress): void;
  done(): void;
}

export interface EnqueueProgressOptions {
  readonly batchId: string;
  /** The file's size and how much of it has been read, bytes: the bar and the ETA; without them, counts only. */
  readonly file?: { readonly sizeBytes: number; readonly bytesRead: () => number };
  /** Plain lines (no terminal) at most this often, ms; default 5,000. */
  readonly intervalMs?: number;
  /** Terminal redraws at most this often, ms; default 100 (the producer reports every chunk, dozens a second). */
  readonly redrawMs?: number;
  readonly now?: () => number;
}


/**
 * Progress of reading a CSV into the queue. Rows are counted as they reach Redis; the share of
 * the file read is the honest denominator, since its row count is unknown until the end.
 */
export function createEnqueueProgressReporter(stream: NodeJS.WriteStream, options: EnqueueProgressOptions): EnqueueProgressReporter {
  const now = options.now ?? Date.now;
  const startedAt = now();
  // On a terminal, one status redrawn in place within its width (a narrow one breaks it over rows).
  const area = stream.isTTY ? createLiveArea(stream) : undefined;
  const intervalMs = area !== undefined ? (options.redrawMs ?? 100) : (options.intervalMs ?? 5_000);
  let lastWrittenAt = Number.NEGATIVE_INFINITY;
  let latest: EnqueueProgress | undefined;
  let isLatestWritten = true;

  /** `enqueue b 25% of the file: 5000 rows (…), …, ETA 30 s`; on a terminal, with a bar and ` · ` between the parts, where a narrow terminal may break it. */
  function text(progress: EnqueueProgress, atMs: number): string {
    const elapsedMs = atMs - startedAt;
    const rowsPerSecond = elapsedMs > 0 ? Math.round((progress.inputs / elapsedMs) * 1000) : 0;
    const counts = [`${progress.inputs} rows (${progress.accepted} valid, ${progress.rejected} refused)`, `${progress.imagesAdded} new images in ${progress.jobsAdded} jobs`, `${rowsPerSecond} rows/s`];
    const file = options.file;
    let head = `enqueue ${options.batchId}`;
    if (file === undefined || file.sizeBytes <= 0) {
      counts.push(formatDuration(elapsedMs));
    } else {
      const fraction = Math.min(1, file.bytesRead() / file.sizeBytes);
      const etaMs = fraction > 0 ? (elapsedMs / fraction) * (1 - fraction) : Number.NaN;
      if (fraction < 1) counts.push(`ETA ${formatDuration(etaMs)}`);
      const share = `${Math.floor(fraction * 100)}% of the file`;
      head = area === undefined ? `${head} ${share}` : withProgressBar(head, fraction, share, area.width());
    }
    return area === undefined ? `${head}: ${counts.join(', ')}` : [head, ...counts].join(PART_SEPARATOR);
  }

  function write(atMs: number): void {
    if (latest === undefined) return;
    if (area !== undefined) {
      area.draw([text(latest, atMs)]);
    } else {
      stream.write(`${text(latest, atMs)}\n`);
    }
    lastWrittenAt = atMs;
    isLatestWritten = true;
  }

  return {
    update(progress) {
      latest = progress;
      isLatestWritten = false;
      const atMs = now();
      if (atMs - lastWrittenAt >= intervalMs) write(atMs);
    },
    done() {
      if (!isLatestWritten) write(now());
      area?.done();
    },
  };
}
