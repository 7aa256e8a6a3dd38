import { describe, expect, it } from 'vitest';
import { formatRejections } from '../../../src/cli/report-rejections.js';
import { createJobPreparer, type RejectedRequest } from '../../../src/job/prepare-jobs.js';

describe('formatRejections', () => {
  it('gives nothing for no rejections', () => {
    expect(formatRejections([])).toEqual([]);
  });

  it('writes one "<location>: <field>: <reason>" line per problem, in order', () => {
    const rejected: RejectedRequest[] = [
      { location: 'row 7', issues: [{ location: 'row 7', field: 'n', reason: '0 is below the minimum of 1' }] },
      {
        location: 'row 9',
        issues: [
          { location: 'row 9', field: 'size', reason: '"1536x1024" is not allowed for dall-e-3 (allowed: 1024x1024, 1792x1024, 1024x1792)' },
          { location: 'row 9', field: 'quality', reason: '"low" is not allowed for dall-e-3 (allowed: standard, hd)' },
        ],
      },
    ];
    expect(formatRejections(rejected)).toEqual([
      'row 7: n: 0 is below the minimum of 1',
      'row 9: size: "1536x1024" is not allowed for dall-e-3 (allowed: 1024x1024, 1792x1024, 1024x1792)',
      'row 9: quality: "low" is not allowed for dall-e-3 (allowed: standard, hd)',
    ]);
  });

  it('uses the rejection’s location for an issue that has none', () => {
    expect(formatRejections([{ location: 'requests[3]', issues: [{ field: 'model', reason: 'must not be empty' }] }])).toEqual([
      'requests[3]: model: must not be empty',
    ]);
  });

  it('prints what createJobPreparer rejects, row by row', () => {
    const preparer = createJobPreparer({ batchId: 'b' });
    const rejected = [
      preparer.prepare({ request: { prompt: 'A mug', model: 'gpt-image-1', n: 0 }, location: 'row 4', defaultId: 'row-4' }),
      preparer.prepare({ request: { prompt: 'A mug', model: 'gpt-image-1', n: 'two' }, location: 'row 5', defaultId: 'row-5' }),
    ].flatMap((result) => (result.kind === 'rejected' ? [result.rejection] : []));
    expect(formatRejections(rejected)).toEqual(['row 4: n: 0 is below the minimum of 1', 'row 5: n: "two" is not a number']);
  });
});
