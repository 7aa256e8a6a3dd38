import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ManifestRow } from '../batch/list-manifest-rows.js';
import { csvLine } from '../storage/csv-line.js';

export const MANIFEST_FORMATS = ['csv', 'jsonl'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

/** The fixed columns, in order; the row's extra CSV columns follow them. */
const MANIFEST_COLUMNS = ['id', 'variant', 'status', 'location', 'prompt', 'revised_prompt', 'deployment', 'latency_ms', 'attempts', 'error', 'cost', 'reason'] as const;

function fixedCells(row: ManifestRow): Record<(typeof MANIFEST_COLUMNS)[number], string | number | undefined> {
  return {
    id: row.id,
    variant: row.variant,
    status: row.status,
    location: row.location,
    prompt: row.prompt,
    revised_prompt: row.revisedPrompt,
    deployment: row.deployment,
    latency_ms: row.latencyMs === undefined ? undefined : Math.round(row.latencyMs),
    attempts: row.attempts,
    error: row.error,
    // USD, as recorded (micro-dollar precision): a spreadsheet sums the column to the batch's cost.
    cost: row.costUsd,
    reason: row.reason,
  };
}

/** An extra column named like a fixed one (a CSV column `status`) is written as `metadata.status`. */
function metadataColumn(key: string): string {
  return (MANIFEST_COLUMNS as readonly string[]).includes(key) ? `metadata.${key}` : key;
}

/**
 * Writes a batch manifest. JSONL: one object per image, extra columns under `metadata`. CSV:
 * the fixed columns, then one column per extra column any row has (found in a first pass over
 * `rows()`, so nothing is held in memory), every cell neutralised against spreadsheet formulas.
 * Returns the number of rows written.
 */
export async function writeManifest(rows: () => AsyncIterable<ManifestRow>, format: ManifestFormat, out: Writable): Promise<number> {
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let count = 0;
  if (format === 'jsonl') {
    for await (const row of rows()) {
      await write(`${JSON.stringify({ ...fixedCells(row), metadata: row.metadata })}\n`);
      count++;
    }
    return count;
  }
  const keys = new Set<string>();
  for await (const row of rows()) for (const key of Object.keys(row.metadata)) keys.add(key);
  const extra = [...keys].sort();
  await write(csvLine([...MANIFEST_COLUMNS, ...extra.map(metadataColumn)]));
  for await (const row of rows()) {
    const fixed = fixedCells(row);
    await write(csvLine([...MANIFEST_COLUMNS.map((column) => String(fixed[column] ?? '')), ...extra.map((key) => row.metadata[key] ?? '')]));
    count++;
  }
  return count;
}
