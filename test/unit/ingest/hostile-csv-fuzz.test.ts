import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRejectsFile } from '../../../src/cli/write-rejects-file.js';
import { readCsvRequests } from '../../../src/ingest/read-csv-requests.js';
import { imageJobSchema, imageKey } from '../../../src/job/image-job.js';
import { createJobPreparer, type RejectedRequest } from '../../../src/job/prepare-jobs.js';
import { csvLine } from '../../../src/storage/csv-line.js';
import { parseResultKey } from '../../../src/storage/parse-result-key.js';
import { generateHostileCsv } from '../../helpers/hostile-csv.js';

/** Fixed seeds, so a failure names the seed that reproduces it. */
const SEEDS = [1, 2, 3, 42, 1234, 99_991];
const ROWS = 150;
// C0 controls and DEL: a message that carries one prints garbage or cuts a log line short.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const FORMULA_START = /^[=+\-@\t\r]/;

const dir = mkdtempSync(join(tmpdir(), 'imgbatch-fuzz-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(SEEDS)('hostile CSV rows, seed %i', (seed) => {
  const csv = generateHostileCsv(seed, ROWS);

  async function ingest(source: 'file' | 'stream'): Promise<{ accepted: Map<string, { n: number; prompt: string; note: string | undefined; jobs: number }>; rejected: RejectedRequest[] }> {
    const preparer = createJobPreparer({ batchId: `fuzz-${seed}` });
    const accepted = new Map<string, { n: number; prompt: string; note: string | undefined; jobs: number }>();
    const rejected: RejectedRequest[] = [];
    let input: string | Readable;
    if (source === 'file') {
      input = join(dir, `seed-${seed}.csv`);
      writeFileSync(input, csv.bytes);
    } else {
      // Small, odd-sized chunks split multi-byte characters and bad sequences across reads.
      const chunks: Buffer[] = [];
      for (let i = 0; i < csv.bytes.length; i += 7) chunks.push(csv.bytes.subarray(i, i + 7));
      input = Readable.from(chunks);
    }
    for await (const row of readCsvRequests(input)) {
      const prepared = preparer.prepare(row);
      if (prepared.kind === 'rejected') {
        rejected.push(prepared.rejection);
        continue;
      }
      const first = prepared.jobs[0];
      if (first === undefined) throw new Error(`${row.location}: accepted without jobs`);
      const variants = prepared.jobs.reduce((sum, job) => sum + job.variants.length, 0);
      accepted.set(first.requestId, { n: variants, prompt: first.prompt, note: first.metadata?.note, jobs: prepared.jobs.length });
      for (const job of prepared.jobs) {
        // What the producer enqueues is what the worker accepts.
        expect(imageJobSchema.safeParse(job).success, `${row.location}: job refused by the worker's schema`).toBe(true);
        for (const variant of job.variants) {
          // The file names a store makes stay inside its root.
          const { batchId, name } = parseResultKey(imageKey(job.batchId, job.requestId, variant));
          const root = resolve(dir, 'store');
          const path = relative(root, resolve(root, batchId, `${name}.png`));
          expect(path.startsWith('..') || isAbsolute(path), `${row.location}: ${path} leaves the store`).toBe(false);
        }
      }
    }
    return { accepted, rejected };
  }

  it.each(['file', 'stream'] as const)('from a %s: each bad row is refused once naming its row and field; every good row is accepted unchanged', async (source) => {
    const { accepted, rejected } = await ingest(source);

    const byLocation = new Map<string, RejectedRequest[]>();
    for (const rejection of rejected) byLocation.set(rejection.location, [...(byLocation.get(rejection.location) ?? []), rejection]);
    expect([...byLocation.keys()].sort()).toEqual(csv.bad.map((r) => `row ${r.row}`).sort());
    for (const bad of csv.bad) {
      const [rejection, ...again] = byLocation.get(`row ${bad.row}`) ?? [];
      expect(again, `row ${bad.row} reported more than once`).toHaveLength(0);
      const fields = rejection?.issues.map((issue) => issue.field) ?? [];
      expect(fields, `row ${bad.row} (${bad.defect?.kind ?? ''})`).toContain(bad.defect?.field);
      for (const issue of rejection?.issues ?? []) {
        expect(issue.location).toBe(`row ${bad.row}`);
        expect(issue.reason, `row ${bad.row}: the reason carries a control character`).not.toMatch(CONTROL);
        expect(issue.reason.length, `row ${bad.row}: the reason repeats the whole value`).toBeLessThan(500);
      }
    }

    expect([...accepted.keys()].sort()).toEqual(csv.good.map((r) => r.id).sort());
    for (const good of csv.good) {
      expect(accepted.get(good.id), `row ${good.row}`).toEqual({ n: good.n, prompt: good.prompt, note: good.note, jobs: good.n });
    }
  });

  it('writes refused rows to a rejects file in which no cell can start a formula', async () => {
    const { rejected } = await ingest('file');
    const path = join(dir, `seed-${seed}.rejects.csv`);
    await writeRejectsFile(path, rejected);
    const records: string[][] = parse(await readFile(path), { relax_column_count: true });
    expect(records).toHaveLength(rejected.length + 1);
    for (const cell of records.flat()) expect(cell, 'a cell starts a formula').not.toMatch(FORMULA_START);
  });
});

describe('exported CSV cells', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://x","y")', '-', '@'])('neutralises %j so no spreadsheet reads a formula', (value) => {
    const [cell = []]: string[][] = parse(csvLine([value, 'x']));
    expect(cell[0]).toBe(`'${value}`);
  });
});
