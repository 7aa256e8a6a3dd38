import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError, type FieldIssue } from '../../../src/errors/imgbatch-error.js';
import { parseScheduleFile } from '../../../src/schedule/schedule-file.js';

const FILE = 'jobs/nightly-banners.schedule.json';

function issuesOf(text: string, file = FILE, nowMs?: number): FieldIssue[] {
  try {
    parseScheduleFile(file, text, nowMs === undefined ? {} : { nowMs });
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

  it('reads inline requests, an explicit name, a 6-field pattern with seconds, a budget, a priority; tz defaults to UTC', () => {
    const requests = [{ id: 'hero', prompt: 'A banner with a kite', model: 'gpt-image-1-mini', n: 2 }];
    const schedule = parseScheduleFile(FILE, JSON.stringify({ name: 'every-second', cron: '* * * * * *', requests, batch: '{name}-{datetime}', maxCostUsd: 2.5, priority: 'bulk' }));
    expect(schedule).toMatchObject({ name: 'every-second', cron: '* * * * * *', tz: 'UTC', source: { kind: 'requests', requests }, maxCostUsd: 2.5, priority: 'bulk' });
  });

  it('refuses a priority it does not know, naming the ones it does', () => {
    const requests = [{ id: 'hero', prompt: 'A banner with a kite', model: 'gpt-image-1-mini' }];
    expect(issuesOf(JSON.stringify({ cron: '0 2 * * *', requests, batch: 'b-{date}', priority: 'urgent' }))).toEqual([
      { location: FILE, field: 'priority', reason: 'must be one of high, normal, bulk' },
    ]);
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

  it('refuses a template that gives consecutive runs one batch, naming the file and field and suggesting {datetime}', () => {
    // 10:30 in Paris: the next runs of an hourly pattern are 11:00, 12:00, ... the same day.
    const nowMs = Date.UTC(2025, 0, 31, 9, 30, 0);
    const hourly = JSON.stringify({ cron: '0 * * * *', tz: 'Europe/Paris', csv: 'b.csv', batch: 'sched-{date}' });
    let refused: unknown;
    try {
      parseScheduleFile(FILE, hourly, { nowMs });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([
      {
        location: FILE,
        field: 'batch',
        reason:
          'gives two consecutive runs (due 2025-01-31 11:00:00 and 2025-01-31 12:00:00 in Europe/Paris) the same batch "sched-2025-01-31", ' +
          'so the later would add nothing and the pattern would make fewer batches than runs; use {datetime} (date and time to the second), e.g. "sched-{datetime}"',
      },
    ]);
    expect((refused as ValidationError).message).toContain(`${FILE}: batch: gives two consecutive runs`);
  });

  it('checks the runs that follow, wherever in the day the sync happens', () => {
    // Twice a day, every second, hourly, @hourly: {date} repeats within a day; from late evening too.
    for (const cron of ['0 0,12 * * *', '0 23,0 * * *', '* * * * * *', '0 * * * *', '@hourly']) {
      for (const nowMs of [Date.UTC(2025, 0, 31, 22, 59, 59), Date.UTC(2025, 0, 31, 11, 0, 0)]) {
        const issues = issuesOf(JSON.stringify({ cron, tz: 'UTC', csv: 'b.csv', batch: 'b-{date}' }), FILE, nowMs);
        expect(issues, `${cron} from ${new Date(nowMs).toISOString()}`).toEqual([expect.objectContaining({ field: 'batch', reason: expect.stringContaining('use {datetime}') as unknown })]);
      }
    }
    for (const cron of ['* * * * * *', '0 * * * *', '0 0,12 * * *']) {
      expect(parseScheduleFile(FILE, JSON.stringify({ cron, tz: 'Europe/Paris', csv: 'b.csv', batch: 'b-{datetime}' }), { nowMs: Date.UTC(2025, 0, 31, 22, 59, 59) }).batch).toBe('b-{datetime}');
    }
    expect(parseScheduleFile(FILE, JSON.stringify({ cron: '0 2 * * 1,3', tz: 'Europe/Paris', csv: 'b.csv', batch: 'b-{date}' })).batch).toBe('b-{date}');
  });

  it('refuses, naming the field, a pattern of the right shape that BullMQ could not run', () => {
    expect(issuesOf(JSON.stringify({ cron: '0 25 * * *', csv: 'b.csv', batch: 'b-{date}' }))).toEqual([
      { location: FILE, field: 'cron', reason: '"0 25 * * *" is not a pattern BullMQ can run: Constraint error, got value 25 expected range 0-23' },
    ]);
    expect(issuesOf(JSON.stringify({ cron: '@annually', csv: 'b.csv', batch: 'b-{date}' }))).toEqual([expect.objectContaining({ field: 'cron' })]);
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

  it("reads a callback, per image when asked, and refuses one the config's allow-list does not name", () => {
    const base = { cron: '0 2 * * *', csv: 'banners.csv', batch: 'banners-{date}' };
    const policy = { allowedHosts: ['*.example.com'] };
    expect(parseScheduleFile(FILE, JSON.stringify({ ...base, callback: { url: 'https://hooks.example.com/x' } }), { callbackPolicy: policy }).callback).toEqual({ url: 'https://hooks.example.com/x', perImage: false });
    expect(parseScheduleFile(FILE, JSON.stringify({ ...base, callback: { url: 'https://a.example.com/x', perImage: true } }), { callbackPolicy: policy }).callback).toEqual({ url: 'https://a.example.com/x', perImage: true });
    const refuse = (callback: unknown, options = { callbackPolicy: policy }): FieldIssue[] => {
      try {
        parseScheduleFile(FILE, JSON.stringify({ ...base, callback }), options);
      } catch (error) {
        if (error instanceof ValidationError) return [...error.issues];
        throw error;
      }
      throw new Error('expected the file to be refused');
    };
    expect(refuse({ url: 'https://evil.test/x' })).toEqual([{ location: FILE, field: 'callback.url', reason: expect.stringContaining('host evil.test is not on') as unknown }]);
    expect(refuse({ url: 'https://hooks.example.com/x' }, { callbackPolicy: { allowedHosts: [] } })).toEqual([{ location: FILE, field: 'callback.url', reason: expect.stringContaining('callbacks are off') as unknown }]);
    expect(refuse({ href: 'https://hooks.example.com/x' })).toEqual(expect.arrayContaining([expect.objectContaining({ location: FILE, field: expect.stringMatching(/^callback/) as unknown })]));
  });
});
