import { describe, expect, it } from 'vitest';
import { formatFieldIssue } from '../../../src/errors/imgbatch-error.js';
import { imageJobSchema } from '../../../src/job/image-job.js';
import { createJobPreparer, type PreparedRequest, type RequestInput } from '../../../src/job/prepare-jobs.js';

const NOW = Date.parse('2025-05-01T12:00:00Z');
/** The day this was written: dall-e-3 and gpt-image-1 are retired, gpt-image-1.5 and -mini in service. */
const TODAY = Date.parse('2026-12-06T12:00:00Z');

function input(row: number, request: unknown): RequestInput {
  return { request, location: `row ${row}`, defaultId: `row-${row}` };
}

function good(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { prompt: 'A red ceramic mug', model: 'gpt-image-1-mini', ...fields };
}

/** Each bad request, what field it should be refused for, and the message it should read. */
const BAD: ReadonlyArray<readonly [string, Record<string, unknown>, string, string]> = [
  ['an empty prompt', good({ prompt: '' }), 'prompt', 'must not be empty'],
  ['a blank prompt', good({ prompt: '  ' }), 'prompt', 'must not be empty'],
  ['n 0', good({ n: 0 }), 'n', '0 is below the minimum of 1'],
  ['n 11', good({ n: 11 }), 'n', '11 is over the maximum of 10'],
  ['n -1', good({ n: -1 }), 'n', '-1 is below the minimum of 1'],
  ['n "two"', good({ n: 'two' }), 'n', '"two" is not a number'],
  ['n 2.5', good({ n: 2.5 }), 'n', '2.5 is not a whole number'],
  ['an unknown model', good({ model: 'dall-e-2' }), 'model', '"dall-e-2" is not a known image model'],
  ['a size wrong for the model', good({ model: 'gpt-image-1.5', size: '1792x1024' }), 'size', '"1792x1024" is not allowed for gpt-image-1.5'],
  ['a size off the grid of a model of custom sizes', good({ model: 'gpt-image-2', size: '1000x1000' }), 'size', '"1000x1000" is not allowed for gpt-image-2: both edges must be multiples of 16 px'],
  ['an over-long prompt', good({ prompt: 'x'.repeat(32_001) }), 'prompt', "32001 characters is over gpt-image-1-mini's limit of 32000"],
  ['a retired model', good({ model: 'gpt-image-1' }), 'model', 'gpt-image-1 was retired on Azure on 2026-10-23 (its deployments no longer answer); use gpt-image-2 instead'],
  ['an unsafe id', good({ id: 'a/b' }), 'id', 'may hold only letters, digits'],
];

describe('createJobPreparer', () => {
  it('rejects each bad request exactly once with its location and field, and accepts the good ones next to it', () => {
    const preparer = createJobPreparer({ batchId: 'b', now: TODAY });
    const inputs: RequestInput[] = [];
    const expectedRejections: Array<{ location: string; field: string }> = [];
    const expectedAccepted: string[] = [];
    let row = 2;
    for (const [, request, field] of BAD) {
      inputs.push(input(row, good()));
      expectedAccepted.push(`row ${row}`);
      row++;
      inputs.push(input(row, request));
      expectedRejections.push({ location: `row ${row}`, field });
      row++;
    }
    const results = inputs.map((each) => [each.location, preparer.prepare(each)] as const);

    const rejected = results.flatMap(([, result]) => (result.kind === 'rejected' ? [result.rejection] : []));
    expect(rejected.map((r) => ({ location: r.location, fields: r.issues.map((i) => i.field) }))).toEqual(
      expectedRejections.map((r) => ({ location: r.location, fields: [r.field] })),
    );
    for (const rejection of rejected) for (const issue of rejection.issues) expect(issue.location).toBe(rejection.location);
    expect(results.filter(([, result]) => result.kind === 'accepted').map(([location]) => location)).toEqual(expectedAccepted);
  });

  it.each(BAD)('%s reads "<field>: <reason>"', (_, request, field, reason) => {
    const result = createJobPreparer({ batchId: 'b', now: TODAY }).prepare(input(7, request));
    expect(result.kind).toBe('rejected');
    const issues = result.kind === 'rejected' ? result.rejection.issues : [];
    expect(issues).toHaveLength(1);
    const line = issues[0] === undefined ? '' : formatFieldIssue(issues[0]);
    expect(line.startsWith(`row 7: ${field}: ${reason}`)).toBe(true);
  });

  it('reports every fault of one request in one rejection', () => {
    const result = createJobPreparer({ batchId: 'b', now: TODAY }).prepare(input(3, { prompt: 'p', model: 'gpt-image-1-mini', size: '1792x1024', quality: 'hd' }));
    expect(result.kind === 'rejected' && result.rejection.issues.map((issue) => issue.field)).toEqual(['size', 'quality']);
  });

  it('a path-like id is one rejection, every issue on the id field', () => {
    const result = createJobPreparer({ batchId: 'b' }).prepare(input(3, good({ id: '../etc' })));
    expect(result.kind).toBe('rejected');
    const fields = result.kind === 'rejected' ? result.rejection.issues.map((issue) => issue.field) : [];
    expect(fields.length).toBeGreaterThan(0);
    expect(new Set(fields)).toEqual(new Set(['id']));
  });

  it('refuses an id used twice, naming where it was first used', () => {
    const preparer = createJobPreparer({ batchId: 'b' });
    expect(preparer.prepare(input(2, good({ id: 'mug' }))).kind).toBe('accepted');
    const second = preparer.prepare(input(9, good({ id: 'mug', prompt: 'another mug' })));
    expect(second).toEqual({
      kind: 'rejected',
      rejection: { location: 'row 9', issues: [{ location: 'row 9', field: 'id', reason: '"mug" is already used by row 2' }] },
    });
  });

  it('refuses an id that differs from an earlier one only in case, since both would be one file on a case-insensitive filesystem', () => {
    const preparer = createJobPreparer({ batchId: 'b' });
    expect(preparer.prepare(input(2, good({ id: 'mug' }))).kind).toBe('accepted');
    const result = preparer.prepare(input(4, good({ id: 'Mug', prompt: 'a blue mug' })));
    const reasons = result.kind === 'rejected' ? result.rejection.issues.map((issue) => [issue.field, issue.reason]) : [];
    expect(reasons).toEqual([['id', expect.stringMatching(/^"Mug" differs from "mug" \(row 2\) only in letter case/)]]);
    expect(preparer.prepare(input(5, good({ id: 'mug-2' }))).kind).toBe('accepted');
  });

  it('refuses an explicit id that another request holds as its default id', () => {
    const preparer = createJobPreparer({ batchId: 'b' });
    expect(preparer.prepare(input(2, good())).kind).toBe('accepted');
    const result = preparer.prepare(input(5, good({ id: 'row-2' })));
    expect(result.kind === 'rejected' && result.rejection.issues.map((issue) => issue.reason)).toEqual(['"row-2" is already used by row 2']);
  });

  it('a rejected request does not claim its id', () => {
    const preparer = createJobPreparer({ batchId: 'b' });
    expect(preparer.prepare(input(2, good({ id: 'mug', n: 0 }))).kind).toBe('rejected');
    expect(preparer.prepare(input(3, good({ id: 'mug' }))).kind).toBe('accepted');
  });

  it('ids are per preparer: a second batch may reuse them', () => {
    expect(createJobPreparer({ batchId: 'a' }).prepare(input(2, good({ id: 'mug' }))).kind).toBe('accepted');
    expect(createJobPreparer({ batchId: 'b' }).prepare(input(2, good({ id: 'mug' }))).kind).toBe('accepted');
  });

  it.each([
    ['null', null],
    ['a string', 'A red mug'],
    ['an unknown field', good({ colour: 'red' })],
  ])('refuses %s as a whole request', (_, request) => {
    const result = createJobPreparer({ batchId: 'b' }).prepare(input(4, request));
    expect(result.kind === 'rejected' && result.rejection.issues.map((issue) => [issue.location, issue.field])).toEqual([['row 4', '(request)']]);
  });

  it('fans accepted requests out into valid jobs of its batch, with the default id and its clock', () => {
    const preparer = createJobPreparer({ batchId: 'spring-sale', imagesPerCall: 2, now: NOW });
    const result: PreparedRequest = preparer.prepare(input(12, good({ model: 'gpt-image-1', n: 3 })));
    const jobs = result.kind === 'accepted' ? result.jobs : [];
    expect(jobs.map((job) => [job.batchId, job.requestId, job.variants, job.enqueuedAt])).toEqual([
      ['spring-sale', 'row-12', [0, 1], NOW],
      ['spring-sale', 'row-12', [2], NOW],
    ]);
    for (const job of jobs) expect(imageJobSchema.safeParse(job).success).toBe(true);
  });
});

describe('createJobPreparer and model lifecycles', () => {
  it.each([
    ['dall-e-3', 'dall-e-3 was retired on Azure on 2026-03-04 (its deployments no longer answer); use gpt-image-1-mini instead'],
    ['gpt-image-1', 'gpt-image-1 was retired on Azure on 2026-10-23 (its deployments no longer answer); use gpt-image-2 instead'],
  ])('refuses %s, naming its retirement date and the model that replaces it', (model, reason) => {
    const result = createJobPreparer({ batchId: 'b', now: TODAY }).prepare(input(4, good({ model })));
    expect(result).toEqual({ kind: 'rejected', rejection: { location: 'row 4', issues: [{ location: 'row 4', field: 'model', reason }] } });
  });

  it('refuses a model on its retirement day, and took it the day before', () => {
    expect(createJobPreparer({ batchId: 'b', now: Date.parse('2026-10-23T00:00:01Z') }).prepare(input(2, good({ model: 'gpt-image-1' }))).kind).toBe('rejected');
    expect(createJobPreparer({ batchId: 'b', now: Date.parse('2026-10-22T23:59:59Z') }).prepare(input(2, good({ model: 'gpt-image-1' }))).kind).toBe('accepted');
  });

  it('takes a model retiring within 30 days and notes it once, with the date, the days left, the replacement and how many requests use it', () => {
    // gpt-image-1-mini retires 2027-04-07: 20 days after 2027-03-18.
    const preparer = createJobPreparer({ batchId: 'b', now: Date.parse('2027-03-18T09:00:00Z') });
    expect(preparer.prepare(input(2, good())).kind).toBe('accepted');
    expect(preparer.prepare(input(3, good({ model: 'gpt-image-2' }))).kind).toBe('accepted');
    expect(preparer.prepare(input(4, good({ n: 3 }))).kind).toBe('accepted');
    expect(preparer.notices()).toEqual([
      {
        model: 'gpt-image-1-mini',
        retiresOn: '2027-04-07',
        daysLeft: 20,
        replacedBy: ['gpt-image-2'],
        requests: 2,
        message: 'gpt-image-1-mini retires on Azure on 2027-04-07, in 20 days: calls after that fail; move to gpt-image-2',
      },
    ]);
  });

  it('notes nothing for models whose retirement is further away than 30 days', () => {
    const preparer = createJobPreparer({ batchId: 'b', now: Date.parse('2027-03-07T09:00:00Z') });
    expect(preparer.prepare(input(2, good())).kind).toBe('accepted');
    expect(preparer.notices()).toEqual([]);
  });
});

describe('createJobPreparer: where a refused request sits, as numbers', () => {
  it('passes the input’s row or index on to its rejection, whatever its location text says', () => {
    const preparer = createJobPreparer({ batchId: 'b', now: TODAY });
    const fromCsv = preparer.prepare({ request: good({ n: 0 }), location: 'sheet "mugs", line 12', position: { row: 12 }, defaultId: 'a' });
    const fromJson = preparer.prepare({ request: good({ model: 'dall-e-2' }), location: 'the third request', position: { index: 2 }, defaultId: 'b' });
    const unplaced = preparer.prepare({ request: good({ n: 0 }), location: 'job file', defaultId: 'c' });
    expect(fromCsv).toMatchObject({ kind: 'rejected', rejection: { position: { row: 12 }, issues: [{ field: 'n' }] } });
    expect(fromJson).toMatchObject({ kind: 'rejected', rejection: { position: { index: 2 }, issues: [{ field: 'model' }] } });
    expect(unplaced.kind === 'rejected' && 'position' in unplaced.rejection).toBe(false);
  });
});
