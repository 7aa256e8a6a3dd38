import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError, type FieldIssue } from '../../../src/errors/imgbatch-error.js';
import { parseScheduleFile } from '../../../src/schedule/schedule-file.js';

const FILE = 'jobs/nightly-banners.schedule.json';

function issuesOf(text: string, file = FILE): FieldIssue[] {
  try {
    parseScheduleFile(file, text);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('parseScheduleFile', () => {
  it('reads a CSV schedule: name from the file name, CSV path relative to the schedule file', () => {
    const schedule = parseScheduleFile(FILE, JSON.stringify({ cron: '0 2 * * *', tz: 'Europe/Paris', csv: 'banners.csv', batch: 'banners-{date}', model: 'gpt-image-1-mini' }));
    expect(schedule).toEqual({
      v: 1,
      name: 'nightly-banners',
      file: FILE,
      cron: '0 2 * * *',
      tz: 'Europe/Paris',
      batch: 'banners-{date}',
      source: { kind: 'csv', path: resolve('jobs/banners.csv'), defaultModel: 'gpt-image-1-mini' },
    });
  });

  it('reads inline requests, an explicit name, a 6-field pattern with seconds, a budget; tz defaults to UTC', () => {
    const requests = [{ id: 'hero', prompt: 'A banner with a kite', model: 'gpt-image-1-mini', n: 2 }];
    const schedule = parseScheduleFile(FILE, JSON.stringify({ name: 'every-second', cron: '* * * * * *', requests, batch: '{name}-{datetime}', maxCostUsd: 2.5 }));
    expect(schedule).toMatchObject({ name: 'every-second', cron: '* * * * * *', tz: 'UTC', source: { kind: 'requests', requests }, maxCostUsd: 2.5 });
  });

  it('names the file and the field of every problem', () => {
    const issues = issuesOf(JSON.stringify({ cron: 'every night', tz: 'Europe/Pariss', csv: 'b.csv', batch: 'banners', colour: 'red' }));
    expect(issues).toEqual(
      expect.arrayContaining([
        { location: FILE, field: 'cron', reason: '"every night" is not a cron pattern (5 fields such as "0 2 * * *", or 6 with seconds first)' },
        { location: FILE, field: 'tz', reason: '"Europe/Pariss" is not a time zone (an IANA name such as "Europe/Paris" or "UTC")' },
        { location: FILE, field: 'batch', reason: 'must contain {date} or {datetime}, so each run gets a batch of its own' },
        expect.objectContaining({ location: FILE, field: '(file)', reason: expect.stringContaining('colour') as unknown }),
      ]),
    );
    expect(new ValidationError(issues).message).toContain(`${FILE}: tz: "Europe/Pariss" is not a time zone`);
  });

  it('wants exactly one of csv and requests', () => {
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', batch: 'b-{date}' }))).toEqual([
      { location: FILE, field: 'csv', reason: 'give exactly one of "csv" (a file of requests) and "requests" (inline)' },
    ]);
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', batch: 'b-{date}', csv: 'a.csv', requests: [{ prompt: 'x', model: 'gpt-image-1-mini' }] }))[0]).toMatchObject({ field: 'csv' });
  });

  it('checks inline requests as an enqueue would, naming the request index and field', () => {
    const requests = [
      { prompt: 'fine', model: 'gpt-image-1-mini' },
      { prompt: 'too many', model: 'gpt-image-1-mini', n: 11 },
      { model: 'gpt-image-1-mini' },
    ];
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', batch: 'b-{date}', requests }))).toEqual([
      { location: FILE, field: 'requests[1].n', reason: '11 is over the maximum of 10' },
      { location: FILE, field: 'requests[2].prompt', reason: 'is required and must not be empty' },
    ]);
  });

  it('refuses CSV-only options on inline requests, malformed JSON and a file name that makes no name', () => {
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', batch: 'b-{date}', requests: [{ prompt: 'x', model: 'gpt-image-1-mini' }], model: 'gpt-image-1' }))).toEqual([
      { location: FILE, field: 'model', reason: 'applies to "csv" schedules only; inline requests name their model' },
    ]);
    expect(issuesOf('{ "cron": ')[0]).toMatchObject({ location: FILE, field: '(file)', reason: expect.stringMatching(/^is not JSON: /) as unknown });
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', batch: 'b-{date}', csv: 'a.csv' }), 'jobs/.schedule.json')).toEqual([
      expect.objectContaining({ location: 'jobs/.schedule.json', field: 'name' }),
    ]);
  });

  it('refuses a malformed prompt template before any run', () => {
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', batch: 'b-{date}', csv: 'a.csv', prompt: 'Banner for {product' }))[0]).toMatchObject({ field: 'prompt' });
  });
});

describe('the shipped example, jobs/nightly-banners.schedule.json', () => {
  it('is a valid schedule: nightly at 02:00 Paris time, from jobs/banners.csv', async () => {
    const file = 'jobs/nightly-banners.schedule.json';
    expect(parseScheduleFile(file, await readFile(file, 'utf8'))).toMatchObject({
      name: 'nightly-banners',
      cron: '0 2 * * *',
      tz: 'Europe/Paris',
      batch: 'banners-{date}',
      source: { kind: 'csv', path: resolve('jobs/banners.csv') },
    });
  });
});
