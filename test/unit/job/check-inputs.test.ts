import { describe, expect, it } from 'vitest';
import { checkInputs } from '../../../src/job/check-inputs.js';
import type { RequestInput } from '../../../src/job/prepare-jobs.js';

const input = (row: number, request: unknown): RequestInput => ({ request, location: `row ${row}`, defaultId: `row-${row}` });

describe('checkInputs (dry run and the first pass of --strict)', () => {
  it('counts valid rows, calls and images as an enqueue would, and returns each bad row once', async () => {
    const check = await checkInputs(
      [
        input(2, { prompt: 'A mug', n: 3, model: 'gpt-image-1-mini' }),
        input(3, { prompt: 'A lamp', n: 0, model: 'gpt-image-1-mini' }),
        input(4, { prompt: 'A lake', n: 2, model: 'gpt-image-1.5' }),
        input(5, { id: 'row-2', prompt: 'A copy', model: 'gpt-image-1-mini' }),
      ],
      { batchId: 'b', imagesPerCall: 2 },
    );
    expect(check).toMatchObject({ inputs: 4, accepted: 2, jobs: 3, images: 5 });
    expect(check.rejected.map((r) => [r.location, r.issues.map((i) => i.field)])).toEqual([
      ['row 3', ['n']],
      ['row 5', ['id']],
    ]);
  });

  it('rejects an input that arrives with issues of its own (an empty template cell) without validating it further', async () => {
    const check = await checkInputs([{ ...input(2, {}), issues: [{ location: 'row 2', field: 'color', reason: 'is empty' }] }], { batchId: 'b' });
    expect(check.rejected).toEqual([{ location: 'row 2', issues: [{ location: 'row 2', field: 'color', reason: 'is empty' }] }]);
  });
});
