import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RejectedRequest } from '../job/prepare-jobs.js';
import { csvLine } from '../storage/csv-line.js';

const ROW_LOCATION = /^row (\d+)$/;

/**
 * Writes refused rows as CSV: `row`, `field`, `reason`, then the row's own columns as the file
 * had them, so a person can fix the rows in a spreadsheet and enqueue them again (after
 * deleting the first three columns). A row with several problems is one line, its fields and
 * reasons joined with "; " in the same order. Cells are neutralised against formulas.
 */
export async function writeRejectsFile(path: string, rejected: readonly RejectedRequest[]): Promise<void> {
  const columns = rejected.find((r) => r.original !== undefined)?.original?.columns ?? [];
  // The rejections are in memory already; their text is no bigger.
  const lines = [csvLine(['row', 'field', 'reason', ...columns])];
  for (const rejection of rejected) {
    const row = ROW_LOCATION.exec(rejection.location)?.[1] ?? rejection.location;
    lines.push(
      csvLine([
        row,
        rejection.issues.map((issue) => issue.field).join('; '),
        rejection.issues.map((issue) => issue.reason).join('; '),
        ...(rejection.original?.values ?? []),
      ]),
    );
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, lines.join(''));
}
